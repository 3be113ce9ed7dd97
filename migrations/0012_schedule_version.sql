-- Each app process remembers the appointments and time off of the days it has shown
-- (src/scheduling/reference.rs) under this version, and reads it again when the version has
-- moved on. Any change to appointments, time off or a patient's name (the schedule shows it)
-- moves it on. The counter is bumped by deferred triggers, at commit, after every other lock
-- the transaction takes, so bookings cannot deadlock on it; a reader sees the new version
-- exactly when it sees the change.
CREATE TABLE schedule_version (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version bigint NOT NULL
);
INSERT INTO schedule_version (version) VALUES (0);

CREATE FUNCTION schedule_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE schedule_version SET version = version + 1;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER appointments_changed AFTER INSERT OR UPDATE OR DELETE ON appointments
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION schedule_version_bump();
CREATE CONSTRAINT TRIGGER time_off_changed AFTER INSERT OR UPDATE OR DELETE ON time_off
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION schedule_version_bump();
CREATE CONSTRAINT TRIGGER patients_renamed AFTER UPDATE OF legal_name OR DELETE ON patients
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION schedule_version_bump();
