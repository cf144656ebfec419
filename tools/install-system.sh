#!/usr/bin/env bash
# The system packages the tests need, from Debian: Chromium (browser test) and PostgreSQL
# (deploy/postgres-e2e.ts). Installs only what is missing, so a second run asks apt nothing.
set -euo pipefail

packages=(chromium postgresql)
missing=()
for package in "${packages[@]}"; do
  status="$(dpkg-query -W -f '${db:Status-Status}' "$package" 2>/dev/null || true)"
  [[ $status == installed ]] || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

apt=(env DEBIAN_FRONTEND=noninteractive apt-get)
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || {
    echo "install-system: ${missing[*]} missing; run as root to install them" >&2
    exit 1
  }
  apt=(sudo "${apt[@]}")
fi
echo "install-system: installing ${missing[*]}"
"${apt[@]}" update -qq
"${apt[@]}" install -y -qq "${missing[@]}" >/dev/null
