-- Informed consent: versioned documents, e-signatures and withdrawals (21 CFR 11.50/11.70).
-- A published version, a signature and a withdrawal never change; consent status is derived
-- from them (src/consent/model.rs), never stored.

-- Signed records and schedules are shown in the clinic's own time; times are stored in UTC.
ALTER TABLE clinic_settings
    ADD COLUMN time_zone text NOT NULL DEFAULT 'America/New_York'
        CHECK (length(time_zone) BETWEEN 1 AND 64);

-- One document, many versions. A draft is edited freely; publishing numbers it (1, 2, ...)
-- and fixes the SHA-256 of its text, after which the row can no longer change.
CREATE TABLE consent_versions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    -- Markdown, exactly as signed: line breaks are LF, as the hash covers every byte.
    body          text NOT NULL CHECK (length(body) BETWEEN 1 AND 100000 AND position(E'\r' IN body) = 0),
    version       integer CONSTRAINT consent_versions_number_unique UNIQUE,
    text_sha256   text,
    created_by    bigint REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    published_by  bigint REFERENCES users (id),
    published_at  timestamptz,
    CHECK ((version IS NULL) = (published_at IS NULL)),
    CHECK ((text_sha256 IS NULL) = (published_at IS NULL))
);

-- Publishing (inserting or updating with published_at set) numbers the version and hashes its
-- text here, so neither can disagree with the body; a published row refuses every change.
CREATE FUNCTION consent_versions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.published_at IS NOT NULL THEN
        RAISE EXCEPTION 'consent version % is published and cannot be changed', OLD.version
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF NEW.published_at IS NOT NULL THEN
        NEW.version := (SELECT coalesce(max(version), 0) + 1 FROM consent_versions);
        NEW.text_sha256 := encode(sha256(convert_to(NEW.body, 'UTF8')), 'hex');
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER consent_versions_guard BEFORE INSERT OR UPDATE OR DELETE ON consent_versions
    FOR EACH ROW EXECUTE FUNCTION consent_versions_guard();

CREATE FUNCTION consent_records_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER consent_versions_no_truncate BEFORE TRUNCATE ON consent_versions
    FOR EACH STATEMENT EXECUTE FUNCTION consent_records_refuse_change();

CREATE TYPE consent_signer AS ENUM ('patient', 'clinician');

-- A patient's signature, or a clinician's countersignature beside one. Each holds the printed
-- name, the UTC time, the meaning, the version and the hash of the exact text shown, and the
-- client's address and browser.
CREATE TABLE consent_signatures (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version_id      bigint NOT NULL REFERENCES consent_versions (id),
    patient_id      bigint NOT NULL REFERENCES patients (id),
    signer          consent_signer NOT NULL,
    signer_user_id  bigint NOT NULL REFERENCES users (id),
    countersigns    bigint REFERENCES consent_signatures (id),
    printed_name    text NOT NULL CHECK (length(printed_name) BETWEEN 1 AND 200),
    meaning         text NOT NULL CHECK (length(meaning) BETWEEN 1 AND 200),
    text_sha256     text NOT NULL CHECK (text_sha256 ~ '^[0-9a-f]{64}$'),
    signed_at       timestamptz NOT NULL DEFAULT now(),
    client_addr     text NOT NULL CHECK (length(client_addr) <= 100),
    user_agent      text NOT NULL CHECK (length(user_agent) <= 500),
    CHECK ((signer = 'clinician') = (countersigns IS NOT NULL))
);
-- One countersignature per patient signature.
CREATE UNIQUE INDEX consent_signatures_one_countersignature ON consent_signatures (countersigns);
CREATE INDEX consent_signatures_patient_idx ON consent_signatures (patient_id, id DESC)
    WHERE signer = 'patient';

-- A signature must carry the hash of a published version, and a countersignature must sit
-- beside a patient's signature of the same patient and version: checked here, not trusted.
CREATE FUNCTION consent_signatures_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM consent_versions
                   WHERE id = NEW.version_id AND published_at IS NOT NULL
                     AND text_sha256 = NEW.text_sha256) THEN
        RAISE EXCEPTION 'a signature must carry the hash of a published consent version'
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.countersigns IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM consent_signatures
        WHERE id = NEW.countersigns AND signer = 'patient'
          AND patient_id = NEW.patient_id AND version_id = NEW.version_id) THEN
        RAISE EXCEPTION 'a countersignature must stand beside the same patient''s signature'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER consent_signatures_check BEFORE INSERT ON consent_signatures
    FOR EACH ROW EXECUTE FUNCTION consent_signatures_check();
CREATE TRIGGER consent_signatures_no_change BEFORE UPDATE OR DELETE ON consent_signatures
    FOR EACH ROW EXECUTE FUNCTION consent_records_refuse_change();
CREATE TRIGGER consent_signatures_no_truncate BEFORE TRUNCATE ON consent_signatures
    FOR EACH STATEMENT EXECUTE FUNCTION consent_records_refuse_change();

-- Patients' signatures no clinician has countersigned yet: the clinicians' work list. Kept by
-- the trigger below, so the list costs the same however many signatures are long since
-- countersigned. Only this list shrinks; the signatures themselves never change.
CREATE TABLE consent_awaiting_countersignature (
    signature_id bigint PRIMARY KEY REFERENCES consent_signatures (id)
);

CREATE FUNCTION consent_signatures_track_countersigning() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.countersigns IS NULL THEN
        INSERT INTO consent_awaiting_countersignature (signature_id) VALUES (NEW.id);
    ELSE
        DELETE FROM consent_awaiting_countersignature WHERE signature_id = NEW.countersigns;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER consent_signatures_track_countersigning AFTER INSERT ON consent_signatures
    FOR EACH ROW EXECUTE FUNCTION consent_signatures_track_countersigning();

CREATE TABLE consent_withdrawals (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient_id    bigint NOT NULL REFERENCES patients (id),
    withdrawn_by  bigint NOT NULL REFERENCES users (id),
    reason        text CHECK (length(reason) <= 1000),
    withdrawn_at  timestamptz NOT NULL DEFAULT now(),
    client_addr   text NOT NULL CHECK (length(client_addr) <= 100),
    user_agent    text NOT NULL CHECK (length(user_agent) <= 500)
);
CREATE INDEX consent_withdrawals_patient_idx ON consent_withdrawals (patient_id, id DESC);
CREATE TRIGGER consent_withdrawals_no_change BEFORE UPDATE OR DELETE ON consent_withdrawals
    FOR EACH ROW EXECUTE FUNCTION consent_records_refuse_change();
CREATE TRIGGER consent_withdrawals_no_truncate BEFORE TRUNCATE ON consent_withdrawals
    FOR EACH STATEMENT EXECUTE FUNCTION consent_records_refuse_change();

-- What the consent status of each patient is derived from: the latest published version, the
-- patient's latest signature and latest withdrawal. Joined by patient id, each part is one
-- index probe.
CREATE VIEW consent_facts AS
    SELECT p.id AS patient_id,
           (SELECT max(version) FROM consent_versions) AS latest_version,
           s.id AS signature_id, s.version AS signed_version, s.signed_at,
           w.withdrawn_at
    FROM patients p
    LEFT JOIN LATERAL (
        SELECT cs.id, v.version, cs.signed_at
        FROM consent_signatures cs JOIN consent_versions v ON v.id = cs.version_id
        WHERE cs.patient_id = p.id AND cs.signer = 'patient'
        ORDER BY cs.id DESC LIMIT 1
    ) s ON true
    LEFT JOIN LATERAL (
        SELECT withdrawn_at FROM consent_withdrawals
        WHERE patient_id = p.id ORDER BY id DESC LIMIT 1
    ) w ON true;
