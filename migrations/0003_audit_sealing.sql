-- Audit entries are written without a lock and chained afterwards by a sealer.
--
-- Computing the chain inside each insert serialised every audited request behind one lock
-- held until commit (a few thousand entries a second at most, less under load). Now an
-- insert only stamps id and time; `audit_seal()` (run about every second by each app process,
-- and by `clinic audit verify`) takes the lock, and gives each committed, unsealed entry the
-- next chain position, the previous entry's hash and its own hash. The chain follows sealing
-- order, so an entry whose transaction committed late simply joins it later.

ALTER TABLE audit_events
    ALTER COLUMN prev_hash DROP NOT NULL,
    ALTER COLUMN hash DROP NOT NULL,
    ADD COLUMN chain_seq bigint,
    ADD CONSTRAINT audit_events_chain_seq_key UNIQUE (chain_seq),
    ADD CONSTRAINT audit_events_sealed_whole CHECK (
        (chain_seq IS NULL AND prev_hash IS NULL AND hash IS NULL)
        OR (chain_seq IS NOT NULL AND prev_hash IS NOT NULL AND hash IS NOT NULL));

-- Entries chained before this migration keep their place: chain order was id order.
ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete;
UPDATE audit_events SET chain_seq = seq
FROM (SELECT id AS row_id, row_number() OVER (ORDER BY id) AS seq FROM audit_events) numbered
WHERE id = numbered.row_id;
ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete;

CREATE INDEX audit_events_unsealed_idx ON audit_events (id) WHERE chain_seq IS NULL;

DROP TRIGGER audit_events_chain ON audit_events;
DROP FUNCTION audit_events_chain();

CREATE FUNCTION audit_events_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.id := nextval('audit_events_id_seq');
    NEW.at := clock_timestamp();
    NEW.chain_seq := NULL;
    NEW.prev_hash := NULL;
    NEW.hash := NULL;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_events_stamp BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_stamp();

-- The only change ever allowed: sealing an unsealed entry, touching nothing else.
CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.chain_seq IS NULL AND NEW.chain_seq IS NOT NULL
       AND (NEW.id, NEW.at, NEW.actor_id, NEW.actor_role, NEW.action, NEW.patient_id,
            NEW.outcome, NEW.client_addr, NEW.request_id, NEW.detail)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.at, OLD.actor_id, OLD.actor_role, OLD.action, OLD.patient_id,
            OLD.outcome, OLD.client_addr, OLD.request_id, OLD.detail) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

-- Seals up to `batch` committed entries; returns how many.
CREATE FUNCTION audit_seal(batch integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    last_seq bigint;
    last_hash bytea;
    sealed integer := 0;
    entry audit_events%ROWTYPE;
BEGIN
    PERFORM pg_advisory_xact_lock(7244001);
    SELECT chain_seq, hash INTO last_seq, last_hash
        FROM audit_events WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1;
    last_seq := coalesce(last_seq, 0);
    last_hash := coalesce(last_hash, '\x'::bytea);
    FOR entry IN SELECT * FROM audit_events WHERE chain_seq IS NULL ORDER BY id LIMIT batch LOOP
        last_seq := last_seq + 1;
        UPDATE audit_events
           SET chain_seq = last_seq,
               prev_hash = last_hash,
               hash = audit_event_digest(last_hash, entry.id, entry.at, entry.actor_id,
                   entry.actor_role, entry.action, entry.patient_id, entry.outcome,
                   entry.client_addr, entry.request_id, entry.detail)
         WHERE id = entry.id
        RETURNING hash INTO last_hash;
        sealed := sealed + 1;
    END LOOP;
    RETURN sealed;
END $$;
