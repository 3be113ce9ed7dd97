-- Patient profile, pre-infusion screening, questionnaire results and clinician decisions.

ALTER TABLE clinic_settings
    ADD COLUMN pcl5_enabled boolean NOT NULL DEFAULT false,
    ADD COLUMN eligibility_days integer NOT NULL DEFAULT 180 CHECK (eligibility_days BETWEEN 1 AND 3650);

CREATE TYPE sex_at_birth AS ENUM ('female', 'male', 'intersex');

ALTER TABLE patients
    ADD COLUMN preferred_name text CHECK (length(preferred_name) <= 200),
    ADD COLUMN sex_at_birth sex_at_birth,
    ADD COLUMN phone text CHECK (length(phone) <= 40),
    ADD COLUMN address text CHECK (length(address) <= 500),
    ADD COLUMN emergency_contact_name text CHECK (length(emergency_contact_name) <= 200),
    ADD COLUMN emergency_contact_phone text CHECK (length(emergency_contact_phone) <= 40),
    -- Metric only; imperial entry is converted before it gets here.
    ADD COLUMN weight_kg numeric(5, 1) CHECK (weight_kg BETWEEN 20 AND 300),
    ADD COLUMN height_cm numeric(4, 1) CHECK (height_cm BETWEEN 50 AND 250),
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- Front desk lists and searches patients by name.
CREATE INDEX patients_name_idx ON patients ((lower(legal_name) COLLATE "C"), id);

CREATE TYPE screening_status AS ENUM ('draft', 'submitted', 'decided');

-- One screening = intake answers + the instruments taken with it + computed flags. A draft
-- is saved step by step; once submitted it is read-only, and a change means a new one.
CREATE TABLE screenings (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient_id      bigint NOT NULL REFERENCES patients (id),
    status          screening_status NOT NULL DEFAULT 'draft',
    intake          jsonb NOT NULL DEFAULT '{}',
    -- Instrument answers while in draft: {"phq9": [0, 1, null, ...], ...}.
    draft_answers   jsonb NOT NULL DEFAULT '{}',
    flags           jsonb NOT NULL DEFAULT '[]',
    urgent          boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    submitted_at    timestamptz,
    CHECK ((status = 'draft') = (submitted_at IS NULL))
);
CREATE UNIQUE INDEX screenings_one_draft_idx ON screenings (patient_id) WHERE status = 'draft';
CREATE INDEX screenings_patient_idx ON screenings (patient_id, id DESC);
-- The clinician queue: urgent first, then oldest.
CREATE INDEX screenings_queue_idx ON screenings (urgent DESC, submitted_at, id) WHERE status = 'submitted';

-- A submitted screening never changes (its decision lives in screening_decisions).
CREATE FUNCTION screenings_freeze_submitted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status <> 'draft' AND (NEW.intake IS DISTINCT FROM OLD.intake
        OR NEW.draft_answers IS DISTINCT FROM OLD.draft_answers
        OR NEW.flags IS DISTINCT FROM OLD.flags
        OR NEW.submitted_at IS DISTINCT FROM OLD.submitted_at
        OR NEW.patient_id IS DISTINCT FROM OLD.patient_id) THEN
        RAISE EXCEPTION 'a submitted screening is read-only' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER screenings_freeze BEFORE UPDATE ON screenings
    FOR EACH ROW EXECUTE FUNCTION screenings_freeze_submitted();

-- One store for every scored questionnaire (screening, pre-session, follow-up).
CREATE TABLE questionnaire_results (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient_id    bigint NOT NULL REFERENCES patients (id),
    instrument    text NOT NULL,
    version       text NOT NULL,
    answers       jsonb NOT NULL,
    total         smallint,
    band          text,
    context       text NOT NULL CHECK (context IN ('screening', 'session', 'follow_up')),
    screening_id  bigint REFERENCES screenings (id),
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT questionnaire_results_one_per_screening UNIQUE (screening_id, instrument)
);
CREATE INDEX questionnaire_results_patient_idx ON questionnaire_results (patient_id, instrument, recorded_at);

CREATE TYPE eligibility AS ENUM ('eligible', 'not_eligible', 'needs_information');

-- Decisions are appended, never edited: the latest one for a screening stands.
CREATE TABLE screening_decisions (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    screening_id      bigint NOT NULL REFERENCES screenings (id),
    decision          eligibility NOT NULL,
    clinician_note    text NOT NULL CHECK (length(clinician_note) BETWEEN 1 AND 5000),
    patient_message   text NOT NULL CHECK (length(patient_message) BETWEEN 1 AND 2000),
    override_reason   text CHECK (length(override_reason) <= 2000),
    acknowledged      jsonb NOT NULL DEFAULT '[]',
    eligible_until    date,
    decided_by        bigint NOT NULL REFERENCES users (id),
    decided_at        timestamptz NOT NULL DEFAULT now(),
    CHECK ((decision = 'eligible') = (eligible_until IS NOT NULL))
);
CREATE INDEX screening_decisions_screening_idx ON screening_decisions (screening_id, id DESC);

-- In-app notices for staff (e.g. an urgent screening); email goes through the outbox later.
CREATE TABLE staff_notifications (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    role          user_role NOT NULL,
    kind          text NOT NULL,
    screening_id  bigint REFERENCES screenings (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    read_by       bigint REFERENCES users (id),
    read_at       timestamptz
);
CREATE INDEX staff_notifications_unread_idx ON staff_notifications (role, created_at DESC) WHERE read_at IS NULL;
