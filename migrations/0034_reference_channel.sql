-- Reference data (settings, accounts' names and roles, chairs, working hours, protocols,
-- consent versions) is announced on its own channel, `clinic_reference`, which the app's one
-- cache follows (src/cache/changes.rs); `clinic_sessions` is left to sessions. Notifications
-- are sent on commit, so a rolled-back change is never heard.

CREATE OR REPLACE FUNCTION scheduling_reference_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('clinic_reference', '');
    RETURN NULL;
END $$;

-- An account's name, email, role or status: its sessions, and lists of staff.
CREATE OR REPLACE FUNCTION users_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('clinic_sessions', 'user:' || OLD.id);
    PERFORM pg_notify('clinic_reference', '');
    RETURN NULL;
END $$;

-- Session limits live in the clinic's settings, beside the reference data.
CREATE OR REPLACE FUNCTION clinic_settings_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('clinic_sessions', 'all');
    PERFORM pg_notify('clinic_reference', '');
    RETURN NULL;
END $$;
