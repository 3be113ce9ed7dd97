-- The infusion flowsheet: one record per infusion appointment, from check-in to signed
-- discharge, with its vitals readings, events and signed addenda. A signed record is locked
-- by the database; corrections are addenda.

ALTER TABLE clinic_settings
    ADD COLUMN bp_hold_systolic integer NOT NULL DEFAULT 160 CHECK (bp_hold_systolic BETWEEN 100 AND 220),
    ADD COLUMN bp_hold_diastolic integer NOT NULL DEFAULT 100 CHECK (bp_hold_diastolic BETWEEN 60 AND 140),
    ADD COLUMN max_dose_mg_per_kg double precision NOT NULL DEFAULT 1.0
        CHECK (max_dose_mg_per_kg > 0 AND max_dose_mg_per_kg <= 5),
    ADD COLUMN max_dose_mg double precision NOT NULL DEFAULT 100 CHECK (max_dose_mg > 0 AND max_dose_mg <= 500),
    ADD COLUMN vitals_interval_minutes integer NOT NULL DEFAULT 15 CHECK (vitals_interval_minutes BETWEEN 5 AND 60),
    ADD COLUMN alert_systolic_low integer NOT NULL DEFAULT 90,
    ADD COLUMN alert_systolic_high integer NOT NULL DEFAULT 180,
    ADD COLUMN alert_diastolic_low integer NOT NULL DEFAULT 50,
    ADD COLUMN alert_diastolic_high integer NOT NULL DEFAULT 110,
    ADD COLUMN alert_heart_rate_low integer NOT NULL DEFAULT 50,
    ADD COLUMN alert_heart_rate_high integer NOT NULL DEFAULT 120,
    ADD COLUMN alert_spo2_low integer NOT NULL DEFAULT 92 CHECK (alert_spo2_low BETWEEN 80 AND 100),
    ADD COLUMN alert_resp_rate_low integer NOT NULL DEFAULT 10,
    ADD COLUMN alert_resp_rate_high integer NOT NULL DEFAULT 24,
    ADD COLUMN discharge_bp_margin integer NOT NULL DEFAULT 20 CHECK (discharge_bp_margin BETWEEN 0 AND 60),
    ADD COLUMN discharge_hr_margin integer NOT NULL DEFAULT 20 CHECK (discharge_hr_margin BETWEEN 0 AND 60),
    ADD COLUMN follow_up_every_infusions integer NOT NULL DEFAULT 6 CHECK (follow_up_every_infusions BETWEEN 1 AND 50),
    ADD COLUMN follow_up_every_months integer NOT NULL DEFAULT 3 CHECK (follow_up_every_months BETWEEN 1 AND 24),
    ADD CONSTRAINT clinic_settings_alert_ranges CHECK (
        alert_systolic_low < alert_systolic_high AND alert_diastolic_low < alert_diastolic_high
        AND alert_heart_rate_low < alert_heart_rate_high AND alert_resp_rate_low < alert_resp_rate_high);

CREATE TYPE dose_route AS ENUM ('iv', 'im', 'intranasal');

-- The clinic's dosing protocols; an order names one and any deviation from it needs a reason.
CREATE TABLE infusion_protocols (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 80),
    route       dose_route NOT NULL,
    mg_per_kg   double precision NOT NULL CHECK (mg_per_kg > 0 AND mg_per_kg <= 5),
    minutes     integer NOT NULL CHECK (minutes BETWEEN 1 AND 240),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO infusion_protocols (name, route, mg_per_kg, minutes)
VALUES ('IV 0.5 mg/kg over 40 min', 'iv', 0.5, 40);

CREATE TYPE pregnancy_test AS ENUM ('negative', 'positive', 'not_applicable');

CREATE TABLE infusion_records (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appointment_id      bigint NOT NULL UNIQUE REFERENCES appointments (id),
    patient_id          bigint NOT NULL REFERENCES patients (id),
    opened_by           bigint NOT NULL REFERENCES users (id),
    opened_at           timestamptz NOT NULL DEFAULT now(),
    -- Check-in.
    checked_in_by       bigint REFERENCES users (id),
    checked_in_at       timestamptz,
    fasting_confirmed   boolean NOT NULL DEFAULT false,
    escort_confirmed    boolean NOT NULL DEFAULT false,
    pregnancy_test      pregnancy_test,
    weight_kg           double precision CHECK (weight_kg BETWEEN 20 AND 350),
    bp_override_reason  text CHECK (length(bp_override_reason) BETWEEN 1 AND 500),
    -- The dose order.
    protocol_id         bigint REFERENCES infusion_protocols (id),
    mg_per_kg           double precision CHECK (mg_per_kg > 0 AND mg_per_kg <= 5),
    dose_mg             double precision CHECK (dose_mg > 0 AND dose_mg <= 500),
    route               dose_route,
    minutes             integer CHECK (minutes BETWEEN 1 AND 240),
    deviation_reason    text CHECK (length(deviation_reason) BETWEEN 1 AND 500),
    lot_number          text CHECK (length(lot_number) BETWEEN 1 AND 40),
    ordered_by          bigint REFERENCES users (id),
    ordered_at          timestamptz,
    started_at          timestamptz,
    ended_at            timestamptz,
    -- Discharge and signature.
    escort_present      boolean NOT NULL DEFAULT false,
    no_driving_acknowledged boolean NOT NULL DEFAULT false,
    signed_by           bigint REFERENCES users (id),
    signed_name         text,
    signature_meaning   text,
    signed_at           timestamptz,
    CONSTRAINT infusion_records_order_complete CHECK (
        (ordered_at IS NULL) = (dose_mg IS NULL) AND (ordered_at IS NULL) = (lot_number IS NULL)),
    CONSTRAINT infusion_records_started_after_order CHECK (started_at IS NULL OR ordered_at IS NOT NULL),
    CONSTRAINT infusion_records_ended_after_start CHECK (
        ended_at IS NULL OR (started_at IS NOT NULL AND ended_at >= started_at)),
    CONSTRAINT infusion_records_signature_complete CHECK (
        (signed_at IS NULL) = (signed_by IS NULL) AND (signed_at IS NULL) = (signed_name IS NULL)
        AND (signed_at IS NULL) = (signature_meaning IS NULL)),
    CONSTRAINT infusion_records_signed_after_end CHECK (signed_at IS NULL OR ended_at IS NOT NULL)
);
CREATE INDEX infusion_records_patient_idx ON infusion_records (patient_id, opened_at);

CREATE TYPE vitals_phase AS ENUM ('baseline', 'infusion', 'recovery');

CREATE TABLE vitals_readings (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    record_id    bigint NOT NULL REFERENCES infusion_records (id),
    taken_at     timestamptz NOT NULL DEFAULT now(),
    phase        vitals_phase NOT NULL,
    systolic     integer NOT NULL CHECK (systolic BETWEEN 50 AND 260),
    diastolic    integer NOT NULL CHECK (diastolic BETWEEN 20 AND 160),
    heart_rate   integer NOT NULL CHECK (heart_rate BETWEEN 20 AND 250),
    spo2         integer NOT NULL CHECK (spo2 BETWEEN 50 AND 100),
    resp_rate    integer NOT NULL CHECK (resp_rate BETWEEN 4 AND 60),
    recorded_by  bigint NOT NULL REFERENCES users (id),
    CHECK (diastolic < systolic)
);
CREATE INDEX vitals_readings_record_idx ON vitals_readings (record_id, taken_at);

CREATE TYPE event_severity AS ENUM ('mild', 'moderate', 'severe');

CREATE TABLE infusion_events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    record_id     bigint NOT NULL REFERENCES infusion_records (id),
    at            timestamptz NOT NULL DEFAULT now(),
    kind          text NOT NULL CHECK (kind IN ('side_effect', 'moaas', 'cadss')),
    side_effect   text CHECK (length(side_effect) BETWEEN 1 AND 40),
    severity      event_severity,
    intervention  text CHECK (length(intervention) BETWEEN 1 AND 500),
    note          text CHECK (length(note) BETWEEN 1 AND 500),
    moaas         smallint CHECK (moaas BETWEEN 0 AND 5),
    cadss_total   smallint CHECK (cadss_total BETWEEN 0 AND 92),
    recorded_by   bigint NOT NULL REFERENCES users (id),
    CHECK ((kind = 'side_effect') = (side_effect IS NOT NULL AND severity IS NOT NULL)),
    CHECK ((kind = 'moaas') = (moaas IS NOT NULL)),
    CHECK ((kind = 'cadss') = (cadss_total IS NOT NULL))
);
CREATE INDEX infusion_events_record_idx ON infusion_events (record_id, at);

CREATE TABLE infusion_addenda (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    record_id          bigint NOT NULL REFERENCES infusion_records (id),
    body               text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    signed_by          bigint NOT NULL REFERENCES users (id),
    signed_name        text NOT NULL,
    signature_meaning  text NOT NULL,
    signed_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX infusion_addenda_record_idx ON infusion_addenda (record_id, signed_at);

-- Pre-session measures (PHQ-9, GAD-7) belong to the infusion they were taken for.
ALTER TABLE questionnaire_results ADD COLUMN appointment_id bigint REFERENCES appointments (id);
CREATE UNIQUE INDEX questionnaire_results_one_per_appointment
    ON questionnaire_results (appointment_id, instrument) WHERE appointment_id IS NOT NULL;

-- Locks. A signed record never changes and is never deleted; nothing is added to it but
-- addenda; readings, events and addenda are never edited or deleted.
CREATE FUNCTION infusion_records_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
        RAISE EXCEPTION 'infusion records are never deleted' USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.signed_at IS NOT NULL THEN
        RAISE EXCEPTION 'a signed infusion record is locked: add a signed addendum'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER infusion_records_locked BEFORE UPDATE OR DELETE ON infusion_records
    FOR EACH ROW EXECUTE FUNCTION infusion_records_lock();

CREATE FUNCTION infusion_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION '% entries are never changed or deleted', TG_TABLE_NAME
            USING ERRCODE = 'check_violation';
    END IF;
    IF TG_TABLE_NAME = 'infusion_addenda' THEN
        IF NOT EXISTS (SELECT 1 FROM infusion_records WHERE id = NEW.record_id AND signed_at IS NOT NULL) THEN
            RAISE EXCEPTION 'addenda are added to signed records only' USING ERRCODE = 'check_violation';
        END IF;
    ELSIF EXISTS (SELECT 1 FROM infusion_records WHERE id = NEW.record_id AND signed_at IS NOT NULL) THEN
        RAISE EXCEPTION 'a signed infusion record is locked: add a signed addendum'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER vitals_readings_append_only BEFORE INSERT OR UPDATE OR DELETE ON vitals_readings
    FOR EACH ROW EXECUTE FUNCTION infusion_entries_append_only();
CREATE TRIGGER infusion_events_append_only BEFORE INSERT OR UPDATE OR DELETE ON infusion_events
    FOR EACH ROW EXECUTE FUNCTION infusion_entries_append_only();
CREATE TRIGGER infusion_addenda_append_only BEFORE INSERT OR UPDATE OR DELETE ON infusion_addenda
    FOR EACH ROW EXECUTE FUNCTION infusion_entries_append_only();
CREATE TRIGGER infusion_entries_no_truncate BEFORE TRUNCATE ON infusion_records
    FOR EACH STATEMENT EXECUTE FUNCTION infusion_records_lock();
