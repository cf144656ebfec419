#!/usr/bin/env bash
# A throwaway Kubernetes API server (etcd + kube-apiserver, no nodes, no
# controllers) to judge manifests with `kubectl apply --dry-run=server`.
# Both binaries are built from the Go module proxy: no release downloads,
# no container images.
#
#   k8s-apiserver.sh build       build .tools/k8s/{etcd,kube-apiserver} if missing
#   k8s-apiserver.sh start DIR   build, start both with state in DIR, write
#                            DIR/kubeconfig and DIR/pids, return once /readyz is ok
#   k8s-apiserver.sh stop DIR    stop exactly the processes listed in DIR/pids
set -euo pipefail

K8S_VERSION=v1.37.2
ETCD_VERSION=v3.6.17
tools=$(cd "$(dirname "$0")/.." && pwd)/.tools/k8s
export GOTOOLCHAIN=local GOFLAGS='' CGO_ENABLED=0

# build NAME MAIN_PACKAGE LDFLAGS GO.MOD-TEXT: compile a module's main package
# from a throwaway module under $tools/src/NAME, so that the dependency's own
# go.mod `replace` lines (which `go install pkg@version` refuses) do not apply.
build_one() {
  [ -x "$tools/$1" ] && return
  mkdir -p "$tools/src/$1"
  printf '%s\n' "$4" >"$tools/src/$1/go.mod"
  (cd "$tools/src/$1" && go build -mod=mod -trimpath -ldflags "$3" -o "$tools/$1" "$2")
}

# Path of the go.mod of MODULE@VERSION, fetched from the module proxy.
gomod() { go mod download -json "$1" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p'; }

build() {
  local kmod staging
  # k8s.io/kubernetes replaces its ~30 staging modules with ./staging paths that
  # exist only in its repository; each is published as k8s.io/X v0.<minor>.<patch>,
  # so the replace list is derived from its own go.mod rather than copied by hand.
  kmod=$(gomod "k8s.io/kubernetes@$K8S_VERSION")
  staging=v0.${K8S_VERSION#v1.}
  build_one kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver \
    "-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION" \
    "module local/kube-apiserver
$(grep -E '^(go|godebug) ' "$kmod")
require k8s.io/kubernetes $K8S_VERSION
$(awk -v v="$staging" '$2 == "=>" && $3 ~ /^\.\/staging\// {print "replace " $1 " => " $1 " " v}' "$kmod")"
  # etcd's main package is the root of go.etcd.io/etcd/server/v3; its go.mod
  # replaces the sibling etcd modules with ../ paths, hence the same trick.
  build_one etcd go.etcd.io/etcd/server/v3 "-s -w" \
    "module local/etcd
$(grep '^go ' "$(gomod "go.etcd.io/etcd/server/v3@$ETCD_VERSION")")
require go.etcd.io/etcd/server/v3 $ETCD_VERSION"
}

# A random port below the kernel's ephemeral range (so no outgoing connection
# takes it meanwhile), not the well-known defaults, not used by any socket and
# not among the ports given as arguments (already chosen by this run).
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 12000))
    case " $* " in *" $p "*) continue ;; esac
    ss -Htan | awk '{print $4}' | grep -q ":$p\$" || { echo "$p"; return; }
  done
}

start() {
  local dir=$1 ec ep ap token pid
  [ -e "$dir/pids" ] && { echo "already running: $dir/pids exists" >&2; exit 1; }
  build
  mkdir -p "$dir" && dir=$(cd "$dir" && pwd)
  # Held from picking the ports until they are bound, so that concurrent runs
  # never pick the same ones; fd 9 is closed in the children so it is released.
  exec 9>"${TMPDIR:-/tmp}/k8s-apiserver-ports.lock"
  flock 9
  ec=$(free_port); ep=$(free_port "$ec"); ap=$(free_port "$ec" "$ep")

  "$tools/etcd" --name=local --data-dir="$dir/etcd" \
    --listen-client-urls="http://127.0.0.1:$ec" --advertise-client-urls="http://127.0.0.1:$ec" \
    --listen-peer-urls="http://127.0.0.1:$ep" --initial-advertise-peer-urls="http://127.0.0.1:$ep" \
    --initial-cluster="local=http://127.0.0.1:$ep" \
    </dev/null >"$dir/etcd.log" 2>&1 9>&- &
  echo $! >"$dir/pids"

  # kube-apiserver will not start without a service-account issuer and key,
  # even though nothing here asks for tokens.
  [ -e "$dir/sa.key" ] || openssl genpkey -algorithm RSA -out "$dir/sa.key" 2>/dev/null
  token=$(openssl rand -hex 16)
  echo "$token,admin,admin,system:masters" >"$dir/tokens.csv"

  # --cert-dir: kube-apiserver makes its own self-signed serving cert there.
  # It advertises loopback (else it picks a host interface), which the
  # `kubernetes` Endpoints reconciler refuses: no reconciler, nothing needs it.
  "$tools/kube-apiserver" --etcd-servers="http://127.0.0.1:$ec" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$ap" \
    --endpoint-reconciler-type=none \
    --cert-dir="$dir/certs" --token-auth-file="$dir/tokens.csv" \
    --authorization-mode=AlwaysAllow --service-cluster-ip-range=10.0.0.0/24 \
    --service-account-issuer=https://kubernetes.default.svc \
    --service-account-key-file="$dir/sa.key" --service-account-signing-key-file="$dir/sa.key" \
    </dev/null >"$dir/kube-apiserver.log" 2>&1 9>&- &
  echo $! >>"$dir/pids"

  cat >"$dir/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: "https://127.0.0.1:$ap", certificate-authority: "$dir/certs/apiserver.crt"}
users:
- name: admin
  user: {token: "$token"}
contexts:
- name: local
  context: {cluster: local, user: admin}
current-context: local
KUBECONFIG

  for _ in $(seq 180); do
    if [ "$(kubectl --kubeconfig "$dir/kubeconfig" get --raw /readyz 2>/dev/null)" = ok ]; then
      exec 9>&-
      echo "ready in ${SECONDS}s: kubectl --kubeconfig $dir/kubeconfig"
      return
    fi
    while read -r pid; do
      kill -0 "$pid" 2>/dev/null || { tail -n 20 "$dir"/*.log >&2; stop "$dir"; exit 1; }
    done <"$dir/pids"
    sleep 1
  done
  echo "not ready after 180s; logs in $dir" >&2
  stop "$dir"
  exit 1
}

stop() {
  local dir=$1 pid
  [ -e "$dir/pids" ] || return 0
  # kube-apiserver first (listed last), then etcd; a pid is only signalled if
  # it still runs one of the binaries built here (pids can be reused).
  for pid in $(tac "$dir/pids"); do
    case $(readlink "/proc/$pid/exe" 2>/dev/null) in "$tools"/*) ;; *) continue ;; esac
    kill "$pid"
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
  done
  rm -f "$dir/pids"
}

case ${1-} in
  build) build ;;
  start) start "${2:?usage: $0 start DIR}" ;;
  stop) stop "${2:?usage: $0 stop DIR}" ;;
  *) echo "usage: $0 build | start DIR | stop DIR" >&2; exit 2 ;;
esac
