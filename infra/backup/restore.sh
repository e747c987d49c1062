#!/usr/bin/env bash
# Restores a backup made by backup.sh into the database named by DATABASE_URL.
# 1. Decrypts once to /dev/null: gpg checks the integrity tag only at the end of the stream, so a
#    tampered or truncated file is refused before anything reaches the database.
# 2. Decrypts again straight into pg_restore, in one transaction: any error rolls everything back.
#
# 3. Re-applies what the dump does not hold: the database-level grants (REVOKE ALL ... FROM PUBLIC,
#    CONNECT and TEMPORARY for the owner, CONNECT for the app), as infra/postgres/create-app-role.sh
#    sets them on a new database. Schema, table and row-security grants are in the dump.
#
# usage: DATABASE_URL=postgres://postgres@…/<target> BACKUP_KEY_FILE=/run/secrets/backup_key restore.sh <backup-file> [--clean]
#   DATABASE_URL (or DATABASE_URL_FILE) connects as the superuser, not the owner: the dump makes the
#   owner role the owner of schema public and of every object, grants to the app and tenant roles,
#   and the database grants above are the database owner's to give; the owner role may do none of
#   it on a new database ("must be owner of schema public"). On a managed database without a
#   superuser, use the database's owner after `GRANT app_owner TO <it>`. Checked before anything else.
#   Without --clean the target database must be empty (restoring over existing tables fails and
#   changes nothing). With --clean, objects in the backup are dropped and recreated first.
#   Roles are cluster-wide and not in the dump: they must exist before restoring (a new cluster:
#   infra/postgres/create-app-role.sh). Their names: DATABASE_OWNER_ROLE (app_owner),
#   DATABASE_APP_ROLE (app), DATABASE_TENANT_ROLE (app_tenant), as in that script.
set -euo pipefail
umask 077
# shellcheck source=infra/backup/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[[ $# -ge 1 && $# -le 2 && -n "$1" ]] || die "usage: restore.sh <backup-file> [--clean]"
input="$1"
clean=()
if [[ $# -eq 2 ]]; then
  [[ "$2" == "--clean" ]] || die "unknown option: $2"
  clean=(--clean --if-exists)
fi
[[ -r "$input" ]] || die "cannot read the backup file"
require_tool pg_restore "install the PostgreSQL client, same major version as the server or newer"
require_tool psql "install the PostgreSQL client"
require_tool gpg "install gnupg"
load_database_url
split_password
check_key_file
owner_role="${DATABASE_OWNER_ROLE:-app_owner}"
app_role="${DATABASE_APP_ROLE:-app}"
tenant_role="${DATABASE_TENANT_ROLE:-app_tenant}"

# psql on the target with the role names as variables; SQL from stdin.
target_psql() {
  psql --dbname="$CONNECT_URL" --no-password --no-psqlrc --quiet -v ON_ERROR_STOP=1 --tuples-only --no-align \
    -v owner="$owner_role" -v app="$app_role" -v tenant="$tenant_role" "$@"
}

# Before anything: the roles exist, and this connection may restore them as owners and grant.
missing="$(target_psql <<'SQL')" || die "cannot connect to the target database"
SELECT string_agg(r, ' ') FROM unnest(ARRAY[:'owner', :'app', :'tenant']) AS r WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r);
SQL
[[ -z "$missing" ]] || die "role(s) missing: $missing; create them first, as the superuser (infra/postgres/create-app-role.sh)"
allowed="$(target_psql <<'SQL')" || die "cannot connect to the target database"
SELECT r.rolsuper OR (d.datdba = r.oid AND pg_has_role(r.oid, :'owner', 'MEMBER'))
  FROM pg_roles r, pg_database d WHERE r.rolname = current_user AND d.datname = current_database();
SQL
[[ "$allowed" == "t" ]] || die "restore as the superuser (e.g. postgres), not as this role: the dump makes $owner_role the owner of every object and the database grants are the database owner's to give (docs/runbooks/restore-backup.md)"

make_gpg_home
trap remove_gpg_home EXIT

run_gpg --decrypt <"$input" >/dev/null || die "decryption failed: wrong key, or the file is damaged or tampered with"

run_gpg --decrypt <"$input" \
  | pg_restore --dbname="$CONNECT_URL" --no-password --single-transaction --exit-on-error "${clean[@]}"

# Database-level grants live outside any dump made without --create: the same as create-app-role.sh.
target_psql >/dev/null <<'SQL' || die "restored, but the database grants failed: apply them as the superuser (docs/runbooks/restore-backup.md)"
SELECT current_database() AS db \gset
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"owner";
GRANT CONNECT ON DATABASE :"db" TO :"app";
SQL

printf 'restored %s, and the database grants for %s and %s\n' "$input" "$owner_role" "$app_role" >&2
