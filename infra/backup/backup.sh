#!/usr/bin/env bash
# Encrypted logical backup: pg_dump (custom format, compressed) piped straight into
# `gpg --symmetric` (AES-256, integrity-protected), so no plaintext dump ever touches the disk.
# Why gpg and not age or openssl enc: docs/decisions/0030-backup-encryption-with-gpg.md.
#
# usage: DATABASE_URL=postgres://… BACKUP_KEY_FILE=/run/secrets/backup_key backup.sh <output-file>
#   DATABASE_URL_FILE may replace DATABASE_URL. The output is written to a temporary file beside
#   <output-file> and renamed only once pg_dump and gpg both succeeded.
set -euo pipefail
umask 077
# shellcheck source=infra/backup/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[[ $# -eq 1 && -n "$1" ]] || die "usage: backup.sh <output-file>"
output="$1"
require_tool pg_dump "install the PostgreSQL client, same major version as the server or newer"
require_tool gpg "install gnupg"
load_database_url
split_password
check_key_file
[[ -d "$(dirname -- "$output")" ]] || die "the output directory does not exist"

partial="$(mktemp "${output}.partial.XXXXXX")"
make_gpg_home
cleanup() {
  remove_gpg_home
  rm -f -- "$partial"
}
trap cleanup EXIT

pg_dump --dbname="$CONNECT_URL" --no-password --format=custom --lock-wait-timeout=120000 \
  | run_gpg --symmetric --cipher-algo AES256 --s2k-mode 3 --s2k-digest-algo SHA512 \
      --s2k-count 65011712 --compress-algo none --output - >"$partial"

mv -f -- "$partial" "$output"
printf 'backup written: %s (%s bytes)\n' "$output" "$(wc -c <"$output" | tr -d ' ')" >&2
