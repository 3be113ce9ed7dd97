-- Clinic-wide treatment volume for the reports (scenario L), run after seed_scheduling.sql
-- and seed_treatment.sql: every past completed infusion of seed_scheduling.sql gets a signed
-- flowsheet, so the clinic has about 55,500 signed infusions of 5,000 patients over about
-- 2.7 years (about 20,000 a year, 80 a weekday), each patient's one every 12 to 13 weeks.
-- Each record has its check-in, a 0.5 mg/kg IV order for the patient's weight (55-105 kg),
-- the start and end, a MOAA/S score, side effects in about half of them, and the discharge
-- signature; no vitals (scenario J reads those). Each patient has a baseline PHQ-9 a week
-- before their first infusion and a PHQ-9 before every infusion, falling by a quarter, a half
-- or three quarters of the baseline over the first six (a third of the patients each).
--
-- As in seed_treatment.sql, records are inserted unsigned, their events added, and all are
-- signed with one UPDATE (migration 0013 locks a signed record).
\timing on

BEGIN;

SELECT min(id) AS protocol FROM infusion_protocols \gset

CREATE TEMP TABLE past AS
SELECT a.id AS appointment_id, a.patient_id, a.clinician_id, a.starts_at AS t0,
       row_number() OVER (PARTITION BY a.patient_id ORDER BY a.starts_at) - 1 AS k,
       (55 + a.patient_id * 37 % 51)::float8 AS kg,
       14 + a.patient_id % 10 AS baseline,
       (ARRAY[0.75, 0.5, 0.25])[1 + a.patient_id % 3] AS drop
FROM appointments a
WHERE a.kind = 'infusion' AND a.status = 'completed' AND a.starts_at < now() - interval '1 day'
  AND NOT EXISTS (SELECT 1 FROM infusion_records r WHERE r.appointment_id = a.id);

INSERT INTO infusion_records (appointment_id, patient_id, opened_by, opened_at,
                              checked_in_by, checked_in_at, fasting_confirmed, escort_confirmed,
                              pregnancy_test, weight_kg,
                              protocol_id, mg_per_kg, dose_mg, route, minutes, lot_number, ordered_by, ordered_at,
                              started_at, ended_at)
SELECT p.appointment_id, p.patient_id, p.clinician_id, p.t0 + interval '1 minute',
       p.clinician_id, p.t0 + interval '2 minutes', true, true,
       'not_applicable', p.kg,
       :protocol, 0.5, round((0.5 * p.kg)::numeric, 1), 'iv', 40,
       'KET-' || to_char(p.t0 AT TIME ZONE 'America/New_York', 'YYMM'),
       p.clinician_id, p.t0 + interval '5 minutes',
       p.t0 + interval '8 minutes', p.t0 + interval '48 minutes'
FROM past p
ORDER BY p.t0;

ALTER TABLE past ADD COLUMN record_id bigint;
UPDATE past p SET record_id = r.id FROM infusion_records r WHERE r.appointment_id = p.appointment_id;

-- MOAA/S 5 before discharge in every session; side effects in about half of them.
INSERT INTO infusion_events (record_id, at, kind, side_effect, severity, moaas, recorded_by)
SELECT p.record_id, p.t0 + e.minute * interval '1 minute', e.kind, e.side_effect,
       e.severity::event_severity, e.moaas, p.clinician_id
FROM past p
CROSS JOIN LATERAL (
    SELECT 130 AS minute, 'moaas' AS kind, NULL AS side_effect, NULL AS severity, 5::smallint AS moaas
    UNION ALL SELECT 20, 'side_effect', 'dissociation', 'mild', NULL WHERE p.record_id % 3 = 0
    UNION ALL SELECT 24, 'side_effect', 'nausea', 'mild', NULL WHERE p.record_id % 7 = 1
    UNION ALL SELECT 60, 'side_effect', 'headache', 'mild', NULL WHERE p.record_id % 11 = 2
    UNION ALL SELECT 30, 'side_effect', 'dizziness', 'mild', NULL WHERE p.record_id % 13 = 3
    UNION ALL SELECT 32, 'side_effect', 'hypertension', 'moderate', NULL WHERE p.record_id % 29 = 4
    UNION ALL SELECT 26, 'side_effect', 'anxiety', 'mild', NULL WHERE p.record_id % 17 = 5
) AS e
ORDER BY p.record_id, e.minute;

UPDATE infusion_records r
SET escort_present = true, no_driving_acknowledged = true,
    signed_by = p.clinician_id, signed_name = 'Bench Clinician',
    signature_meaning = 'I discharge this patient: the record above is complete and correct.',
    signed_at = p.t0 + interval '132 minutes'
FROM past p WHERE r.id = p.record_id;

-- PHQ-9: the baseline a week before the first infusion, then one just before each infusion.
-- The answers add up to the total (item i of 9 is floor((total + i) / 9)).
INSERT INTO questionnaire_results (patient_id, instrument, version, answers, total, band, context,
                                   appointment_id, recorded_at)
SELECT q.patient_id, 'phq9', '1',
       (SELECT jsonb_agg((q.total + i) / 9 ORDER BY i) FROM generate_series(0, 8) AS i),
       q.total,
       CASE WHEN q.total >= 20 THEN 'severe' WHEN q.total >= 15 THEN 'moderately_severe'
            WHEN q.total >= 10 THEN 'moderate' WHEN q.total >= 5 THEN 'mild' ELSE 'minimal' END,
       q.context, q.appointment_id, q.at
FROM (
    SELECT p.patient_id, p.baseline::smallint AS total, 'screening' AS context,
           NULL::bigint AS appointment_id, p.t0 - interval '7 days' AS at
    FROM past p WHERE p.k = 0
    UNION ALL
    SELECT p.patient_id,
           greatest(0, round(p.baseline * (1 - p.drop * least(1.0, p.k / 6.0))))::smallint,
           'session', p.appointment_id, p.t0 + interval '3 minutes'
    FROM past p
) AS q
ORDER BY q.at;

COMMIT;

SELECT 'signed infusion records' AS what, count(*)::text AS value FROM infusion_records WHERE signed_at IS NOT NULL
UNION ALL SELECT 'patients treated', count(DISTINCT patient_id)::text FROM infusion_records
UNION ALL SELECT 'side effects recorded', count(*)::text FROM infusion_events WHERE kind = 'side_effect'
UNION ALL SELECT 'PHQ-9 results', count(*)::text FROM questionnaire_results WHERE instrument = 'phq9'
UNION ALL SELECT 'signed infusions in the last year', count(*)::text
    FROM infusion_records WHERE signed_at IS NOT NULL AND started_at > now() - interval '1 year';
