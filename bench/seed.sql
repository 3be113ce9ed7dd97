-- Bench volume, loaded after the app has migrated the schema and loaded the demo accounts.
-- Run with: psql -v ON_ERROR_STOP=1 -v patients=50000 -v staff=200 -v sessions=100000 -v audit=300000
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

-- 5. Audit trail: the insert trigger assigns id, time and the hash chain, row by row.
WITH actors AS (
    SELECT id, row_number() OVER (ORDER BY id) AS rn
    FROM users WHERE email LIKE '%@bench.example'
), actor_count AS (SELECT count(*) AS n FROM actors)
INSERT INTO audit_events (actor_id, action, outcome)
SELECT a.id,
       (ARRAY['login', 'logout', 'login.failed', 'session.timeout', 'access.denied'])[1 + g % 5],
       CASE g % 5 WHEN 2 THEN 'failure' WHEN 4 THEN 'denied' ELSE 'success' END
FROM generate_series(1, :audit) AS g
JOIN actors a ON a.rn = 1 + (g::bigint * 7919) % (SELECT n FROM actor_count);

ANALYZE;

SELECT 'users' AS table_name, count(*) AS row_count FROM users
UNION ALL SELECT 'patients', count(*) FROM patients
UNION ALL SELECT 'sessions', count(*) FROM sessions
UNION ALL SELECT 'audit_events', count(*) FROM audit_events;
SELECT pg_size_pretty(pg_database_size(current_database())) AS database_size;
