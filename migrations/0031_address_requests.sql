-- Requests that cost the server a password hash or an email (registrations, password-reset
-- requests), counted per client address so that one address cannot flood them. Counted in
-- the database, like failed logins, so every app process sees the same numbers; rows older
-- than a day are purged by the app's housekeeping.
CREATE TABLE address_requests (
    id bigserial PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('registration', 'password_reset')),
    client_addr text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX address_requests_by_address ON address_requests (client_addr, kind, at);
