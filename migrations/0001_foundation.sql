-- Foundation: clinic settings, staff and patient accounts, sessions, login throttling, audit trail.

-- One typed row of clinic-wide settings; the application reads it through src/settings.rs.
CREATE TABLE clinic_settings (
    id                      boolean PRIMARY KEY DEFAULT true CHECK (id),
    clinic_name             text    NOT NULL DEFAULT 'Ketamine Infusion Clinic',
    clinic_phone            text    NOT NULL DEFAULT '',
    staff_idle_minutes      integer NOT NULL DEFAULT 15 CHECK (staff_idle_minutes BETWEEN 1 AND 720),
    patient_idle_minutes    integer NOT NULL DEFAULT 30 CHECK (patient_idle_minutes BETWEEN 1 AND 720),
    session_absolute_hours  integer NOT NULL DEFAULT 12 CHECK (session_absolute_hours BETWEEN 1 AND 72),
    lockout_failures        integer NOT NULL DEFAULT 5  CHECK (lockout_failures BETWEEN 3 AND 100),
    lockout_minutes         integer NOT NULL DEFAULT 15 CHECK (lockout_minutes BETWEEN 1 AND 1440),
    address_failures        integer NOT NULL DEFAULT 30 CHECK (address_failures BETWEEN 5 AND 10000),
    allow_minors            boolean NOT NULL DEFAULT false,
    updated_at              timestamptz NOT NULL DEFAULT now()
);
INSERT INTO clinic_settings DEFAULT VALUES;

CREATE TYPE user_role AS ENUM ('patient', 'front_desk', 'clinician', 'admin');
CREATE TYPE account_status AS ENUM ('active', 'disabled');

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text NOT NULL CHECK (email = lower(email) AND position('@' in email) > 1),
    display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    role          user_role NOT NULL,
    status        account_status NOT NULL DEFAULT 'active',
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email)
);
CREATE INDEX users_staff_idx ON users (role, display_name) WHERE role <> 'patient';

-- The clinical person; a patient may exist before (or without) a login.
CREATE TABLE patients (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id        bigint UNIQUE REFERENCES users (id),
    legal_name     text NOT NULL CHECK (length(legal_name) BETWEEN 1 AND 200),
    date_of_birth  date NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- Server-side sessions: only a SHA-256 of the cookie value is stored, so a database leak
-- does not hand out live sessions.
CREATE TABLE sessions (
    id_hash      bytea PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- Failed logins, by the email as typed (so unknown emails lock exactly like known ones)
-- and by client address. Kept in the database so every app process sees the same counts.
CREATE TABLE login_failures (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email        text NOT NULL,
    client_addr  text NOT NULL,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_email_idx ON login_failures (email, at);
CREATE INDEX login_failures_addr_idx ON login_failures (client_addr, at);

-- Append-only audit trail, hash-chained: each row's hash covers its content and the
-- previous row's hash, so an edit or deletion made behind the database's back shows up
-- in `clinic audit verify`.
CREATE TABLE audit_events (
    id           bigint PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor_id     bigint,
    actor_role   text,
    action       text NOT NULL,
    patient_id   bigint,
    outcome      text NOT NULL,
    client_addr  text,
    request_id   text,
    detail       text,
    prev_hash    bytea NOT NULL,
    hash         bytea NOT NULL
);
CREATE SEQUENCE audit_events_id_seq OWNED BY audit_events.id;
CREATE INDEX audit_events_at_idx ON audit_events (at DESC, id DESC);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, id DESC);
CREATE INDEX audit_events_patient_idx ON audit_events (patient_id, id DESC);
CREATE INDEX audit_events_action_idx ON audit_events (action, id DESC);

-- The one definition of what a row's hash covers; used by the insert trigger and by verify.
CREATE FUNCTION audit_event_digest(
    prev_hash bytea, id bigint, at timestamptz, actor_id bigint, actor_role text, action text,
    patient_id bigint, outcome text, client_addr text, request_id text, detail text
) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(prev_hash || convert_to(concat_ws(E'\x1f',
        id::text,
        to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        coalesce(actor_id::text, ''), coalesce(actor_role, ''), action,
        coalesce(patient_id::text, ''), outcome, coalesce(client_addr, ''),
        coalesce(request_id, ''), coalesce(detail, '')), 'UTF8'))
$$;

CREATE FUNCTION audit_events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    previous bytea;
BEGIN
    -- Serialise writers so ids, order and chain agree; held until the transaction ends.
    PERFORM pg_advisory_xact_lock(7244001);
    NEW.id := nextval('audit_events_id_seq');
    NEW.at := clock_timestamp();
    SELECT hash INTO previous FROM audit_events ORDER BY id DESC LIMIT 1;
    NEW.prev_hash := coalesce(previous, '\x'::bytea);
    NEW.hash := audit_event_digest(NEW.prev_hash, NEW.id, NEW.at, NEW.actor_id, NEW.actor_role,
        NEW.action, NEW.patient_id, NEW.outcome, NEW.client_addr, NEW.request_id, NEW.detail);
    RETURN NEW;
END $$;

CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_chain();
CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
