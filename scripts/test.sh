#!/usr/bin/env bash
# The whole test suite, from a fresh machine: system packages, venv, then pytest twice:
# everything on SQLite, and the store/API/connector tests again on a real PostgreSQL server,
# with the job-queue tests (procrastinate, real `account360 worker` processes) there too.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing system packages: ${need_apt[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_apt[@]}"
  else
    echo "missing system packages (run as root or install them): ${need_apt[*]}" >&2
    exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e ".[test]"

export ACCOUNT360_ARTIFACT_DIR="${ACCOUNT360_ARTIFACT_DIR:-$ROOT/artifacts}"
mkdir -p "$ACCOUNT360_ARTIFACT_DIR"

echo "== pytest: whole suite on SQLite (the job-queue worker tests need PostgreSQL: second pass)"
.venv/bin/python -m pytest -q -p no:cacheprovider -m "not postgres" "$@"

echo "== pytest: store, API and connector tests, and the job queue's worker processes, on PostgreSQL"
PGBIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
PGDATA=$(mktemp -d /tmp/account360-pg.XXXXXX)
PGPORT=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
RUNAS=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home /var/lib/postgresql postgres
  chown postgres "$PGDATA"
  RUNAS=(runuser -u postgres --)
fi
"${RUNAS[@]}" "$PGBIN/initdb" -D "$PGDATA/data" -U postgres --auth=trust -E UTF8 >/dev/null
"${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA/data" -l "$PGDATA/log" -w \
  -o "-p $PGPORT -k $PGDATA -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
stop_pg() { "${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$PGDATA"; }
trap stop_pg EXIT
ACCOUNT360_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/postgres" \
  .venv/bin/python -m pytest -q -p no:cacheprovider -m "store or postgres" "$@"
