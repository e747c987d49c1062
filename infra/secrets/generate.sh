#!/usr/bin/env bash
# Creates the secret files infra/compose.yaml mounts (git-ignored), each from the OS CSPRNG via
# openssl. The directory is made mode 700 (only its owner can open anything inside); the files are
# 644 because Compose bind-mounts them as they are and the containers run as other users.
# Existing files are kept, so running it twice changes nothing.
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

write postgres_password "$(hex 24)"
write app_db_password "$(hex 24)"
write redis_password "$(hex 24)"
owner_pw="$(head -n 1 postgres_password)"
app_pw="$(head -n 1 app_db_password)"
redis_pw="$(head -n 1 redis_password)"
write database_migration_url "postgres://postgres:${owner_pw}@postgres:5432/app"
write database_url "postgres://app:${app_pw}@postgres:5432/app"
write redis_url "redis://app:${redis_pw}@redis:6379/0"
write redis_users.acl "user default off
user app on >${redis_pw} ~* &* +@all"
write data_keys "$(keyring_entry)"
write token_hmac_keys "$(keyring_entry)"
write backup_key "$(openssl rand -base64 32)"
chmod 600 backup_key # used on the backup host only (infra/backup/), never mounted into a container
