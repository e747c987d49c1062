#!/usr/bin/env bash
# Runs once, when the postgres container initialises an empty data directory
# (/docker-entrypoint-initdb.d). Creates the two login roles; neither is a superuser
# (docs/decisions/0075-migrations-as-a-one-shot-job.md):
#   app_owner  owns the schema; the one-shot migration job (Compose service `migrate`, Kubernetes
#              Job `migrate`) connects as it through DATABASE_MIGRATION_URL. No CREATEDB, CREATEROLE.
#   app        the application's login; owns nothing. After each migration run the owner grants it
#              row access only (src/db/grants.ts).
# The superuser `postgres` stays inside this container (its password is used by nobody else).
set -euo pipefail
# psql reads the passwords itself (\set with a backtick command), so they never appear in argv.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
\set owner_password `head -n 1 /run/secrets/owner_db_password`
\set app_password `head -n 1 /run/secrets/app_db_password`
CREATE ROLE app_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'owner_password';
CREATE ROLE app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT PASSWORD :'app_password';
REVOKE ALL ON DATABASE app FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE app TO app_owner;
GRANT CONNECT ON DATABASE app TO app;
ALTER SCHEMA public OWNER TO app_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO app;
SQL
