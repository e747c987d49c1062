#!/usr/bin/env bash
# Runs once, as the superuser, when the postgres container initialises an empty data directory
# (/docker-entrypoint-initdb.d). infra/k8s/postgres.yaml carries a copy of this file
# (test/repo/infra.test.ts checks the two are the same; test/repo/fresh-install.test.ts runs this
# one on a throw-away database and migrates as the owner). Creates three roles; none is a
# superuser (docs/decisions/0075-migrations-as-a-one-shot-job.md):
#   app_owner   owns the schema; the one-shot migration job (Compose service `migrate`, Kubernetes
#               Job `migrate`) and the backups (infra/backup/backup.sh) connect as it. No CREATEDB,
#               CREATEROLE. BYPASSRLS, so that pg_dump can read the tables under FORCE ROW LEVEL
#               SECURITY and data migrations see every organization's rows: as the tables' owner it
#               could switch their row security off anyway, so this gives it nothing new
#               (docs/runbooks/restore-backup.md).
#   app         the application's login; owns nothing. After each migration run the owner grants it
#               row access only (src/db/grants.ts).
#   app_tenant  NOLOGIN NOINHERIT NOBYPASSRLS: tenant transactions switch to it so Row Level Security
#               binds them (src/db/tenant.ts, decision 0050). Created here because the owner may not
#               create roles; the owner gets it WITH ADMIN OPTION (so the migration job may grant
#               it) and `app` gets it so that it may SET ROLE to it. The migration job then grants it
#               row access on every table (ensureTenantRole in src/db/grants.ts).
# The superuser `postgres` stays inside this container (its password is used by nobody else).
# The names follow the app's settings; change them together: DATABASE_OWNER_ROLE (app_owner),
# DATABASE_APP_ROLE (app), DATABASE_TENANT_ROLE (app_tenant). The passwords are read from
# ROLE_SECRETS_DIR (/run/secrets): owner_db_password and app_db_password.
set -euo pipefail
secrets="${ROLE_SECRETS_DIR:-/run/secrets}"
# psql reads the passwords itself (\set with a backtick command), so they never appear in argv.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v db="$POSTGRES_DB" -v owner="${DATABASE_OWNER_ROLE:-app_owner}" -v app="${DATABASE_APP_ROLE:-app}" \
  -v tenant="${DATABASE_TENANT_ROLE:-app_tenant}" -v owner_file="$secrets/owner_db_password" \
  -v app_file="$secrets/app_db_password" <<'SQL'
\set owner_password `head -n 1 -- :'owner_file'`
\set app_password `head -n 1 -- :'app_file'`
CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION BYPASSRLS PASSWORD :'owner_password';
CREATE ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT PASSWORD :'app_password';
CREATE ROLE :"tenant" NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT;
GRANT :"tenant" TO :"owner" WITH ADMIN OPTION;
GRANT :"tenant" TO :"app";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"owner";
GRANT CONNECT ON DATABASE :"db" TO :"app";
ALTER SCHEMA public OWNER TO :"owner";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";
SQL
