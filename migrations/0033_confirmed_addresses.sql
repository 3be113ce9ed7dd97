-- Nobody learns from a form whether an address has an account: a registration and an email
-- change wait here until the address's owner opens the emailed link.

-- A patient registration not yet confirmed. No account exists until the link is opened (so
-- logging in behaves as for an unknown address); a newer registration for the same address
-- replaces the older one. Expired rows are purged by the app's housekeeping.
CREATE TABLE pending_registrations (
    email          text PRIMARY KEY CHECK (email = lower(email) AND position('@' in email) > 1),
    display_name   text NOT NULL,
    date_of_birth  date NOT NULL,
    password_hash  text NOT NULL,
    token_hash     bytea NOT NULL UNIQUE,
    -- Wrong passwords typed on the confirmation page, counted before each is checked.
    attempts       integer NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL
);
CREATE INDEX pending_registrations_expiry_idx ON pending_registrations (expires_at);

-- An email change waiting for the new address to confirm it: one per account, replaced by a
-- newer request. The account keeps its old address until then.
CREATE TABLE pending_email_changes (
    user_id     bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    new_email   text NOT NULL CHECK (new_email = lower(new_email) AND position('@' in new_email) > 1),
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX pending_email_changes_expiry_idx ON pending_email_changes (expires_at);
