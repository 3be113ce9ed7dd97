-- A long treatment course, run after seed.sql and seed_scheduling.sql: one patient of their
-- own (so no other booking of theirs can clash, and scenario H's patient keeps its gate) with
-- 300 completed infusions, one every 3 days for about 2.5 years up to 3 days ago. Each is an
-- appointment at 19:00-21:30 clinic time (America/New_York, as in seed_scheduling.sql, whose
-- clinicians and chairs are booked 08:00-18:00 only) with the first bench clinician in their
-- chair, and a signed flowsheet: check-in, the default protocol's order (0.5 mg/kg IV over
-- 40 minutes), 10,000 vitals readings in all (a baseline, then every 4 minutes through the
-- infusion and the recovery: 33 or 34 a session, inside the 150 minutes of chair time),
-- MOAA/S and CADSS scores, side effects in some sessions, and a PHQ-9 and a GAD-7 taken just
-- before each infusion, falling from about 20 and 15 to about 5 and 4.
--
-- Records are inserted unsigned, their readings and events added, and then all signed with
-- one UPDATE: the triggers of migration 0013 lock a record once it is signed.
-- run.sh finds the patient as the one with the most infusion records.
\timing on

BEGIN;
-- The patient record versions (migration 0016) are bumped by deferred triggers: fire them
-- as each statement ends, so none is pending when the schedule's trigger is switched below.
SET CONSTRAINTS ALL IMMEDIATE;

INSERT INTO users (email, display_name, role, password_hash, email_verified_at)
SELECT 'course-patient@bench.example', 'Bench Course Patient', 'patient', password_hash, now() - interval '3 years'
FROM users WHERE email = 'patient@demo.clinic';

INSERT INTO patients (user_id, legal_name, date_of_birth, preferred_name, sex_at_birth, phone, address,
                      emergency_contact_name, emergency_contact_phone, weight_kg, height_cm, created_at)
SELECT id, 'Bench Course Patient', date '1979-06-21', 'Course', 'female', '+1 555 010 3000',
       '300 Course Road, Springfield', 'Robin Course', '+1 555 010 3001', 80.0, 168.0,
       now() - interval '3 years'
FROM users WHERE email = 'course-patient@bench.example';

SELECT p.id AS course_patient FROM patients p JOIN users u ON u.id = p.user_id
WHERE u.email = 'course-patient@bench.example' \gset
-- The first bench clinician and the chair seed_scheduling.sql gives them.
SELECT id AS course_clinician, display_name AS course_clinician_name
FROM users WHERE email LIKE 'clinician%@bench.example' ORDER BY id LIMIT 1 \gset
SELECT min(id) AS course_chair FROM chairs \gset
SELECT min(id) AS course_protocol FROM infusion_protocols \gset

-- The course: session k (0 = the first) starts at 19:00 clinic time, 3 * (300 - k) days ago.
CREATE TEMP TABLE course AS
SELECT k, ((current_date - 3 * (300 - k)) + time '19:00') AT TIME ZONE 'America/New_York' AS t0
FROM generate_series(0, 299) AS k;

-- Bulk loading: one schedule version bump at the end instead of one per appointment.
ALTER TABLE appointments DISABLE TRIGGER appointments_changed;

INSERT INTO appointments (patient_id, kind, clinician_id, chair_id, during, status, booked_by, created_at, updated_at)
SELECT :course_patient, 'infusion', :course_clinician, :course_chair,
       tstzrange(c.t0, c.t0 + interval '150 minutes'), 'completed', :course_clinician,
       c.t0 - interval '6 days', c.t0 + interval '140 minutes'
FROM course c ORDER BY c.k;

ALTER TABLE appointments ENABLE TRIGGER appointments_changed;
UPDATE schedule_version SET version = version + 1;

ALTER TABLE course ADD COLUMN appointment_id bigint;
UPDATE course c SET appointment_id = a.id
FROM appointments a WHERE a.patient_id = :course_patient AND a.starts_at = c.t0;

-- The flowsheets, all but the signature. Times within a session, from t0: opened +1 min,
-- checked in +2, baseline vitals +4, ordered +5, started +8, ended +48 (40 minutes).
-- Weight drifts from about 82 to 76 kg.
INSERT INTO infusion_records (appointment_id, patient_id, opened_by, opened_at,
                              checked_in_by, checked_in_at, fasting_confirmed, escort_confirmed,
                              pregnancy_test, weight_kg,
                              protocol_id, mg_per_kg, dose_mg, route, minutes, lot_number, ordered_by, ordered_at,
                              started_at, ended_at)
SELECT c.appointment_id, :course_patient, :course_clinician, c.t0 + interval '1 minute',
       :course_clinician, c.t0 + interval '2 minutes', true, true,
       'negative', w.kg,
       :course_protocol, 0.5, round((0.5 * w.kg)::numeric, 1), 'iv', 40,
       'KET-' || to_char(c.t0 AT TIME ZONE 'America/New_York', 'YYMM') || '-' || lpad((10 + c.k / 10 % 90)::text, 2, '0'),
       :course_clinician, c.t0 + interval '5 minutes',
       c.t0 + interval '8 minutes', c.t0 + interval '48 minutes'
FROM course c
CROSS JOIN LATERAL (SELECT round((82 - 6.0 * c.k / 299 + (c.k * 37 % 11 - 5) / 10.0)::numeric, 1)::float8 AS kg) AS w
ORDER BY c.k;

ALTER TABLE course ADD COLUMN record_id bigint;
UPDATE course c SET record_id = r.id FROM infusion_records r WHERE r.appointment_id = c.appointment_id;

-- Vitals: one baseline (+4 min), 11 during the infusion (+8 to +48, every 4 minutes), then the
-- recovery every 4 minutes from +52: 21 readings, 22 in every third session (to +136 or
-- +140), so 300 sessions make 10,000 readings. Blood pressure and heart rate rise during the
-- infusion by up to about 18 and 10 and settle in the recovery.
INSERT INTO vitals_readings (record_id, taken_at, phase, systolic, diastolic, heart_rate, spo2, resp_rate, recorded_by)
SELECT c.record_id, c.t0 + s.minute * interval '1 minute', s.phase::vitals_phase,
       118 + round(18 * s.rise)::int + (random() * 10)::int,
       74 + round(10 * s.rise)::int + (random() * 8)::int,
       68 + round(10 * s.rise)::int + (random() * 12)::int,
       96 + (random() * 4)::int,
       13 + (random() * 4)::int,
       :course_clinician
FROM course c
CROSS JOIN LATERAL (
    SELECT 4 AS minute, 'baseline' AS phase, 0.0 AS rise
    UNION ALL
    SELECT 8 + 4 * j, 'infusion', least(1.0, j / 5.0) FROM generate_series(0, 10) AS j
    UNION ALL
    SELECT 48 + 4 * j, 'recovery', greatest(0.0, 1.0 - j / 8.0)
    FROM generate_series(1, CASE WHEN c.k % 3 = 0 THEN 22 ELSE 21 END) AS j
) AS s
ORDER BY c.k, s.minute;

-- Events: MOAA/S 4 twenty minutes in and CADSS at the end of the infusion, MOAA/S 5 before
-- discharge (+136), and side effects in some sessions.
INSERT INTO infusion_events (record_id, at, kind, side_effect, severity, intervention, note, moaas, cadss_total, recorded_by)
SELECT c.record_id, c.t0 + e.minute * interval '1 minute', e.kind, e.side_effect, e.severity::event_severity,
       e.intervention, e.note, e.moaas, e.cadss, :course_clinician
FROM course c
CROSS JOIN LATERAL (
    SELECT 28 AS minute, 'moaas' AS kind, NULL AS side_effect, NULL AS severity, NULL AS intervention,
           NULL AS note, 4::smallint AS moaas, NULL::smallint AS cadss
    UNION ALL
    SELECT 48, 'cadss', NULL, NULL, NULL, NULL, NULL, (8 + c.k * 7 % 17)::smallint
    UNION ALL
    SELECT 136, 'moaas', NULL, NULL, NULL, 'Alert, oriented, walking steadily.', 5::smallint, NULL
    UNION ALL
    SELECT 20, 'side_effect', 'dissociation', 'mild', NULL, 'Resolved by the end of the infusion.', NULL, NULL
    WHERE c.k % 3 = 1
    UNION ALL
    SELECT 24, 'side_effect', 'nausea', 'mild', 'Ondansetron 4 mg IV', NULL, NULL, NULL
    WHERE c.k % 5 = 2
    UNION ALL
    SELECT 60, 'side_effect', 'headache', 'mild', NULL, NULL, NULL, NULL
    WHERE c.k % 7 = 3
    UNION ALL
    SELECT 30, 'side_effect', 'hypertension', 'moderate', 'Infusion rate held for 5 minutes',
           'Systolic settled below 160 within 10 minutes.', NULL, NULL
    WHERE c.k % 23 = 11
) AS e
ORDER BY c.k, e.minute;

-- The discharge signature, one UPDATE for the whole course (+140 min).
UPDATE infusion_records r
SET escort_present = true, no_driving_acknowledged = true,
    signed_by = :course_clinician, signed_name = :'course_clinician_name',
    signature_meaning = 'I discharge this patient: the record above is complete and correct.',
    signed_at = c.t0 + interval '140 minutes'
FROM course c WHERE r.id = c.record_id;

-- PHQ-9 and GAD-7 before each infusion (+3 min). The answers add up to the total (item i of n
-- is floor((total + i) / n)).
INSERT INTO questionnaire_results (patient_id, instrument, version, answers, total, band, context, appointment_id, recorded_at)
SELECT :course_patient, q.instrument, '1',
       (SELECT jsonb_agg((q.total + i) / q.items ORDER BY i) FROM generate_series(0, q.items - 1) AS i),
       q.total,
       CASE WHEN q.instrument = 'phq9' THEN
                CASE WHEN q.total >= 20 THEN 'severe' WHEN q.total >= 15 THEN 'moderately_severe'
                     WHEN q.total >= 10 THEN 'moderate' WHEN q.total >= 5 THEN 'mild' ELSE 'minimal' END
            ELSE CASE WHEN q.total >= 15 THEN 'severe' WHEN q.total >= 10 THEN 'moderate'
                      WHEN q.total >= 5 THEN 'mild' ELSE 'minimal' END
       END,
       'session', c.appointment_id, c.t0 + interval '3 minutes'
FROM course c
CROSS JOIN LATERAL (
    VALUES ('phq9', 9, greatest(0, least(27, round(20 - 15.0 * c.k / 299 + ((c.k * 13 + 2) % 5 - 2))))::smallint),
           ('gad7', 7, greatest(0, least(21, round(15 - 11.0 * c.k / 299 + ((c.k * 7 + 2) % 5 - 2))))::smallint)
) AS q(instrument, items, total)
ORDER BY c.k, q.instrument;

COMMIT;

SELECT 'course patient' AS what, :course_patient::text AS value
UNION ALL SELECT 'infusions (signed)', format('%s (%s)', count(*), count(signed_at))
    FROM infusion_records WHERE patient_id = :course_patient
UNION ALL SELECT 'vitals readings', count(*)::text
    FROM vitals_readings v JOIN infusion_records r ON r.id = v.record_id WHERE r.patient_id = :course_patient
UNION ALL SELECT 'infusion events', count(*)::text
    FROM infusion_events e JOIN infusion_records r ON r.id = e.record_id WHERE r.patient_id = :course_patient
UNION ALL SELECT 'session PHQ-9 and GAD-7', count(*)::text
    FROM questionnaire_results WHERE patient_id = :course_patient AND context = 'session'
UNION ALL SELECT 'first and last infusion', format('%s .. %s (clinic time)',
       min(lower(during) AT TIME ZONE 'America/New_York')::date, max(lower(during) AT TIME ZONE 'America/New_York')::date)
    FROM appointments WHERE patient_id = :course_patient
UNION ALL SELECT 'appointment of the 150th infusion', appointment_id::text
    FROM course WHERE k = 149;
