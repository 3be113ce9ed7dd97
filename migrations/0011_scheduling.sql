-- Scheduling: chairs, clinicians' working hours and time off, appointments that can never
-- double-book a chair, a clinician or a patient (exclusion constraints), their status history,
-- reminders through the outbox, and private calendar feeds.

CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

ALTER TABLE clinic_settings
    ADD COLUMN consultation_minutes integer NOT NULL DEFAULT 30 CHECK (consultation_minutes BETWEEN 5 AND 240),
    -- Chair time: the infusion (about 40 minutes) and the monitoring after it.
    ADD COLUMN infusion_minutes integer NOT NULL DEFAULT 150 CHECK (infusion_minutes BETWEEN 30 AND 480),
    ADD COLUMN follow_up_minutes integer NOT NULL DEFAULT 20 CHECK (follow_up_minutes BETWEEN 5 AND 240),
    ADD COLUMN min_infusion_interval_hours integer NOT NULL DEFAULT 48
        CHECK (min_infusion_interval_hours BETWEEN 0 AND 2160),
    ADD COLUMN max_infusions_per_30_days integer NOT NULL DEFAULT 8
        CHECK (max_infusions_per_30_days BETWEEN 1 AND 31),
    ADD COLUMN late_cancel_hours integer NOT NULL DEFAULT 24 CHECK (late_cancel_hours BETWEEN 0 AND 168),
    ADD COLUMN reminder_hours integer NOT NULL DEFAULT 24 CHECK (reminder_hours BETWEEN 1 AND 168);

-- Infusion chairs (or rooms): an infusion occupies one for its whole chair time.
CREATE TABLE chairs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT chairs_name_key UNIQUE (name)
);
INSERT INTO chairs (name) VALUES ('Chair 1'), ('Chair 2');

-- A clinician's weekly working hours in the clinic's local time (weekday 1 = Monday). Kept
-- local so that 09:00 stays 09:00 across daylight-saving changes.
CREATE TABLE clinician_hours (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    clinician_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    weekday       smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    starts        time NOT NULL,
    ends          time NOT NULL,
    CHECK (ends > starts),
    -- No two blocks of one clinician's day overlap.
    CONSTRAINT clinician_hours_no_overlap EXCLUDE USING gist (
        clinician_id WITH =, weekday WITH =,
        tsrange(date '2000-01-01' + starts, date '2000-01-01' + ends) WITH &&)
);

CREATE TABLE time_off (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    clinician_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    during        tstzrange NOT NULL CHECK (NOT isempty(during)),
    reason        text NOT NULL DEFAULT '' CHECK (length(reason) <= 200),
    created_by    bigint REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX time_off_clinician_idx ON time_off USING gist (clinician_id, during);

CREATE TYPE appointment_kind AS ENUM ('consultation', 'infusion', 'follow_up');
CREATE TYPE appointment_status AS ENUM ('booked', 'checked_in', 'completed', 'cancelled', 'no_show');

CREATE TABLE appointments (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient_id         bigint NOT NULL REFERENCES patients (id),
    kind               appointment_kind NOT NULL,
    clinician_id       bigint NOT NULL REFERENCES users (id),
    chair_id           bigint REFERENCES chairs (id),
    during             tstzrange NOT NULL
        CHECK (NOT isempty(during) AND lower_inc(during) AND NOT upper_inc(during)),
    status             appointment_status NOT NULL DEFAULT 'booked',
    late_cancellation  boolean NOT NULL DEFAULT false,
    -- A clinician's reason for booking past the interval or monthly limit.
    gate_override      text CHECK (length(gate_override) <= 500),
    booked_by          bigint NOT NULL REFERENCES users (id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    -- The range's ends as plain columns, so indexes can hand them out without the table.
    starts_at          timestamptz NOT NULL GENERATED ALWAYS AS (lower(during)) STORED,
    ends_at            timestamptz NOT NULL GENERATED ALWAYS AS (upper(during)) STORED,
    CHECK ((kind = 'infusion') = (chair_id IS NOT NULL)),
    CHECK (upper(during) - lower(during) <= interval '1 day'),
    -- The guarantee against double booking: PostgreSQL refuses overlapping live appointments
    -- of one clinician, one chair or one patient, whatever the application checked before.
    CONSTRAINT appointments_clinician_free EXCLUDE USING gist (clinician_id WITH =, during WITH &&)
        WHERE (status IN ('booked', 'checked_in', 'completed')),
    CONSTRAINT appointments_chair_free EXCLUDE USING gist (chair_id WITH =, during WITH &&)
        WHERE (chair_id IS NOT NULL AND status IN ('booked', 'checked_in', 'completed')),
    CONSTRAINT appointments_patient_free EXCLUDE USING gist (patient_id WITH =, during WITH &&)
        WHERE (status IN ('booked', 'checked_in', 'completed'))
);
-- The day and week views and availability: everything live in a time range, found by its
-- start (no appointment is longer than a day, so the start bounds the scan); the end, the
-- clinician and the chair come with the index, so availability never reads the table.
CREATE INDEX appointments_live_starts_idx ON appointments (starts_at)
    INCLUDE (ends_at, clinician_id, chair_id)
    WHERE status IN ('booked', 'checked_in', 'completed');
-- A patient's list, upcoming and past.
CREATE INDEX appointments_patient_idx ON appointments (patient_id, starts_at);

-- Every change of an appointment, kept: who booked, moved, cancelled, checked in, and when.
CREATE TABLE appointment_changes (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appointment_id  bigint NOT NULL REFERENCES appointments (id),
    change          text NOT NULL CHECK (change IN ('booked', 'rescheduled', 'cancelled', 'checked_in', 'no_show', 'completed')),
    during          tstzrange NOT NULL,
    by_user         bigint NOT NULL REFERENCES users (id),
    note            text CHECK (length(note) <= 500),
    at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX appointment_changes_appointment_idx ON appointment_changes (appointment_id, id);

-- Reminders are outbox rows due before the appointment; moving or cancelling it removes the
-- unsent one, and the worker skips any whose appointment is no longer booked.
ALTER TABLE outbox ADD COLUMN appointment_id bigint REFERENCES appointments (id);
CREATE INDEX outbox_appointment_idx ON outbox (appointment_id) WHERE sent_at IS NULL;

-- Private calendar feeds: the URL carries a token; only its SHA-256 is kept. Revoking makes a
-- new one.
CREATE TABLE calendar_feeds (
    token_hash  bytea PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE UNIQUE INDEX calendar_feeds_one_live_idx ON calendar_feeds (user_id) WHERE revoked_at IS NULL;

-- The front desk finds patients by any part of the name or phone number, in any case.
CREATE INDEX patients_name_trgm_idx ON patients USING gin (lower(legal_name) gin_trgm_ops);
CREATE INDEX patients_phone_digits_idx ON patients
    USING gin ((regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g')) gin_trgm_ops);
CREATE INDEX patients_birth_idx ON patients (date_of_birth);

-- In-app notices can name the patient they are about (a withdrawal of consent, for the front
-- desk: the patient's future infusions were cancelled).
ALTER TABLE staff_notifications ADD COLUMN patient_id bigint REFERENCES patients (id);

-- Each app process remembers chairs and working hours (src/scheduling/reference.rs); a change
-- tells every process to read them again (the channel of migration 0006).
CREATE FUNCTION scheduling_reference_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('clinic_sessions', 'reference');
    RETURN NULL;
END $$;
CREATE TRIGGER chairs_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chairs
    FOR EACH STATEMENT EXECUTE FUNCTION scheduling_reference_announce_change();
CREATE TRIGGER clinician_hours_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON clinician_hours
    FOR EACH STATEMENT EXECUTE FUNCTION scheduling_reference_announce_change();
-- New staff accounts change the list of clinicians (changes to existing ones are announced
-- by users_identity_changed).
CREATE TRIGGER users_added AFTER INSERT ON users
    FOR EACH STATEMENT EXECUTE FUNCTION scheduling_reference_announce_change();
