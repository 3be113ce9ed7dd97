#!/bin/sh
# Runs once, when the database volume is first initialised: gives the app its own login
# role. The migrations (run by the owner, `postgres`) grant it what the app may do: read and
# write the clinic's tables, but only read and add audit entries.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v app_password="$CLINIC_APP_DB_PASSWORD" <<'SQL'
CREATE ROLE clinic_app LOGIN PASSWORD :'app_password';
SQL
