-- Things a clinician must see and clear with a note before the patient goes on: a risk answer
-- typed before a session or saved in a screening draft, a follow-up that needs review, and the
-- alerts raised at the bedside (deep sedation, dissociation, a reading outside the bounds).
-- Rows are never deleted; clearing fills who, when and the note (the action taken) once.

ALTER TABLE clinic_settings
    ADD COLUMN cadss_alert_threshold integer NOT NULL DEFAULT 30
        CHECK (cadss_alert_threshold BETWEEN 1 AND 92);

CREATE TABLE clinical_alerts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient_id      bigint NOT NULL REFERENCES patients (id),
    kind            text NOT NULL CHECK (kind IN
                        ('risk_answer', 'follow_up_review', 'deep_sedation', 'dissociation', 'vitals')),
    -- Where it was raised: a screening draft, an infusion (before it, or at the bedside), or
    -- a follow-up questionnaire.
    screening_id    bigint REFERENCES screenings (id),
    appointment_id  bigint REFERENCES appointments (id),
    result_id       bigint REFERENCES questionnaire_results (id),
    detail          text NOT NULL CHECK (length(detail) BETWEEN 1 AND 500),
    -- The answers that raised it, kept even when the form was never completed.
    answers         jsonb,
    raised_at       timestamptz NOT NULL DEFAULT now(),
    cleared_by      bigint REFERENCES users (id),
    cleared_at      timestamptz,
    clearing_note   text CHECK (length(clearing_note) BETWEEN 1 AND 1000),
    CONSTRAINT clinical_alerts_cleared_whole CHECK (
        (cleared_at IS NULL) = (cleared_by IS NULL) AND (cleared_at IS NULL) = (clearing_note IS NULL))
);
-- One open alert per kind and origin: saving a step again does not raise it twice.
CREATE UNIQUE INDEX clinical_alerts_one_open ON clinical_alerts
    (patient_id, kind, coalesce(screening_id, 0), coalesce(appointment_id, 0), coalesce(result_id, 0))
    WHERE cleared_at IS NULL;
CREATE INDEX clinical_alerts_open_idx ON clinical_alerts (raised_at, id) WHERE cleared_at IS NULL;
CREATE INDEX clinical_alerts_patient_idx ON clinical_alerts (patient_id, raised_at);

CREATE FUNCTION clinical_alerts_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
        RAISE EXCEPTION 'clinical alerts are never deleted' USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.cleared_at IS NOT NULL OR NEW.patient_id <> OLD.patient_id OR NEW.kind <> OLD.kind
       OR NEW.detail <> OLD.detail OR NEW.raised_at <> OLD.raised_at THEN
        RAISE EXCEPTION 'a clinical alert is only ever cleared, once' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER clinical_alerts_kept BEFORE UPDATE OR DELETE ON clinical_alerts
    FOR EACH ROW EXECUTE FUNCTION clinical_alerts_keep();
CREATE TRIGGER clinical_alerts_no_truncate BEFORE TRUNCATE ON clinical_alerts
    FOR EACH STATEMENT EXECUTE FUNCTION clinical_alerts_keep();
-- The flowsheet and course pages are remembered per patient record version (migration 0016).
CREATE CONSTRAINT TRIGGER clinical_alerts_changed AFTER INSERT OR UPDATE OR DELETE ON clinical_alerts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION patient_record_version_bump('patient');
