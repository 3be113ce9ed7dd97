-- Each app process keeps live sessions in memory (src/auth/session_cache.rs) and must hear
-- of every change that could end one or change who it belongs to. Notifications are sent
-- on commit, so a rolled-back change is never heard.

CREATE FUNCTION sessions_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed bigint;
    one bytea;
BEGIN
    SELECT count(*), (array_agg(id_hash))[1] INTO changed, one FROM changed_sessions;
    IF changed = 1 THEN
        PERFORM pg_notify('clinic_sessions', 'session:' || encode(one, 'hex'));
    ELSIF changed > 1 THEN
        -- Many at once (the purge of stale sessions, an account disabled): everyone starts afresh.
        PERFORM pg_notify('clinic_sessions', 'all');
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER sessions_updated AFTER UPDATE ON sessions
    REFERENCING OLD TABLE AS changed_sessions
    FOR EACH STATEMENT EXECUTE FUNCTION sessions_announce_change();
CREATE TRIGGER sessions_deleted AFTER DELETE ON sessions
    REFERENCING OLD TABLE AS changed_sessions
    FOR EACH STATEMENT EXECUTE FUNCTION sessions_announce_change();

CREATE FUNCTION users_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('clinic_sessions', 'user:' || OLD.id);
    RETURN NULL;
END $$;

CREATE TRIGGER users_identity_changed AFTER UPDATE ON users
    FOR EACH ROW
    WHEN (OLD.role IS DISTINCT FROM NEW.role OR OLD.status IS DISTINCT FROM NEW.status
          OR OLD.display_name IS DISTINCT FROM NEW.display_name OR OLD.email IS DISTINCT FROM NEW.email)
    EXECUTE FUNCTION users_announce_change();

CREATE FUNCTION clinic_settings_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('clinic_sessions', 'all');
    RETURN NULL;
END $$;

-- Idle and absolute session limits live in the clinic's settings.
CREATE TRIGGER clinic_settings_changed AFTER UPDATE ON clinic_settings
    FOR EACH STATEMENT EXECUTE FUNCTION clinic_settings_announce_change();
