#!/usr/bin/env bash
# Creates the secret files infra/compose.yaml mounts (git-ignored), each from the OS CSPRNG via
# openssl. The directory is made mode 700 (only its owner can open anything inside); the files are
# 644 because Compose bind-mounts them as they are and the containers run as other users.
# Existing files are kept, so running it twice changes nothing. Upgrading from a version whose
# database_migration_url named the superuser: see docs/runbooks/deploy.md.
# For Kubernetes, load the same files: see infra/k8s/kustomization.yaml.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
chmod 700 .
umask 022

hex() { openssl rand -hex "$1"; }
keyring_entry() { printf 'v1:%s' "$(openssl rand -base64 32 | tr '+/' '-_' | tr -d '=\n')"; }
write() {
  if [[ -e "$1" ]]; then
    printf 'kept      %s\n' "$1"
  else
    printf '%s\n' "$2" >"$1"
    printf 'generated %s\n' "$1"
  fi
}

write postgres_password "$(hex 24)"   # the superuser's: used inside the postgres container only
write owner_db_password "$(hex 24)"   # app_owner: the migration job's role (infra/postgres/create-app-role.sh)
write app_db_password "$(hex 24)"
write redis_password "$(hex 24)"
owner_pw="$(head -n 1 owner_db_password)"
app_pw="$(head -n 1 app_db_password)"
redis_pw="$(head -n 1 redis_password)"
# The migration job's secret, never mounted into the app (docs/decisions/0075).
write database_migration_url "postgres://app_owner:${owner_pw}@postgres:5432/app"
write database_url "postgres://app:${app_pw}@postgres:5432/app"
write redis_url "redis://app:${redis_pw}@redis:6379/0"
# The app's Redis user may run only the commands it uses, on its key prefix (sss: by default); the
# default user is off (why it still holds a few write rights: docs/decisions/0046).
write redis_users.acl "$(sed "s/__APP_PASSWORD__/${redis_pw}/" ../redis/users.acl.template)"
# A file kept from an older template keeps its older rules: compared without the passwords (a
# rotation holds two), it must match the template. Fix: docs/runbooks/rotate-keys.md, "Redis".
if [[ "$(sed -E 's/ >[^ ]+//g' redis_users.acl)" != "$(sed -E 's/ >[^ ]+//g' ../redis/users.acl.template)" ]]; then
  printf 'OUTDATED  redis_users.acl: its rules differ from infra/redis/users.acl.template\n' >&2
fi
# nginx's certificate (infra/nginx/nginx.conf reads /etc/nginx/tls/). For local use only: a
# self-signed one for localhost. In production put your CA-issued fullchain.pem, privkey.pem and
# chain.pem (the issuer chain, for OCSP stapling) here or mount them at /etc/nginx/tls.
if [[ ! -e tls/privkey.pem ]]; then
  mkdir -p tls
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost -addext subjectAltName=DNS:localhost \
    -keyout tls/privkey.pem -out tls/fullchain.pem 2>/dev/null
  cp tls/fullchain.pem tls/chain.pem
  printf 'generated tls/ (self-signed, localhost, 30 days)\n'
fi
write data_keys "$(keyring_entry)"
write token_hmac_keys "$(keyring_entry)"
write backup_key "$(openssl rand -base64 32)"
chmod 600 backup_key # used on the backup host only (infra/backup/), never mounted into a container
