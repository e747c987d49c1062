# Shared by backup.sh and restore.sh (sourced, not run). Keeps the database password and the backup
# key off every command line: `ps` and /proc/<pid>/cmdline are readable by other local users.

die() {
  printf '%s: %s\n' "${0##*/}" "$*" >&2
  exit 1
}

require_tool() {
  command -v "$1" >/dev/null 2>&1 || die "$1 not found on PATH ($2)"
}

# DATABASE_URL, or the file named by DATABASE_URL_FILE (as the app reads its secrets).
load_database_url() {
  if [[ -n "${DATABASE_URL_FILE:-}" ]]; then
    [[ -z "${DATABASE_URL:-}" ]] || die "set DATABASE_URL or DATABASE_URL_FILE, not both"
    [[ -r "$DATABASE_URL_FILE" ]] || die "DATABASE_URL_FILE: cannot read the file it names"
    DATABASE_URL="$(head -n 1 -- "$DATABASE_URL_FILE")"
  fi
  [[ -n "${DATABASE_URL:-}" ]] || die "DATABASE_URL (or DATABASE_URL_FILE) is required"
  [[ "$DATABASE_URL" =~ ^postgres(ql)?:// ]] || die "DATABASE_URL must start with postgres:// or postgresql://"
}

# Moves a password out of the URL into PGPASSWORD (libpq reads it from the environment), so
# pg_dump/pg_restore get a URL without it. Percent-encoded characters are decoded.
split_password() {
  local re='^(postgres(ql)?://)([^:@/]*):([^@/]*)@(.*)$'
  if [[ "$DATABASE_URL" =~ $re ]]; then
    local encoded="${BASH_REMATCH[4]}"
    encoded="${encoded//\\/\\\\}"
    PGPASSWORD="$(printf '%b' "${encoded//%/\\x}")"
    export PGPASSWORD
    CONNECT_URL="${BASH_REMATCH[1]}${BASH_REMATCH[3]}@${BASH_REMATCH[5]}"
  else
    CONNECT_URL="$DATABASE_URL"
  fi
}

# The passphrase file: readable, at least 32 characters on its first line (e.g. the output of
# `openssl rand -base64 32`). gpg reads it by path, so the passphrase never enters argv or env.
check_key_file() {
  [[ -n "${BACKUP_KEY_FILE:-}" ]] || die "BACKUP_KEY_FILE (path to the passphrase file) is required"
  [[ -r "$BACKUP_KEY_FILE" ]] || die "BACKUP_KEY_FILE: cannot read the file it names"
  local first_line
  first_line="$(head -n 1 -- "$BACKUP_KEY_FILE")"
  (( ${#first_line} >= 32 )) || die "BACKUP_KEY_FILE: the passphrase must be at least 32 characters"
  if [[ -n "$(find "$BACKUP_KEY_FILE" -perm /o=r 2>/dev/null)" ]]; then
    printf '%s: warning: BACKUP_KEY_FILE is world-readable; chmod 600 it\n' "${0##*/}" >&2
  fi
}

# gpg with a throw-away home directory: symmetric encryption needs no keyring, and nothing is
# left in ~/.gnupg (which may not exist, or be read-only, in a container).
GPG_HOME=""
make_gpg_home() {
  GPG_HOME="$(mktemp -d)"
}
remove_gpg_home() {
  if [[ -n "$GPG_HOME" ]]; then
    gpgconf --homedir "$GPG_HOME" --kill all >/dev/null 2>&1 || true
    rm -rf -- "$GPG_HOME"
  fi
}
run_gpg() {
  gpg --homedir "$GPG_HOME" --batch --quiet --no-tty --no-options --pinentry-mode loopback \
    --passphrase-file "$BACKUP_KEY_FILE" "$@"
}
