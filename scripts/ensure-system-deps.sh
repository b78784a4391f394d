#!/usr/bin/env bash
# Installs the system packages the tests use, if they are missing: the tests run against real
# components (redis-server, Prometheus and promtool, tshark, Chromium, a Docker engine).
# Needs root (or sudo) only when something is missing.
set -euo pipefail

declare -A pkg_of=(
  [redis-server]=redis-server
  [prometheus]=prometheus
  [promtool]=prometheus
  [tshark]=tshark
  [chromium]=chromium
  [dockerd]=docker.io
  [docker-compose]=docker-compose
  [debootstrap]=debootstrap
)

missing=()
for cmd in "${!pkg_of[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${pkg_of[$cmd]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
  echo "vnflab: installing system packages the tests need: $pkgs" >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "vnflab: not root and no sudo: install $pkgs yourself (apt-get install $pkgs)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  # shellcheck disable=SC2086
  $sudo apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
fi
