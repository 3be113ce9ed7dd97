-- Bedside safety, the dose and discharge half (issue 15): the settings for a weight far from
-- the last one, the observation time after the end, the lowest systolic pressure to go home
-- with and a much shorter infusion than ordered; the reason a pregnancy test does not apply;
-- the amount actually given; orders voided when what they were worked out from changed
-- (kept, never deleted); and the flowsheet's entries refuse TRUNCATE like its records.

ALTER TABLE clinic_settings
    ADD COLUMN weight_change_confirm_pct integer NOT NULL DEFAULT 10
        CHECK (weight_change_confirm_pct BETWEEN 1 AND 50),
    ADD COLUMN min_observation_minutes integer NOT NULL DEFAULT 30
        CHECK (min_observation_minutes BETWEEN 0 AND 480),
    ADD COLUMN discharge_systolic_min integer NOT NULL DEFAULT 90
        CHECK (discharge_systolic_min BETWEEN 50 AND 140),
    ADD COLUMN short_infusion_pct integer NOT NULL DEFAULT 75
        CHECK (short_infusion_pct BETWEEN 1 AND 100);

ALTER TABLE infusion_records
    ADD COLUMN pregnancy_test_reason text CHECK (length(pregnancy_test_reason) BETWEEN 1 AND 500),
    -- The weight the standing order was worked out from.
    ADD COLUMN order_weight_kg double precision CHECK (order_weight_kg BETWEEN 20 AND 350),
    ADD COLUMN given_mg double precision CHECK (given_mg >= 0 AND given_mg <= 500),
    ADD COLUMN given_reason text CHECK (length(given_reason) BETWEEN 1 AND 500),
    ADD CONSTRAINT infusion_records_given_at_end CHECK (given_mg IS NULL OR ended_at IS NOT NULL),
    ADD CONSTRAINT infusion_records_given_within_order CHECK (given_mg IS NULL OR given_mg <= dose_mg);

-- An order voided before the start: as it was, and why (the clinician then ordered again).
CREATE TABLE voided_dose_orders (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    record_id         bigint NOT NULL REFERENCES infusion_records (id),
    protocol_id       bigint REFERENCES infusion_protocols (id),
    mg_per_kg         double precision NOT NULL,
    dose_mg           double precision NOT NULL,
    route             dose_route,
    minutes           integer,
    lot_number        text NOT NULL,
    weight_kg         double precision,
    ordered_by        bigint REFERENCES users (id),
    ordered_at        timestamptz NOT NULL,
    voided_by         bigint NOT NULL REFERENCES users (id),
    voided_at         timestamptz NOT NULL DEFAULT now(),
    reason            text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500)
);
CREATE INDEX voided_dose_orders_record_idx ON voided_dose_orders (record_id, voided_at);
CREATE TRIGGER voided_dose_orders_append_only BEFORE INSERT OR UPDATE OR DELETE ON voided_dose_orders
    FOR EACH ROW EXECUTE FUNCTION infusion_entries_append_only();
CREATE CONSTRAINT TRIGGER voided_dose_orders_changed AFTER INSERT OR UPDATE OR DELETE ON voided_dose_orders
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION patient_record_version_bump('record');

CREATE TRIGGER vitals_readings_no_truncate BEFORE TRUNCATE ON vitals_readings
    FOR EACH STATEMENT EXECUTE FUNCTION infusion_entries_append_only();
CREATE TRIGGER infusion_events_no_truncate BEFORE TRUNCATE ON infusion_events
    FOR EACH STATEMENT EXECUTE FUNCTION infusion_entries_append_only();
CREATE TRIGGER infusion_addenda_no_truncate BEFORE TRUNCATE ON infusion_addenda
    FOR EACH STATEMENT EXECUTE FUNCTION infusion_entries_append_only();
CREATE TRIGGER voided_dose_orders_no_truncate BEFORE TRUNCATE ON voided_dose_orders
    FOR EACH STATEMENT EXECUTE FUNCTION infusion_entries_append_only();

-- Orders standing before this migration were worked out from the check-in's weight.
UPDATE infusion_records SET order_weight_kg = weight_kg
WHERE ordered_at IS NOT NULL AND signed_at IS NULL;
