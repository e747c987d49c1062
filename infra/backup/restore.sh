#!/usr/bin/env bash
# Restores a backup made by backup.sh into the database named by DATABASE_URL.
# 1. Decrypts once to /dev/null: gpg checks the integrity tag only at the end of the stream, so a
#    tampered or truncated file is refused before anything reaches the database.
# 2. Decrypts again straight into pg_restore, in one transaction: any error rolls everything back.
#
# usage: DATABASE_URL=postgres://… BACKUP_KEY_FILE=/run/secrets/backup_key restore.sh <backup-file> [--clean]
#   Without --clean the target database must be empty (restoring over existing tables fails and
#   changes nothing). With --clean, objects in the backup are dropped and recreated first.
#   Roles are cluster-wide and not in the dump: create the owner and app roles before restoring.
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
require_tool gpg "install gnupg"
load_database_url
split_password
check_key_file

make_gpg_home
trap remove_gpg_home EXIT

run_gpg --decrypt <"$input" >/dev/null || die "decryption failed: wrong key, or the file is damaged or tampered with"

run_gpg --decrypt <"$input" \
  | pg_restore --dbname="$CONNECT_URL" --no-password --single-transaction --exit-on-error "${clean[@]}"

printf 'restored %s\n' "$input" >&2
