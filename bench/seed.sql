-- Bench volume, loaded after the app has migrated the schema and loaded the demo accounts.
-- Run with: psql -v ON_ERROR_STOP=1 -v patients=50000 -v staff=200 -v sessions=100000 -v audit=300000
--   -v screening_patients=10000
\timing on

-- 1. Patient logins. They reuse the demo patient's Argon2id hash, so their password is
--    "demo patient passphrase" (bench/login.lua relies on that).
INSERT INTO users (email, display_name, role, password_hash)
SELECT 'patient' || n || '@bench.example',
       'Bench Patient ' || n,
       'patient',
       (SELECT password_hash FROM users WHERE email = 'patient@demo.clinic')
FROM generate_series(1, :patients) AS n;

-- 2. Their clinical records, born between 1940 and 2005.
INSERT INTO patients (user_id, legal_name, date_of_birth)
SELECT u.id, u.display_name, date '1940-01-01' + (random() * 23700)::int
FROM users u
WHERE u.role = 'patient' AND u.email LIKE 'patient%@bench.example';

-- 3. Staff, spread over the three staff roles; same hash as the demo clinician.
INSERT INTO users (email, display_name, role, password_hash)
SELECT 'staff' || n || '@bench.example',
       'Bench Staff ' || n,
       (ARRAY['front_desk', 'clinician', 'admin'])[1 + n % 3]::user_role,
       (SELECT password_hash FROM users WHERE email = 'clinician@demo.clinic')
FROM generate_series(1, :staff) AS n;

-- 4. Sessions: random 32-byte id hashes, owners taken round-robin from the seeded users,
--    started within the last 12 hours.
WITH owners AS (
    SELECT id, row_number() OVER (ORDER BY id) AS rn
    FROM users WHERE email LIKE '%@bench.example'
), owner_count AS (SELECT count(*) AS n FROM owners),
made AS (
    SELECT g, now() - random() * interval '12 hours' AS created
    FROM generate_series(1, :sessions) AS g
)
INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at)
SELECT decode(md5(random()::text) || md5(random()::text), 'hex'),
       o.id,
       made.created,
       made.created + random() * (now() - made.created)
FROM made
JOIN owners o ON o.rn = 1 + made.g % (SELECT n FROM owner_count)
ON CONFLICT (id_hash) DO NOTHING;

-- 5. Audit trail: entries wait in the inbox; run.sh has `clinic audit verify` seal them.
WITH actors AS (
    SELECT id, row_number() OVER (ORDER BY id) AS rn
    FROM users WHERE email LIKE '%@bench.example'
), actor_count AS (SELECT count(*) AS n FROM actors)
INSERT INTO audit_inbox (actor_id, action, outcome)
SELECT a.id,
       (ARRAY['login', 'logout', 'login.failed', 'session.timeout', 'access.denied'])[1 + g % 5],
       CASE g % 5 WHEN 2 THEN 'failure' WHEN 4 THEN 'denied' ELSE 'success' END
FROM generate_series(1, :audit) AS g
JOIN actors a ON a.rn = 1 + (g::bigint * 7919) % (SELECT n FROM actor_count);

-- 6. Screenings: three per patient for the first :screening_patients bench patients (30,000
--    for 10,000), each with its PHQ-9 and GAD-7 results. The two older ones were decided;
--    the newest waits in the clinician queue, one in twenty of them urgent.
WITH chosen AS (
    SELECT id AS patient_id, row_number() OVER (ORDER BY id) AS rn
    FROM patients ORDER BY id LIMIT :screening_patients
)
INSERT INTO screenings (patient_id, status, intake, draft_answers, flags, urgent, created_at, submitted_at,
                        phq9_total, phq9_band, gad7_total, gad7_band)
SELECT c.patient_id,
       CASE WHEN k < 3 THEN 'decided' ELSE 'submitted' END::screening_status,
       '{"hypertension": true, "hypertension_controlled": true, "heart_disease": false, "aneurysm_or_avm": false, "intracerebral_haemorrhage": false, "stroke": false, "raised_intracranial_pressure": false, "raised_intraocular_pressure": false, "liver_disease": false, "bladder_symptoms": false, "hyperthyroidism": false, "ketamine_hypersensitivity": false, "psychosis_history": false, "bipolar_or_mania": false, "substance_use_disorder": false, "ketamine_misuse": false, "ptsd": false, "antidepressant_trials": 3, "pregnant": false, "breastfeeding": false, "medications": "sertraline 100 mg", "allergies": "none", "takes_benzodiazepine": false, "takes_lamotrigine": true, "takes_maoi": false, "takes_psychostimulant": false, "takes_opioid": false, "takes_sedative_hypnotic": false}'::jsonb,
       '{"phq9": [2, 2, 1, 2, 1, 1, 2, 0, 0], "gad7": [1, 2, 1, 1, 0, 1, 1], "cssrs": [0, 0, null, null, null, 0, null]}'::jsonb,
       '[{"kind": "relative_contraindication", "code": "hypertension", "reason": "Hypertension (reported controlled)"}, {"kind": "medication_interaction", "code": "lamotrigine", "reason": "Lamotrigine: may blunt the response to ketamine"}]'::jsonb,
       k = 3 AND c.rn % 20 = 0,
       now() - ((4 - k) * 120 + c.rn % 100) * interval '1 day',
       now() - ((4 - k) * 120 + c.rn % 100) * interval '1 day' + interval '1 hour',
       11, 'moderate', 7, 'mild'
FROM chosen c CROSS JOIN generate_series(1, 3) AS k;

INSERT INTO questionnaire_results (patient_id, instrument, version, answers, total, band, context, screening_id, recorded_at)
SELECT s.patient_id, i.instrument, '1', i.answers, i.total, i.band, 'screening', s.id, s.submitted_at
FROM screenings s
CROSS JOIN (VALUES ('phq9', '[2, 2, 1, 2, 1, 1, 2, 0, 0]'::jsonb, 11, 'moderate'),
                   ('gad7', '[1, 2, 1, 1, 0, 1, 1]'::jsonb, 7, 'mild')) AS i(instrument, answers, total, band)
WHERE s.status <> 'draft';

INSERT INTO screening_decisions (screening_id, decision, clinician_note, patient_message, acknowledged, eligible_until, decided_by, decided_at)
SELECT s.id, 'eligible', 'Reviewed; BP controlled.', 'You can book your infusions.', '["hypertension", "lamotrigine"]',
       (s.submitted_at + interval '180 days')::date,
       (SELECT id FROM users WHERE email = 'clinician@demo.clinic'),
       s.submitted_at + interval '1 day'
FROM screenings s WHERE s.status = 'decided';

-- 7. Consent: four patients in five signed version 1 over the last two years, nine in ten of
--    those signatures are countersigned; a second version was published a month ago and a
--    quarter of the signers have signed it too; one patient in fifty withdrew.
INSERT INTO consent_signatures (version_id, patient_id, signer, signer_user_id, printed_name, meaning,
                                text_sha256, signed_at, client_addr, user_agent)
SELECT v.id, p.id, 'patient', p.user_id, p.legal_name, 'I consent to ketamine infusion therapy',
       v.text_sha256, now() - (60 + p.id % 660) * interval '1 day', '10.0.0.1', 'bench'
FROM patients p CROSS JOIN consent_versions v
WHERE v.version = 1 AND p.id % 5 <> 0 AND p.user_id IS NOT NULL;

INSERT INTO consent_versions (title, body, published_at)
SELECT title, body || E'\n\nUpdated for the bench.', now() - interval '30 days'
FROM consent_versions WHERE version = 1;

INSERT INTO consent_signatures (version_id, patient_id, signer, signer_user_id, printed_name, meaning,
                                text_sha256, signed_at, client_addr, user_agent)
SELECT v.id, s.patient_id, 'patient', s.signer_user_id, s.printed_name, s.meaning,
       v.text_sha256, now() - (s.patient_id % 29) * interval '1 day', '10.0.0.1', 'bench'
FROM consent_signatures s CROSS JOIN consent_versions v
WHERE v.version = 2 AND s.signer = 'patient' AND s.patient_id % 4 = 1;

INSERT INTO consent_signatures (version_id, patient_id, signer, signer_user_id, countersigns,
                                printed_name, meaning, text_sha256, signed_at, client_addr, user_agent)
SELECT s.version_id, s.patient_id, 'clinician', (SELECT id FROM users WHERE email = 'clinician@demo.clinic'),
       s.id, 'Demo Clinician', 'I explained the treatment and answered the patient''s questions',
       s.text_sha256, s.signed_at + interval '10 minutes', '10.0.0.2', 'bench'
FROM consent_signatures s WHERE s.signer = 'patient' AND s.id % 10 <> 0;

INSERT INTO consent_withdrawals (patient_id, withdrawn_by, reason, withdrawn_at, client_addr, user_agent)
SELECT p.id, p.user_id, NULL, now() - interval '5 days', '10.0.0.1', 'bench'
FROM patients p WHERE p.id % 50 = 3 AND p.user_id IS NOT NULL;

SELECT 'users' AS table_name, count(*) AS row_count FROM users
UNION ALL SELECT 'patients', count(*) FROM patients
UNION ALL SELECT 'sessions', count(*) FROM sessions
UNION ALL SELECT 'audit entries', count(*) FROM audit_log
UNION ALL SELECT 'screenings', count(*) FROM screenings
UNION ALL SELECT 'questionnaire_results', count(*) FROM questionnaire_results
UNION ALL SELECT 'consent signatures', count(*) FROM consent_signatures
UNION ALL SELECT 'consent withdrawals', count(*) FROM consent_withdrawals;
SELECT pg_size_pretty(pg_database_size(current_database())) AS database_size;
