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

# A Docker engine for the compose and controller tests (README.md, "Tests and benchmarks"), started here rather than
# by one test: the suites run in parallel, and one that looked before another started the engine
# would skip itself. The offline images too, when the engine has none yet (~2 min, once).
if ! docker info >/dev/null 2>&1 && command -v dockerd >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  echo "vnflab: starting a Docker engine for the compose and controller tests" >&2
  (setsid dockerd >/tmp/vnflab-dockerd.log 2>&1 &)
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
fi
if docker info >/dev/null 2>&1 && ! docker image inspect "vnflab/node-base:$(node -p 'process.versions.node')-bookworm" >/dev/null 2>&1; then
  echo "vnflab: building the offline images for the compose and controller tests" >&2
  bash "$(dirname "$0")/../infra/docker/build-offline.sh"
fi
