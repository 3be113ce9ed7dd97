-- An audit trail the application cannot shorten, and an application role that owns nothing.
--
-- 1. Waiting entries in audit_inbox could be deleted before the sealer chained them. Now a
--    row may leave the inbox only once its sealed copy is in audit_events.
-- 2. Sealing runs in one function owned by the migrating (owner) role, which checks that each
--    new link continues the chain and matches its entry, so the app needs no right to delete.
-- 3. Role `clinic_app`: what the app connects as in production. It may read and write the
--    clinic's tables, but only read and insert audit entries (and run the sealing function).
--    Created here without a password or login; the operator gives it a login (README, Deploy).

CREATE FUNCTION audit_inbox_refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM audit_events WHERE id = OLD.id) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_inbox: an entry not yet sealed cannot be deleted'
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_inbox_no_delete BEFORE DELETE ON audit_inbox
    FOR EACH ROW EXECUTE FUNCTION audit_inbox_refuse_delete();

-- Moves inbox entries to the end of the chain with the positions and hashes the app computed
-- (hashing in the app keeps the lock short); refuses any that do not continue the chain.
CREATE FUNCTION audit_seal_entries(ids bigint[], seqs bigint[], prev_hashes bytea[],
                                   hashes bytea[])
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    head_seq bigint;
    head_hash bytea;
    bad bigint;
    moved bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(7244001);
    SELECT chain_seq, hash INTO head_seq, head_hash
        FROM audit_events ORDER BY chain_seq DESC LIMIT 1;
    head_seq := coalesce(head_seq, 0);
    head_hash := coalesce(head_hash, '\x'::bytea);
    SELECT link.id INTO bad FROM (
        SELECT c.id, c.n, c.chain_seq, c.prev_hash, c.hash, i.id AS waiting_id,
               coalesce(lag(c.hash) OVER (ORDER BY c.n), head_hash) AS expected_prev,
               audit_event_digest(c.prev_hash, i.id, i.at, i.actor_id, i.actor_role, i.action,
                                  i.patient_id, i.outcome, i.client_addr, i.request_id,
                                  i.detail) AS recomputed
        FROM unnest(ids, seqs, prev_hashes, hashes) WITH ORDINALITY
            AS c(id, chain_seq, prev_hash, hash, n)
        LEFT JOIN audit_inbox i ON i.id = c.id
    ) link
    WHERE link.waiting_id IS NULL OR link.chain_seq <> head_seq + link.n
       OR link.prev_hash <> link.expected_prev OR link.hash <> link.recomputed
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'audit entry % does not continue the chain', bad
            USING ERRCODE = 'data_exception';
    END IF;
    INSERT INTO audit_events
        (id, at, actor_id, actor_role, action, patient_id, outcome, client_addr, request_id,
         detail, chain_seq, prev_hash, hash)
    SELECT i.id, i.at, i.actor_id, i.actor_role, i.action, i.patient_id, i.outcome,
           i.client_addr, i.request_id, i.detail, c.chain_seq, c.prev_hash, c.hash
    FROM audit_inbox i
    JOIN unnest(ids, seqs, prev_hashes, hashes) AS c(id, chain_seq, prev_hash, hash)
        ON c.id = i.id;
    DELETE FROM audit_inbox WHERE id = ANY(ids);
    GET DIAGNOSTICS moved = ROW_COUNT;
    RETURN moved;
END $$;

-- The role: created once per server, whichever database migrates first (and tolerant of two
-- migrating at once).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'clinic_app') THEN
        CREATE ROLE clinic_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END $$;

GRANT USAGE ON SCHEMA public TO clinic_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO clinic_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO clinic_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events, audit_inbox FROM clinic_app;
-- Migrations are not the app's to run or undo (the table is there when sqlx migrates).
DO $$
BEGIN
    IF to_regclass('_sqlx_migrations') IS NOT NULL THEN
        REVOKE INSERT, UPDATE, DELETE ON _sqlx_migrations FROM clinic_app;
    END IF;
END $$;
-- Tables later migrations add (run by the same owner) are the app's to use too; a migration
-- adding an append-only table revokes as above.
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO clinic_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO clinic_app;

REVOKE ALL ON FUNCTION audit_seal_entries(bigint[], bigint[], bytea[], bytea[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_seal_entries(bigint[], bigint[], bytea[], bytea[]) TO clinic_app;

-- PostgreSQL 17 lets a non-owner vacuum a table it is granted MAINTAIN on (the app vacuums
-- the inbox it empties); before 17 the owner's autovacuum does it.
DO $$
BEGIN
    IF current_setting('server_version_num')::int >= 170000 THEN
        EXECUTE 'GRANT MAINTAIN ON audit_inbox TO clinic_app';
    END IF;
END $$;
