-- Account security: two-factor login (TOTP, RFC 6238) with recovery codes, a list of one's
-- own sessions, password reset and email verification by single-use tokens.

ALTER TABLE users
    -- The shared TOTP key while enabled, and the one shown during enrolment until confirmed.
    ADD COLUMN totp_secret bytea,
    ADD COLUMN totp_pending_secret bytea,
    ADD COLUMN totp_enabled_at timestamptz,
    -- The last 30-second step whose code was accepted: a code is never accepted twice.
    ADD COLUMN totp_last_step bigint,
    ADD COLUMN email_verified_at timestamptz,
    ADD CONSTRAINT users_totp_whole CHECK ((totp_secret IS NULL) = (totp_enabled_at IS NULL));

-- Staff accounts are made by an administrator for an address the clinic knows.
UPDATE users SET email_verified_at = created_at WHERE role <> 'patient';

-- Two-factor login is always required of clinicians and administrators; the clinic decides
-- for the front desk and for patients.
ALTER TABLE clinic_settings
    ADD COLUMN two_factor_front_desk boolean NOT NULL DEFAULT false,
    ADD COLUMN two_factor_patients boolean NOT NULL DEFAULT false;

-- Sessions get a plain number to name them by (the key is a hash of the cookie), and the
-- device and address they were opened from, so a user can recognise and end them.
ALTER TABLE sessions
    ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    ADD COLUMN client_addr text NOT NULL DEFAULT '' CHECK (length(client_addr) <= 100),
    ADD COLUMN user_agent text NOT NULL DEFAULT '' CHECK (length(user_agent) <= 500);

-- Ten single-use codes per account, stored as SHA-256 (each carries 60 random bits).
CREATE TABLE recovery_codes (
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- A login that passed the password and waits for its second factor. The cookie holds the
-- token; this table only its SHA-256.
CREATE TABLE login_challenges (
    token_hash  bytea PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    next        text NOT NULL DEFAULT '' CHECK (length(next) <= 500),
    attempts    integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_challenges_user_idx ON login_challenges (user_id);

-- Single-use links sent by email: password reset (30 minutes) and email verification.
CREATE TABLE account_tokens (
    token_hash  bytea PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     text NOT NULL CHECK (purpose IN ('password_reset', 'email_verification')),
    -- For verification: the address the link was sent to (it must still be the account's).
    email       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX account_tokens_user_idx ON account_tokens (user_id, purpose);

-- Turning two-factor login on or off changes what every session of the account may do.
DROP TRIGGER users_identity_changed ON users;
CREATE TRIGGER users_identity_changed AFTER UPDATE ON users
    FOR EACH ROW
    WHEN (OLD.role IS DISTINCT FROM NEW.role OR OLD.status IS DISTINCT FROM NEW.status
          OR OLD.display_name IS DISTINCT FROM NEW.display_name OR OLD.email IS DISTINCT FROM NEW.email
          OR OLD.totp_enabled_at IS DISTINCT FROM NEW.totp_enabled_at
          OR OLD.email_verified_at IS DISTINCT FROM NEW.email_verified_at)
    EXECUTE FUNCTION users_announce_change();
