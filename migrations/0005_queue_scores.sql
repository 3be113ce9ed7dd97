-- The clinician queue shows each screening's PHQ-9 and GAD-7 totals and bands. Copying them
-- onto the screening at submission (they never change after) lets the queue read one table
-- instead of probing questionnaire_results twice per row.

ALTER TABLE screenings
    ADD COLUMN phq9_total smallint,
    ADD COLUMN phq9_band  text,
    ADD COLUMN gad7_total smallint,
    ADD COLUMN gad7_band  text;

UPDATE screenings s
SET phq9_total = r.total, phq9_band = r.band
FROM questionnaire_results r
WHERE r.screening_id = s.id AND r.instrument = 'phq9';

UPDATE screenings s
SET gad7_total = r.total, gad7_band = r.band
FROM questionnaire_results r
WHERE r.screening_id = s.id AND r.instrument = 'gad7';

-- The copies are as read-only as the rest of a submitted screening.
CREATE OR REPLACE FUNCTION screenings_freeze_submitted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status <> 'draft' AND (NEW.intake IS DISTINCT FROM OLD.intake
        OR NEW.draft_answers IS DISTINCT FROM OLD.draft_answers
        OR NEW.flags IS DISTINCT FROM OLD.flags
        OR NEW.submitted_at IS DISTINCT FROM OLD.submitted_at
        OR NEW.patient_id IS DISTINCT FROM OLD.patient_id
        OR NEW.phq9_total IS DISTINCT FROM OLD.phq9_total
        OR NEW.phq9_band IS DISTINCT FROM OLD.phq9_band
        OR NEW.gad7_total IS DISTINCT FROM OLD.gad7_total
        OR NEW.gad7_band IS DISTINCT FROM OLD.gad7_band) THEN
        RAISE EXCEPTION 'a submitted screening is read-only' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

-- The queue pages by keyset (after or before a screening) rather than by offset, so a late
-- page costs what the first does. A row comparison needs every key ascending, hence NOT urgent.
DROP INDEX screenings_queue_idx;
CREATE INDEX screenings_queue_idx ON screenings ((NOT urgent), submitted_at, id)
    WHERE status = 'submitted';
