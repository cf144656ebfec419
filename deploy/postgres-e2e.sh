#!/usr/bin/env bash
# The production topology of docker-compose.yml, without Docker: a private PostgreSQL
# cluster, the Temporal server of the compose file built from source and persisting to it,
# the schema and namespace set up by the very scripts compose runs, and our five services
# staged with the file layout of their images (only the runtime files, owned by root, run
# as an unprivileged user) and pointed at that server by environment alone. Then a
# calculation end to end, its history and its rows in PostgreSQL, a server restart, and a
# second calculation.
#
#   bash deploy/postgres-e2e.sh        (after `make build`; as root, or a user who may run
#                                       the PostgreSQL binaries)
#
# The first run builds temporal-server and temporal-sql-tool from the Go module proxy into
# .tools/temporal-server-<version>/ (several minutes on two cores); later runs reuse them.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export GOTOOLCHAIN=local UV_PYTHON_DOWNLOADS=never

# The server release the compose file runs; the build below must be the same one.
SERVER_VERSION="$(sed -nE 's/.*temporalio\/server:([0-9]+\.[0-9]+\.[0-9]+).*/\1/p' docker-compose.yml | head -n 1)"
[[ -n $SERVER_VERSION ]] || { echo "no temporalio/server tag in docker-compose.yml" >&2; exit 1; }
SERVER_BIN="$ROOT/.tools/temporal-server-v$SERVER_VERSION"
TEMPORAL_CLI="$ROOT/.tools/bin/temporal"
UV="$ROOT/.tools/bin/uv"
PG_PASSWORD="e2e-$RANDOM$RANDOM"
NUMBER_2_RESULT=281474976710656
NUMBER_3_RESULT=79766443076872509863361

WORK="$(mktemp -d /tmp/postgres-e2e.XXXXXX)"
chmod 755 "$WORK"
PIDS=()
PG_DATA="$WORK/pgdata"

say() { printf '[postgres-e2e] %s\n' "$*"; }
show_logs() {
  for log in "$WORK"/logs/*.log; do
    [[ -f $log ]] || continue
    printf -- '----- %s (last lines)\n' "${log##*/}" >&2
    tail -n 25 "$log" | cut -c 1-400 >&2
  done
}
fail() {
  printf '[postgres-e2e] FAIL: %s\n' "$*" >&2
  show_logs
  exit 1
}

# Services run as an unprivileged user when we are root, as in the images. setpriv, env and
# `exec` replace one another in the same process, so the PID we keep is the service's own.
if [[ $(id -u) -eq 0 ]]; then
  as_service=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
  as_postgres() { runuser -u postgres -- "$@"; }
else
  as_service=()
  as_postgres() { "$@"; }
fi

cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ -n ${PG_CTL:-} && -f $PG_DATA/postmaster.pid ]]; then
    as_postgres "$PG_CTL" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true
  fi
  if [[ $status -eq 0 || -z ${KEEP_WORK:-} ]]; then rm -rf "$WORK"; else say "kept $WORK"; fi
}
trap cleanup EXIT

# A free TCP port below 32768: Temporal stores membership ports in a smallint column, so
# the kernel's ephemeral ports (32768 and up) are refused there.
free_port() {
  python3 - <<'PY'
import random, socket
for _ in range(200):
    port = random.randint(20000, 32000)
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
PY
}

# wait_for SECONDS DESCRIPTION COMMAND...: retry COMMAND until it succeeds; give up early
# when the process in WATCH_PID (if set) has exited.
wait_for() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "$what: not within ${seconds}s"
    if [[ -n ${WATCH_PID:-} ]] && ! kill -0 "$WATCH_PID" 2>/dev/null; then
      fail "$what: the process exited"
    fi
    sleep 0.5
  done
}

# start NAME COMMAND...: run a long-lived process in the background, output to its log.
# COMMAND must be a program, not a shell function, so that $! is the process itself.
declare -A PID_OF=()
start() {
  local name=$1
  shift
  "$@" >"$WORK/logs/$name.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  PID_OF[$name]=$LAST_PID
}

# --- tools -------------------------------------------------------------------------------

for needed in "$TEMPORAL_CLI" "$UV" node_modules/.bin/tsc; do
  [[ -x $needed ]] || fail "$needed is missing: run \`make build\` first"
done

if [[ ! -x $SERVER_BIN/temporal-server || ! -x $SERVER_BIN/temporal-sql-tool ]]; then
  say "building temporal-server and temporal-sql-tool v$SERVER_VERSION from the Go module proxy"
  module="$(mktemp -d /tmp/temporal-server-build.XXXXXX)"
  started=$SECONDS
  (
    cd "$module"
    export GOFLAGS=-mod=mod
    go mod init temporal-server-build >/dev/null 2>&1
    go get "go.temporal.io/server@v$SERVER_VERSION" >/dev/null 2>&1
    go build -o "$module/bin/temporal-server" go.temporal.io/server/cmd/server
    go build -o "$module/bin/temporal-sql-tool" go.temporal.io/server/cmd/tools/sql
  ) || fail "building the Temporal server"
  mkdir -p "$SERVER_BIN"
  mv "$module/bin/temporal-server" "$module/bin/temporal-sql-tool" "$SERVER_BIN/"
  rm -rf "$module"
  say "built in $((SECONDS - started))s"
fi
"$SERVER_BIN/temporal-server" --version | grep -q "$SERVER_VERSION" ||
  fail "$SERVER_BIN/temporal-server is not version $SERVER_VERSION"

PG_BIN="$(find /usr/lib/postgresql -maxdepth 3 -name pg_ctl -path '*/bin/*' 2>/dev/null | sort -V | tail -n 1 || true)"
if [[ -z $PG_BIN ]]; then
  say "installing PostgreSQL (apt)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  PG_BIN="$(find /usr/lib/postgresql -maxdepth 3 -name pg_ctl -path '*/bin/*' | sort -V | tail -n 1)"
fi
PG_CTL="$PG_BIN"
PG_DIR="$(dirname "$PG_BIN")"

mkdir -p "$WORK/logs"
chmod 777 "$WORK/logs"

# --- PostgreSQL ----------------------------------------------------------------------------

PG_PORT="$(free_port)"
say "PostgreSQL $("$PG_DIR/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT (private cluster in $WORK)"
mkdir -p "$PG_DATA" "$WORK/pgsocket"
printf '%s\n' "$PG_PASSWORD" >"$WORK/pgpass"
if [[ $(id -u) -eq 0 ]]; then chown postgres "$PG_DATA" "$WORK/pgsocket" "$WORK/pgpass"; fi
as_postgres "$PG_DIR/initdb" --pgdata "$PG_DATA" --username temporal --pwfile "$WORK/pgpass" \
  --auth-local trust --auth-host scram-sha-256 >"$WORK/logs/initdb.log" 2>&1 || fail "initdb"
as_postgres "$PG_CTL" -D "$PG_DATA" -l "$WORK/logs/postgresql.log" -w \
  -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $WORK/pgsocket" start >/dev/null || fail "pg_ctl start"
psql_temporal() {
  PGPASSWORD="$PG_PASSWORD" psql -h 127.0.0.1 -p "$PG_PORT" -U temporal -v ON_ERROR_STOP=1 -tA "$@"
}

# --- schema: the script the compose schema job runs, twice (the second must change nothing) -

export POSTGRES_SEEDS=127.0.0.1 DB_PORT="$PG_PORT" POSTGRES_USER=temporal POSTGRES_PWD="$PG_PASSWORD"
for run in first second; do
  TEMPORAL_SQL_TOOL="$SERVER_BIN/temporal-sql-tool" sh deploy/temporal/setup-postgres.sh \
    >"$WORK/logs/schema-$run.log" 2>&1 || fail "deploy/temporal/setup-postgres.sh ($run run)"
done
version="$(psql_temporal -d temporal -c 'select curr_version from schema_version')"
visibility_version="$(psql_temporal -d temporal_visibility -c 'select curr_version from schema_version')"
say "schema applied twice: temporal $version, temporal_visibility $visibility_version"

# --- Temporal server: the embedded configuration template of temporalio/server -------------

GRPC_PORT="$(free_port)"
HTTP_PORT="$(free_port)"
server_env=(
  env DB=postgres12 POSTGRES_SEEDS=127.0.0.1 DB_PORT="$PG_PORT" POSTGRES_USER=temporal
  POSTGRES_PWD="$PG_PASSWORD" BIND_ON_IP=127.0.0.1
  DYNAMIC_CONFIG_FILE_PATH="$ROOT/deploy/temporal/dynamicconfig.yaml"
  FRONTEND_GRPC_PORT="$GRPC_PORT" FRONTEND_HTTP_PORT="$HTTP_PORT"
  FRONTEND_MEMBERSHIP_PORT="$(free_port)" HISTORY_GRPC_PORT="$(free_port)"
  HISTORY_MEMBERSHIP_PORT="$(free_port)" MATCHING_GRPC_PORT="$(free_port)"
  MATCHING_MEMBERSHIP_PORT="$(free_port)" WORKER_GRPC_PORT="$(free_port)"
  WORKER_MEMBERSHIP_PORT="$(free_port)" LOG_LEVEL=warn
)
# The same check as the compose health check of the temporal service.
server_healthy() { curl -fsS "http://127.0.0.1:$HTTP_PORT/api/v1/cluster-info"; }
start_server() {
  start "temporal-$1" "${as_service[@]}" "${server_env[@]}" "$SERVER_BIN/temporal-server" start
  SERVER_PID=$LAST_PID
  local started=$SECONDS
  WATCH_PID=$SERVER_PID wait_for 120 "Temporal server healthy (cluster-info on :$HTTP_PORT)" server_healthy
  say "Temporal server v$SERVER_VERSION healthy on 127.0.0.1:$GRPC_PORT after $((SECONDS - started))s ($1 start)"
}
start_server first

export TEMPORAL_ADDRESS="127.0.0.1:$GRPC_PORT" TEMPORAL_NAMESPACE=default
for run in first second; do
  TEMPORAL_CLI="$TEMPORAL_CLI" sh deploy/temporal/create-namespace.sh >"$WORK/logs/namespace-$run.log" 2>&1 ||
    fail "deploy/temporal/create-namespace.sh ($run run)"
done
say "namespace: $(tail -n 1 "$WORK/logs/namespace-first.log" | sed 's/^namespace: //'); again: $(tail -n 1 "$WORK/logs/namespace-second.log" | sed 's/^namespace: //')"

# --- our services, staged as their images lay them out ------------------------------------
# The same steps as the Dockerfiles, in a build folder; then only the runtime files are
# copied into one folder per image, owned by root and read-only to the service.

say "staging the image layouts (npm ci, tsc -b, npm prune; uv sync --no-dev; static go build)"
staged=$SECONDS
build="$WORK/build/node"
mkdir -p "$build"/{contracts,telemetry,producers,consumers/power_of_6_nodejs}
cp package.json package-lock.json tsconfig.base.json tsconfig.json "$build/"
cp contracts/package.json "$build/contracts/"
cp telemetry/package.json "$build/telemetry/"
cp producers/package.json "$build/producers/"
cp consumers/power_of_6_nodejs/package.json "$build/consumers/power_of_6_nodejs/"
(cd "$build" && npm ci --no-audit --no-fund --ignore-scripts --prefer-offline) >"$WORK/logs/npm-ci.log" 2>&1 ||
  fail "npm ci"
cp contracts/index.ts contracts/contract.json contracts/tsconfig.json "$build/contracts/"
cp telemetry/index.ts telemetry/tsconfig.json "$build/telemetry/"
cp -r producers/src producers/tsconfig.json "$build/producers/"
cp -r consumers/power_of_6_nodejs/src consumers/power_of_6_nodejs/tsconfig.json "$build/consumers/power_of_6_nodejs/"
(
  cd "$build"
  node_modules/.bin/tsc -b producers consumers/power_of_6_nodejs
  npm prune --omit=dev --no-audit --no-fund --ignore-scripts
  find node_modules/@temporalio/core-bridge/releases -mindepth 1 -maxdepth 1 \
    ! -name "$(uname -m)-unknown-linux-gnu" -exec rm -rf {} +
) >"$WORK/logs/node-build.log" 2>&1 || fail "tsc -b / npm prune"

stage_node() { # stage_node IMAGE WORKSPACE OTHER_WORKSPACE_LINK
  local image="$WORK/image/$1"
  mkdir -p "$image/contracts" "$image/telemetry" "$image/$2"
  cp -a "$build/node_modules" "$build/package.json" "$image/"
  rm -f "$image/node_modules/@calc/$3"
  cp -a "$build/contracts/package.json" "$build/contracts/dist" "$image/contracts/"
  cp -a "$build/telemetry/package.json" "$build/telemetry/dist" "$image/telemetry/"
  cp -a "$build/$2/package.json" "$build/$2/dist" "$image/$2/"
}
stage_node producers producers power-of-6
stage_node power_of_6 consumers/power_of_6_nodejs producers

python_image="$WORK/image/power_of_2"
mkdir -p "$python_image"
cp consumers/power_of_2_python/pyproject.toml consumers/power_of_2_python/uv.lock "$python_image/"
# The environment links to its interpreter, which the unprivileged user must reach (in the
# image: /usr/local/bin/python3); prefer the system one over one under root's home.
python_for_image=python3
[[ -x /usr/bin/python3 ]] && python_for_image=/usr/bin/python3
(cd "$python_image" && UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy "$UV" sync --locked --no-dev --python "$python_for_image") \
  >"$WORK/logs/uv-sync.log" 2>&1 || fail "uv sync --locked --no-dev"
rm "$python_image/pyproject.toml" "$python_image/uv.lock"
cp -r consumers/power_of_2_python/power_of_2 "$python_image/"
find "$python_image/power_of_2" -name __pycache__ -prune -exec rm -rf {} +

go_image="$WORK/image/power_of_4"
mkdir -p "$go_image"
(cd consumers/power_of_4_golang && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$go_image/power_of_4" .) \
  >"$WORK/logs/go-build.log" 2>&1 || fail "go build"
file "$go_image/power_of_4" | grep -q 'statically linked' || fail "power_of_4 is not a static binary"
chmod -R a+rX,go-w "$WORK/image"
say "staged in $((SECONDS - staged))s: $(du -sh "$WORK/image/producers" | cut -f1) producers," \
  "$(du -sh "$WORK/image/power_of_6" | cut -f1) power_of_6, $(du -sh "$python_image" | cut -f1) power_of_2," \
  "$(du -sh "$go_image" | cut -f1) power_of_4"

# --- start them: the environment of docker-compose.yml, with local addresses ---------------

API_PORT="$(free_port)"
mkdir -p "$WORK/ready"
chmod 1777 "$WORK/ready"
common=(env -i PATH="/usr/local/bin:/usr/bin:/bin" HOME=/nonexistent TEMPORAL_ADDRESS="$TEMPORAL_ADDRESS"
  TEMPORAL_NAMESPACE=default)
worker_env() { # worker_env NAME: the ready file each worker is given
  printf 'WORKER_READY_FILE=%s' "$WORK/ready/$1"
}
# Each service runs from its image folder; `$0` is that folder, expanded by the inner shell.
# shellcheck disable=SC2016
start workflow-worker "${as_service[@]}" "${common[@]}" NODE_ENV=production "$(worker_env workflow-worker)" \
  bash -c 'cd "$0" && exec node producers/dist/worker.js' "$WORK/image/producers"
for replica in 1 2; do
  # shellcheck disable=SC2016
  start "power_of_2-$replica" "${as_service[@]}" "${common[@]}" PYTHONDONTWRITEBYTECODE=1 WORKER_REPLICA="$replica" \
    "$(worker_env "power_of_2-$replica")" ACTIVITY_1_WAIT_TIMEOUT="${ACTIVITY_1_WAIT_TIMEOUT:-1}" \
    bash -c 'cd "$0" && exec .venv/bin/python -m power_of_2' "$python_image"
done
start power_of_4 "${as_service[@]}" "${common[@]}" "$(worker_env power_of_4)" \
  ACTIVITY_2_WAIT_TIMEOUT="${ACTIVITY_2_WAIT_TIMEOUT:-1}" "$go_image/power_of_4"
# shellcheck disable=SC2016
start power_of_6 "${as_service[@]}" "${common[@]}" NODE_ENV=production "$(worker_env power_of_6)" \
  ACTIVITY_3_WAIT_TIMEOUT="${ACTIVITY_3_WAIT_TIMEOUT:-1}" \
  bash -c 'cd "$0" && exec node consumers/power_of_6_nodejs/dist/main.js' "$WORK/image/power_of_6"
# shellcheck disable=SC2016
start api "${as_service[@]}" "${common[@]}" NODE_ENV=production API_HOST=127.0.0.1 API_PORT="$API_PORT" \
  bash -c 'cd "$0" && exec node producers/dist/server.js' "$WORK/image/producers"

workers=(workflow-worker power_of_2-1 power_of_2-2 power_of_4 power_of_6)
for name in "${workers[@]}"; do
  wait_for 90 "$name ready line" grep -q 'worker ready identity=' "$WORK/logs/$name.log"
done
api_healthy() { curl -fsS "http://127.0.0.1:$API_PORT/health"; }
wait_for 60 "API /health 200" api_healthy
say "five workers polling and the API healthy on 127.0.0.1:$API_PORT"
ready_files=0
for name in "${workers[@]}"; do [[ -f $WORK/ready/$name ]] && ready_files=$((ready_files + 1)); done
if [[ $ready_files -eq ${#workers[@]} ]]; then
  say "WORKER_READY_FILE: written by all five workers"
elif [[ -n ${REQUIRE_READY_FILE:-} ]]; then
  fail "WORKER_READY_FILE written by $ready_files of ${#workers[@]} workers"
else
  say "WORKER_READY_FILE: written by $ready_files of ${#workers[@]} workers (not required yet)"
fi

# --- a calculation, end to end --------------------------------------------------------------

# calculate NUMBER EXPECTED: POST, then wait for the result; prints the workflow id.
calculate() {
  local started body id result
  started=$SECONDS
  body="$(curl -fsS -X POST "http://127.0.0.1:$API_PORT/?number=$1")" || fail "POST /?number=$1"
  id="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["workflow_id"])' <<<"$body")"
  result="$(curl -fsS "http://127.0.0.1:$API_PORT/result/$id?wait=30")" || fail "GET /result/$id"
  python3 - "$2" "$result" <<'PY' || fail "calculation of $1: $result"
import json, sys
expected, answer = sys.argv[1], json.loads(sys.argv[2])
sys.exit(not (answer.get("message") == "completed" and answer.get("result") == expected))
PY
  say "POST /?number=$1 -> GET /result/$id = $2 ($((SECONDS - started))s)" >&2
  printf '%s' "$id"
}
first_id="$(calculate 2 "$NUMBER_2_RESULT")"

# Which worker ran each step, from the history the server keeps in PostgreSQL.
"$TEMPORAL_CLI" workflow show --address "$TEMPORAL_ADDRESS" --namespace default --workflow-id "$first_id" \
  --output json >"$WORK/history.json" || fail "temporal workflow show"
python3 - "$WORK/history.json" <<'PY' || fail "the history does not show one step per language"
import json, sys
events = json.load(open(sys.argv[1]))["events"]
identities = [
    event["activityTaskStartedEventAttributes"]["identity"]
    for event in events
    if "activityTaskStartedEventAttributes" in event
]
prefixes = ["power_of_2-python-", "power_of_4-go-", "power_of_6-typescript-"]
ok = len(identities) == 3 and all(i.startswith(p) for i, p in zip(identities, prefixes))
print("[postgres-e2e] steps ran on: " + ", ".join(i.split("@")[0] for i in identities))
sys.exit(not ok)
PY

# The visibility record is written asynchronously, a moment after the workflow closes.
visibility_completed() {
  [[ $(psql_temporal -d temporal_visibility -c \
    "select status from executions_visibility where workflow_id = '$first_id'") == 2 ]]
}
wait_for 30 "visibility record of $first_id with status 2 (completed)" visibility_completed
rows="$(psql_temporal -d temporal -c 'select count(*) from executions')"
[[ $rows -ge 1 ]] || fail "PostgreSQL: no row in executions"
status=2
say "PostgreSQL holds it: $rows execution row(s); visibility status $status (completed)"

# --- the server restarts; its state and our services come back ----------------------------

kill -TERM "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
! server_healthy >/dev/null 2>&1 || fail "the server still answers after SIGTERM"
start_server second
again="$(curl -fsS "http://127.0.0.1:$API_PORT/result/$first_id")" || fail "GET /result/$first_id after restart"
grep -q "\"result\":\"$NUMBER_2_RESULT\"" <<<"$again" || fail "result lost across the restart: $again"
say "after the restart, GET /result/$first_id still answers $NUMBER_2_RESULT"
calculate 3 "$NUMBER_3_RESULT" >/dev/null

# --- SIGTERM: every worker drains, exits 0 and takes its ready file away --------------------

for name in "${workers[@]}"; do
  pid="${PID_OF[$name]}"
  kill -TERM "$pid"
  code=0
  wait "$pid" || code=$?
  [[ $code -eq 0 ]] || fail "$name exited with $code after SIGTERM"
  [[ ! -e $WORK/ready/$name ]] || fail "$name left its WORKER_READY_FILE behind"
done
say "SIGTERM: all five workers exited 0$([[ $ready_files -gt 0 ]] && echo ' and removed their ready files')"

say "passed"
