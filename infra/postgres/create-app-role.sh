#!/usr/bin/env bash
# Runs once, when the postgres container initialises an empty data directory
# (/docker-entrypoint-initdb.d). Creates the login role the application connects as. It owns
# nothing: the migrations (run as the owner, DATABASE_MIGRATION_URL) create the tables and grant
# this role only what the app needs (the least-privilege role work of issue 6).
set -euo pipefail
# psql reads the password itself (\set with a backtick command), so it never appears in argv.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
\set app_password `head -n 1 /run/secrets/app_db_password`
CREATE ROLE app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD :'app_password';
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT CONNECT ON DATABASE app TO app;
GRANT USAGE ON SCHEMA public TO app;
SQL
