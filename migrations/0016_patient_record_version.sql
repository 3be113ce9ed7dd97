-- Each app process remembers the course and flowsheet pages' data of the patients lately
-- shown (src/treatment/remembered.rs) under the patient's record version, and reads it again
-- once the version has moved on. Any change to what those pages show of a patient moves it:
-- questionnaires, screenings and decisions, consent, appointments, the infusion record and
-- its readings, events and addenda, and the patient's own details. As for the schedule's
-- version (migration 0012), deferred triggers bump it at commit, after every other lock the
-- transaction takes; a reader sees the new version exactly when it sees the change.
CREATE TABLE patient_record_versions (
    patient_id bigint PRIMARY KEY REFERENCES patients (id) ON DELETE CASCADE,
    version bigint NOT NULL
);

-- TG_ARGV[0] says how the changed row leads to its patient: its patient_id column, the
-- patient row itself, its screening, or its infusion record.
CREATE FUNCTION patient_record_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
    patient bigint;
BEGIN
    patient := CASE TG_ARGV[0]
        WHEN 'patient' THEN (changed ->> 'patient_id')::bigint
        WHEN 'self' THEN (changed ->> 'id')::bigint
        WHEN 'screening' THEN
            (SELECT patient_id FROM screenings WHERE id = (changed ->> 'screening_id')::bigint)
        WHEN 'record' THEN
            (SELECT patient_id FROM infusion_records WHERE id = (changed ->> 'record_id')::bigint)
    END;
    -- A patient deleted in the same transaction has nothing left to remember.
    INSERT INTO patient_record_versions AS v (patient_id, version)
    SELECT id, 1 FROM patients WHERE id = patient
    ON CONFLICT (patient_id) DO UPDATE SET version = v.version + 1;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER patient_details_changed AFTER UPDATE ON patients
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION patient_record_version_bump('self');
CREATE CONSTRAINT TRIGGER questionnaire_results_changed AFTER INSERT OR UPDATE OR DELETE ON questionnaire_results
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION patient_record_version_bump('patient');
CREATE CONSTRAINT TRIGGER screenings_changed AFTER INSERT OR UPDATE OR DELETE ON screenings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION patient_record_version_bump('patient');
CREATE CONSTRAINT TRIGGER screening_decisions_changed AFTER INSERT OR UPDATE OR DELETE ON screening_decisions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION patient_record_version_bump('screening');
CREATE CONSTRAINT TRIGGER consent_signatures_changed AFTER INSERT OR UPDATE OR DELETE ON consent_signatures
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION patient_record_version_bump('patient');
CREATE CONSTRAINT TRIGGER consent_withdrawals_changed AFTER INSERT OR UPDATE OR DELETE ON consent_withdrawals
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION patient_record_version_bump('patient');
CREATE CONSTRAINT TRIGGER appointments_changed_for_patient AFTER INSERT OR UPDATE OR DELETE ON appointments
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION patient_record_version_bump('patient');
CREATE CONSTRAINT TRIGGER infusion_records_changed AFTER INSERT OR UPDATE OR DELETE ON infusion_records
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION patient_record_version_bump('patient');
CREATE CONSTRAINT TRIGGER vitals_readings_changed AFTER INSERT OR UPDATE OR DELETE ON vitals_readings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION patient_record_version_bump('record');
CREATE CONSTRAINT TRIGGER infusion_events_changed AFTER INSERT OR UPDATE OR DELETE ON infusion_events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION patient_record_version_bump('record');
CREATE CONSTRAINT TRIGGER infusion_addenda_changed AFTER INSERT OR UPDATE OR DELETE ON infusion_addenda
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION patient_record_version_bump('record');

-- What those pages show beside the patient's own rows is reference data, remembered by
-- every process until PostgreSQL announces a change (the channel of migration 0006): the
-- dosing protocols, the consent version in force, and staff names.
CREATE TRIGGER infusion_protocols_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON infusion_protocols
    FOR EACH STATEMENT EXECUTE FUNCTION scheduling_reference_announce_change();
CREATE TRIGGER consent_versions_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON consent_versions
    FOR EACH STATEMENT EXECUTE FUNCTION scheduling_reference_announce_change();
CREATE TRIGGER users_renamed AFTER UPDATE OF display_name ON users
    FOR EACH STATEMENT EXECUTE FUNCTION scheduling_reference_announce_change();
