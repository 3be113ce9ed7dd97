-- Scheduling volume: 20 chairs, 30 clinicians working 08:00-18:00 on weekdays, and 200,000
-- appointments over the weekdays from about 2.7 years ago to 4 weeks ahead, none of them
-- clashing (the exclusion constraints check every row). Clinicians 1-20 each run infusions in
-- their own chair (4 a day, 150 minutes of chair time each); clinicians 21-30 see
-- consultations (20 a day, 30 minutes each). Patients are the first 10,000 bench patients:
-- infusions go to the first 5,000, consultations to the other 5,000, so nobody is in two
-- places at once.
\timing on

INSERT INTO chairs (name) SELECT 'Bench chair ' || n FROM generate_series(1, 18) AS n;

INSERT INTO users (email, display_name, role, password_hash)
SELECT 'clinician' || n || '@bench.example', 'Bench Clinician ' || lpad(n::text, 2, '0'), 'clinician',
       (SELECT password_hash FROM users WHERE email = 'clinician@demo.clinic')
FROM generate_series(1, 30) AS n;

CREATE TEMP TABLE bench_clinicians AS
SELECT id, row_number() OVER (ORDER BY id) - 1 AS n
FROM users WHERE email LIKE 'clinician%@bench.example';
CREATE TEMP TABLE bench_chairs AS
SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM chairs;
CREATE TEMP TABLE bench_patients AS
SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM patients ORDER BY id LIMIT 10000;

INSERT INTO clinician_hours (clinician_id, weekday, starts, ends)
SELECT c.id, d, '08:00', '18:00' FROM bench_clinicians c CROSS JOIN generate_series(1, 5) AS d;

-- Weekdays, numbered, ending four weeks from now.
CREATE TEMP TABLE bench_days AS
SELECT day::date AS day, row_number() OVER (ORDER BY day) - 1 AS n
FROM generate_series(current_date - 1000, current_date + 28, interval '1 day') AS day
WHERE extract(isodow FROM day) < 6;

-- Bulk loading: one schedule version bump at the end instead of one per appointment.
ALTER TABLE appointments DISABLE TRIGGER appointments_changed;

-- Local clinic times (America/New_York) of each day's appointments.
INSERT INTO appointments (patient_id, kind, clinician_id, chair_id, during, status, booked_by)
SELECT p.id, 'infusion', c.id, ch.id,
       tstzrange((d.day + time '08:00' + s * interval '150 minutes') AT TIME ZONE 'America/New_York',
                 (d.day + time '08:00' + (s + 1) * interval '150 minutes') AT TIME ZONE 'America/New_York'),
       CASE WHEN d.day >= current_date THEN 'booked'
            WHEN (d.n + s + c.n) % 29 = 0 THEN 'no_show'
            ELSE 'completed' END::appointment_status,
       c.id
FROM bench_days d
CROSS JOIN generate_series(0, 3) AS s
JOIN bench_clinicians c ON c.n < 20
JOIN bench_chairs ch ON ch.n = c.n
JOIN bench_patients p ON p.n = (d.n * 80 + s * 20 + c.n) % 5000;

INSERT INTO appointments (patient_id, kind, clinician_id, during, status, booked_by)
SELECT p.id, 'consultation', c.id,
       tstzrange((d.day + time '08:00' + k * interval '30 minutes') AT TIME ZONE 'America/New_York',
                 (d.day + time '08:30' + k * interval '30 minutes') AT TIME ZONE 'America/New_York'),
       CASE WHEN d.day >= current_date THEN 'booked' ELSE 'completed' END::appointment_status,
       c.id
FROM bench_days d
CROSS JOIN generate_series(0, 19) AS k
JOIN bench_clinicians c ON c.n >= 20
JOIN bench_patients p ON p.n = 5000 + (d.n * 200 + k * 10 + (c.n - 20)) % 5000;

ALTER TABLE appointments ENABLE TRIGGER appointments_changed;
UPDATE schedule_version SET version = version + 1;

SELECT count(*) AS appointments, min(lower(during))::date AS first_day, max(lower(during))::date AS last_day
FROM appointments;
