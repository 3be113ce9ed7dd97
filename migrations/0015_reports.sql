-- Clinic reports (src/reports/): every figure over a date range is one pass over an index,
-- never over the tables, however many years of sessions the clinic keeps.

-- Signed infusions by their start: counts, doses and protocols per period, the patients
-- treated, and the record ids side effects hang from, all from the index.
CREATE INDEX infusion_records_signed_started_idx ON infusion_records (started_at)
    INCLUDE (id, patient_id, protocol_id, dose_mg, mg_per_kg)
    WHERE signed_at IS NOT NULL;

-- A patient's signed infusions in order: the first and the sixth of their course.
CREATE INDEX infusion_records_patient_signed_idx ON infusion_records (patient_id, started_at)
    WHERE signed_at IS NOT NULL;

-- The side effects of a record.
CREATE INDEX infusion_events_side_effect_idx ON infusion_events (record_id, side_effect)
    WHERE kind = 'side_effect';

-- Missed appointments by their start: no-shows and late cancellations (kept ones are counted
-- from appointments_live_starts_idx).
CREATE INDEX appointments_missed_idx ON appointments (starts_at) INCLUDE (status)
    WHERE status = 'no_show' OR (status = 'cancelled' AND late_cancellation);

-- A patient's PHQ-9 totals over time (the outcome's baseline and the score after the 6th
-- infusion), without reading the table.
CREATE INDEX questionnaire_results_phq9_idx ON questionnaire_results (patient_id, recorded_at)
    INCLUDE (total) WHERE instrument = 'phq9' AND total IS NOT NULL;
