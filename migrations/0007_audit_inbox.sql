-- Audited requests paid for the trail twice: an entry went into audit_events with seven
-- index entries, then the sealer rewrote it in place with its chain position, adding six
-- more, through a PL/pgSQL call per row. Now a request appends to a small inbox (one index
-- entry), and the sealer moves committed entries from the inbox into audit_events in one
-- statement per batch, already chained. audit_events is never updated again; `audit_log`
-- reads both, so an entry is visible the moment its transaction commits.

CREATE TABLE audit_inbox (
    id          bigint PRIMARY KEY DEFAULT nextval('audit_events_id_seq'),
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_id    bigint,
    actor_role  text,
    action      text NOT NULL,
    patient_id  bigint,
    outcome     text NOT NULL,
    client_addr text,
    request_id  text,
    detail      text
);

-- Waiting entries are not edited either; only the sealer deletes them, as it seals them.
CREATE TRIGGER audit_inbox_no_update BEFORE UPDATE ON audit_inbox
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_inbox_no_truncate BEFORE TRUNCATE ON audit_inbox
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();

-- Entries not sealed yet wait in the inbox like new ones.
ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete;
WITH waiting AS (DELETE FROM audit_events WHERE chain_seq IS NULL RETURNING *)
INSERT INTO audit_inbox (id, at, actor_id, actor_role, action, patient_id, outcome,
                         client_addr, request_id, detail)
SELECT id, at, actor_id, actor_role, action, patient_id, outcome, client_addr, request_id, detail
FROM waiting;
ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete;

DROP TRIGGER audit_events_stamp ON audit_events;
DROP FUNCTION audit_events_stamp();
DROP FUNCTION audit_seal(integer);
DROP INDEX audit_events_unsealed_idx;
ALTER TABLE audit_events
    DROP CONSTRAINT audit_events_sealed_whole,
    ALTER COLUMN chain_seq SET NOT NULL,
    ALTER COLUMN prev_hash SET NOT NULL,
    ALTER COLUMN hash SET NOT NULL;

-- Nothing may change a sealed entry: sealing now happens on the way in.
CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

-- Every entry, sealed or waiting for the sealer.
CREATE VIEW audit_log AS
    SELECT id, at, actor_id, actor_role, action, patient_id, outcome, client_addr, request_id,
           detail, true AS sealed
    FROM audit_events
    UNION ALL
    SELECT id, at, actor_id, actor_role, action, patient_id, outcome, client_addr, request_id,
           detail, false
    FROM audit_inbox;
