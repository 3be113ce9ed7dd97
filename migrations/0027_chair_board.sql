-- The chair board (the day view) shows how far each infusion's flowsheet has gone
-- (infusing, recovering, done) and keeps cancelled and no-show appointments in view, faint.
-- Its remembered drawings (src/scheduling/reference.rs) are redrawn when the schedule's
-- version moves, so the flowsheet's milestones move it too (only those: vitals do not show).
CREATE CONSTRAINT TRIGGER infusion_progress_changed
    AFTER INSERT OR UPDATE OF started_at, ended_at, signed_at ON infusion_records
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION schedule_version_bump();

-- The board reads every appointment of the day, whatever its status; the existing index on
-- start times only holds the live ones.
CREATE INDEX appointments_starts_idx ON appointments (starts_at);
