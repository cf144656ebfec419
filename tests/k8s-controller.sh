#!/usr/bin/env bash
# Runs the Temporal Worker Controller itself against a throwaway API server
# (k8s-apiserver.sh) and a Temporal dev server, and follows one AllAtOnce
# rollout of power-of-4: image :v1, then :v2. Exits non-zero if any step
# does not happen in time; stops every process it started.
#
# There is no kube-controller-manager, scheduler or kubelet here, so a
# Deployment never gets pods. Two stand-ins, both outside the controller:
# the script writes the status a healthy one-pod Deployment would have
# (the controller promotes a version only once its Deployment is Available),
# and runs the power-of-4 worker binary on this machine with the environment
# the controller put in that Deployment's pod template.
set -euo pipefail

WC_VERSION=v1.8.1
root=$(cd "$(dirname "$0")/.." && pwd)
tools=$root/.tools/k8s
worker=$root/consumers/power_of_4_golang/bin/power_of_4
temporal=$root/.tools/bin/temporal
export GOTOOLCHAIN=local GOFLAGS='' CGO_ENABLED=0

# The controller's go.mod requires an unpublished server pre-release (only its
# test helpers import it); a throwaway module replaces it with v1.32.0.
if [ ! -x "$tools/worker-controller" ]; then
  mkdir -p "$tools/src/worker-controller"
  printf '%s\n' 'module local/worker-controller' 'go 1.26.2' \
    "require github.com/temporalio/temporal-worker-controller $WC_VERSION" \
    'replace go.temporal.io/server => go.temporal.io/server v1.32.0' \
    >"$tools/src/worker-controller/go.mod"
  (cd "$tools/src/worker-controller" && go build -mod=mod -trimpath -ldflags '-s -w' \
    -o "$tools/worker-controller" github.com/temporalio/temporal-worker-controller/cmd)
fi
make -C "$root" -s consumers/power_of_4_golang/bin/power_of_4
crds=$(go mod download -json "github.com/temporalio/temporal-worker-controller@$WC_VERSION" |
  sed -n 's/.*"Dir": "\(.*\)",/\1/p')/helm/temporal-worker-controller-crds/templates

# The controller always serves its webhooks on :9443 (no flag to move or
# disable them); nothing registers them with the API server here.
if ss -Htln | awk '{print $4}' | grep -q ':9443$'; then
  echo "port 9443 is taken; the controller's webhook server needs it" >&2
  exit 1
fi

dir=$(mktemp -d)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  "$root/tests/k8s-apiserver.sh" stop "$dir/k8s"
  rm -rf "$dir"
}
trap cleanup EXIT

last=$SECONDS
step() { echo "== [+$((SECONDS - last))s, ${SECONDS}s] $*"; last=$SECONDS; }

# until SECONDS COMMAND...: retry COMMAND every second; on timeout show the
# controller's last log lines and fail.
until_ok() {
  local limit=$1 _
  shift
  for _ in $(seq "$limit"); do "$@" >/dev/null 2>&1 && return; sleep 1; done
  echo "timed out after ${limit}s: $*" >&2
  tail -n 15 "$dir/controller.log" >&2
  exit 1
}

"$root/tests/k8s-apiserver.sh" start "$dir/k8s"
export KUBECONFIG=$dir/k8s/kubeconfig
k() { kubectl -n calculation "$@"; }
step "API server ready"

# A free port for the dev server, as k8s-apiserver.sh picks them.
while :; do
  port=$((20000 + RANDOM % 12000))
  ss -Htan | awk '{print $4}' | grep -q ":$port\$" || break
done
# Drainage is re-checked every 3 minutes by default; 5 s shows it here.
"$temporal" server start-dev --ip 127.0.0.1 --port "$port" --headless --log-level warn \
  --dynamic-config-value 'matching.wv.VersionDrainageStatusVisibilityGracePeriod="5s"' \
  --dynamic-config-value 'matching.wv.VersionDrainageStatusRefreshInterval="5s"' \
  >"$dir/temporal.log" 2>&1 &
pids+=($!)
tctl() { "$temporal" --address "127.0.0.1:$port" "$@"; }
until_ok 60 tctl operator cluster health
step "Temporal dev server ready on 127.0.0.1:$port"

# The chart's CRD templates are plain CRDs apart from their Helm label lines.
for f in "$crds"/*.yaml; do grep -v '{{' "$f" | kubectl apply -f - >/dev/null; done
kubectl wait --for condition=established crd --all --timeout 60s >/dev/null
kubectl create namespace calculation >/dev/null
k apply -f - <<EOF
apiVersion: temporal.io/v1alpha1
kind: Connection
metadata: {name: temporal}
spec: {hostPort: "127.0.0.1:$port"}
EOF
# power-of-4 exactly as deploy/k8s/base/workers.yaml has it, with an image tag.
awk 'BEGIN {RS = "\n---\n"} /\n  name: power-of-4\n/' "$root/deploy/k8s/base/workers.yaml" |
  sed 's|image: calc/power-of-4$|image: calc/power-of-4:v1|' | k apply -f -
step "CRDs, Connection and WorkerDeployment applied"

# The webhook server wants a serving cert under $TMPDIR; any self-signed one does.
mkdir -p "$dir/k8s-webhook-server/serving-certs"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -keyout "$dir/k8s-webhook-server/serving-certs/tls.key" \
  -out "$dir/k8s-webhook-server/serving-certs/tls.crt" 2>/dev/null
kubectl create namespace temporal-system >/dev/null
# What the chart's manager.yaml gives the pod; metrics and probes off ("0"),
# leader election is off unless --leader-elect is given.
TMPDIR=$dir POD_NAMESPACE=temporal-system CONTROLLER_IDENTITY=temporal-worker-controller/temporal-system \
  CONTROLLER_VERSION=$WC_VERSION \
  "$tools/worker-controller" --metrics-bind-address=0 --health-probe-bind-address=0 \
  >"$dir/controller.log" 2>&1 &
pids+=($!)

target() { k get workerdeployment power-of-4 -o jsonpath='{.status.targetVersion.buildID}'; }
current() { k get workerdeployment power-of-4 -o jsonpath='{.status.currentVersion.buildID}'; }
is_target_new() { [ -n "$(target)" ] && [ "$(target)" != "$1" ] && k get deployment "$(k get workerdeployment power-of-4 -o jsonpath='{.status.targetVersion.deployment.name}')"; }
is_current() { [ "$(current)" = "$1" ]; }

# roll_out PREVIOUS_BUILD_ID: wait for the controller's Deployment of a new
# build id, stand in for the Deployment controller and a pod, and wait until
# the controller has made the version current in Temporal.
roll_out() {
  local build name env
  until_ok 90 is_target_new "$1"
  build=$(target)
  name=$(k get workerdeployment power-of-4 -o jsonpath='{.status.targetVersion.deployment.name}')
  step "controller created Deployment $name for build id $build"
  k get deployments -o wide

  k patch deployment "$name" --subresource=status --type=merge -p "{\"status\": {
    \"observedGeneration\": $(k get deployment "$name" -o jsonpath='{.metadata.generation}'),
    \"replicas\": 1, \"updatedReplicas\": 1, \"readyReplicas\": 1, \"availableReplicas\": 1,
    \"conditions\": [{\"type\": \"Available\", \"status\": \"True\", \"reason\": \"MinimumReplicasAvailable\",
      \"lastTransitionTime\": \"$(date -u +%FT%TZ)\", \"lastUpdateTime\": \"$(date -u +%FT%TZ)\"}]}}" >/dev/null
  mapfile -t env < <(k get deployment "$name" \
    -o jsonpath='{range .spec.template.spec.containers[0].env[*]}{.name}={.value}{"\n"}{end}')
  printf '  pod env: %s\n' "${env[@]}"
  env -u HEALTH_PORT PAYLOAD_ENCRYPTION=off "${env[@]}" "$worker" >"$dir/worker-$build.log" 2>&1 &
  pids+=($!)
  step "Deployment marked Available, worker $build started (pid $!)"

  until_ok 90 is_current "$build"
  step "build id $build is current"
  tctl worker deployment describe --name "calculation/power-of-4"
}

roll_out ""
v1=$(current)
k patch workerdeployment power-of-4 --type=json \
  -p '[{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "calc/power-of-4:v2"}]'
step "image changed to calc/power-of-4:v2"
roll_out "$v1"

old_state() { k get workerdeployment power-of-4 -o jsonpath="{.status.deprecatedVersions[?(@.buildID==\"$v1\")].status}"; }
is_drained() { [ "$(old_state)" = Drained ]; }
echo "old version $v1: $(old_state)"
until_ok 90 is_drained
step "old version $v1 is Drained"
tctl worker deployment describe --name "calculation/power-of-4"
k get deployments,workerdeployments
k get workerdeployment power-of-4 -o jsonpath='current={.status.currentVersion.buildID} ({.status.currentVersion.status}); deprecated:{range .status.deprecatedVersions[*]} {.buildID} ({.status}){end}{"\n"}'
