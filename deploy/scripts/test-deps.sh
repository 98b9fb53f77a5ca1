#!/usr/bin/env bash
# Makes sure what `make test` needs is present and running on this machine, installing or
# starting it when missing: protoc (for the generated-code check), chromium (browser tests),
# PostgreSQL on 127.0.0.1:5432
# (trust auth for user postgres) and Redis on 127.0.0.1:6379. It says what it does.
set -euo pipefail

say() { echo "test-deps: $*"; }
have() { command -v "$1" >/dev/null 2>&1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif have sudo; then sudo "$@"; else say "need root for: $*"; return 1; fi; }
apt_install() {
  say "installing $* with apt-get"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >/dev/null 2>&1 || {
    as_root apt-get update >/dev/null 2>&1
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >/dev/null
  }
}

# protoc + the well-known .proto files
if ! have protoc || [ ! -f /usr/include/google/protobuf/empty.proto ]; then
  apt_install protobuf-compiler libprotobuf-dev
fi

# Chromium for the web app's browser tests (playwright-core drives Debian's build; fonts for
# Chinese text in screenshots)
if ! have chromium; then
  apt_install chromium fonts-noto-cjk
fi

# PostgreSQL
pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if ! pg_up; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql
  fi
  ver=$(ls /etc/postgresql | sort -V | tail -n1)
  say "starting PostgreSQL $ver"
  as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { say "PostgreSQL did not come up on 127.0.0.1:5432"; exit 1; }
fi
if have psql && ! psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
  say "cannot connect as postgres without a password on 127.0.0.1:5432; enabling trust auth for local TCP"
  hba=$(ls /etc/postgresql/*/main/pg_hba.conf | head -n1)
  as_root sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/' "$hba"
  ver=$(ls /etc/postgresql | sort -V | tail -n1)
  as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main reload || true
fi

# Redis
redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; }
if ! redis_up; then
  have redis-server || apt_install redis-server
  say "starting Redis on 127.0.0.1:6379"
  mkdir -p /tmp/vanguard-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /tmp/vanguard-redis >/dev/null
  for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
  redis_up || { say "Redis did not come up on 127.0.0.1:6379"; exit 1; }
fi
say "PostgreSQL, Redis, protoc and chromium are ready"
