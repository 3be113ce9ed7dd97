#!/usr/bin/env bash
# Regenerates the committed .sqlx/ query data that lets the crate build with no database
# (SQLX_OFFLINE=true in .cargo/config.toml). Run it after changing a query or a migration,
# then commit .sqlx/.
#
#   scripts/sqlx-prepare.sh           rewrite .sqlx/
#   scripts/sqlx-prepare.sh --check   leave .sqlx/ alone; exit 1 if it is stale (CI)
#
# It creates a scratch database, clinic_sqlx_prepare, on the server named by DATABASE_URL
# (only the server part is used; default postgres://postgres@localhost:5432), applies every
# migration to it with psql, and runs `cargo check --all-targets` with the query macros
# online so they describe each query against it and write one file per query. The scratch
# database is dropped at the end. Needs psql and a PostgreSQL user that may create databases.
set -euo pipefail

usage() {
    sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

check=false
case "${1:-}" in
    "") ;;
    --check) check=true ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        echo "unknown argument: $1" >&2
        usage >&2
        exit 2
        ;;
esac

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# SQLX_PREPARE_DB names the scratch database, so two checkouts can prepare at once.
scratch="${SQLX_PREPARE_DB:-clinic_sqlx_prepare}"
url="${DATABASE_URL:-postgres://postgres@localhost:5432/clinic}"

# Split the URL into the server part (scheme://[user[:password]@]host[:port]) and any
# ?query (kept, e.g. sslmode), dropping the database name.
if [[ "$url" != *://* ]]; then
    echo "DATABASE_URL must look like postgres://user@host:port/database" >&2
    exit 2
fi
scheme="${url%%://*}"
rest="${url#*://}"
query=""
if [[ "$rest" == *\?* ]]; then
    query="?${rest#*\?}"
    rest="${rest%%\?*}"
fi
server="$scheme://${rest%%/*}"
admin_url="$server/postgres$query"
scratch_url="$server/$scratch$query"
# For messages: the server with its password hidden, as the app's redact_url does (the user
# part runs to the last `@`, so a password holding `@` is hidden whole; the ?query, which may
# hold password=, is never shown).
authority="${server#*://}"
shown="$server"
if [[ "$authority" == *@* ]]; then
    credentials="${authority%@*}"
    if [[ "$credentials" == *:* ]]; then
        shown="$scheme://${credentials%%:*}:***@${authority##*@}"
    fi
fi

command -v psql >/dev/null || {
    echo "psql is not installed (Debian: apt-get install postgresql-client)" >&2
    exit 1
}

psql_on() {
    local target="$1"
    shift
    PGOPTIONS='-c client_min_messages=warning' psql "$target" -X -q -v ON_ERROR_STOP=1 "$@"
}

if ! psql_on "$admin_url" -c 'SELECT 1' >/dev/null; then
    echo "cannot reach PostgreSQL at $shown: start it, or set DATABASE_URL to a running server" >&2
    exit 1
fi

out="$(mktemp -d "${TMPDIR:-/tmp}/clinic-sqlx.XXXXXX")"
cleanup() {
    psql_on "$admin_url" -c "DROP DATABASE IF EXISTS $scratch WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$out"
}
trap cleanup EXIT

echo "creating scratch database $scratch at $shown" >&2
psql_on "$admin_url" -c "DROP DATABASE IF EXISTS $scratch WITH (FORCE)" >/dev/null
psql_on "$admin_url" -c "CREATE DATABASE $scratch" >/dev/null

# In version order, as sqlx applies them (by the number before the first underscore), and
# like sqlx each file in one transaction unless its first line is `-- no-transaction`.
mapfile -t migrations < <(
    find migrations -maxdepth 1 -name '*.sql' ! -name '*.down.sql' -printf '%f\n' | LC_ALL=C sort -n
)
if [[ ${#migrations[@]} -eq 0 ]]; then
    echo "no migrations found in migrations/" >&2
    exit 1
fi
for name in "${migrations[@]}"; do
    file="migrations/$name"
    single=(--single-transaction)
    first_line="$(head -n 1 "$file")"
    if [[ "$first_line" == "-- no-transaction"* ]]; then
        single=()
    fi
    echo "applying $file" >&2
    psql_on "$scratch_url" "${single[@]}" -f "$file"
done

# The query macros only run when the crate is compiled again: make every source file look
# changed. (Only the modification times change.)
for dir in src tests benches examples; do
    if [[ -d "$dir" ]]; then
        find "$dir" -name '*.rs' -exec touch {} +
    fi
done

echo "describing the queries: cargo check --all-targets" >&2
if ! SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$out" DATABASE_URL="$scratch_url" \
    cargo check --all-targets; then
    if $check; then
        echo "the .sqlx check could not compile the crate against the migrated database (errors above): fix them, then run scripts/sqlx-prepare.sh" >&2
    else
        echo "cargo check failed against the migrated database (errors above); .sqlx was left unchanged" >&2
    fi
    exit 1
fi

if $check; then
    # `diff -u .sqlx new`: lines with + are what the queries need now.
    if [[ ! -d .sqlx ]] || ! diff -r -u .sqlx "$out" >&2; then
        echo "the .sqlx query data is stale: run scripts/sqlx-prepare.sh and commit .sqlx" >&2
        exit 1
    fi
    echo ".sqlx is up to date" >&2
else
    rm -rf .sqlx
    mkdir .sqlx
    cp -R "$out"/. .sqlx/
    count="$(find .sqlx -name 'query-*.json' | wc -l)"
    echo "wrote $count query files to .sqlx/; commit them" >&2
fi
