#!/usr/bin/env bash
# Builds every vnflab image without a container registry (this machine, air-gapped sites):
#   1. a Debian bookworm rootfs from debootstrap (Debian's package mirror only), cached;
#   2. base images made from it with `docker import`: node (the node binary this script runs on,
#      scripts/use-node.sh), redis and prometheus (Debian's packages installed into a copy of the
#      rootfs);
#   3. the stage images from infra/docker/Dockerfile.offline, with the project built and its
#      production dependencies installed on the host and copied in.
# Then: docker-compose -f docker-compose.yml -f docker-compose.offline.yml up -d
# Needs root (debootstrap, chroot) and a running Docker engine.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
# the node image copies the node binary this script runs: one as new as package.json's engines,
# fetched from the npm registry when the host's is older (an end-of-life Node would otherwise
# ship in every image without a word)
# shellcheck source=scripts/use-node.sh
source scripts/use-node.sh
CACHE=${VNFLAB_ROOTFS_CACHE:-/var/cache/vnflab}
MIRROR=${VNFLAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# the stage images' tag: the package version, or VNFLAB_VERSION (what docker-compose.yml's image:
# lines read), so a test can build images of its own without replacing the ones others run
VERSION=${VNFLAB_VERSION:-$(node -p "require('./package.json').version")}
NODE_TAG="vnflab/node-base:$(node -p 'process.versions.node')-bookworm"
REDIS_TAG=vnflab/redis:7.0-bookworm
PROM_TAG=vnflab/prometheus:2.42-bookworm
# an image per stage workspace (package.json "vnflab": { "stage": ... }), and the controller
mapfile -t STAGES < <(node -e 'const fs=require("fs");for(const d of fs.readdirSync("services").sort()){try{const p=JSON.parse(fs.readFileSync(`services/${d}/package.json`,"utf8"));if(p.vnflab&&p.vnflab.stage)console.log(d)}catch{}}')
STAGES+=(controller)
# VNFLAB_STAGES="nic lb ...": only these images (a test builds the ones its project starts)
[ -z "${VNFLAB_STAGES:-}" ] || read -ra STAGES <<<"$VNFLAB_STAGES"

log() { printf 'build-offline: %s\n' "$*" >&2; }
have_image() { docker image inspect "$1" >/dev/null 2>&1; }

docker info >/dev/null 2>&1 || { log "no Docker engine answers (start one: setsid dockerd >/tmp/dockerd.log 2>&1 &)"; exit 1; }
command -v debootstrap >/dev/null || { log "installing debootstrap"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }

rootfs="$CACHE/rootfs-bookworm"
if [ ! -x "$rootfs/bin/sh" ]; then
  log "debootstrap bookworm (minbase) into $rootfs (a few minutes, once)"
  mkdir -p "$CACHE"
  rm -rf "$rootfs.tmp"
  debootstrap --variant=minbase bookworm "$rootfs.tmp" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 || { log "debootstrap failed, see $CACHE/debootstrap.log"; exit 1; }
  mv "$rootfs.tmp" "$rootfs"
fi

# Copies the cached rootfs, lets a function change it, slims it and imports it as an image.
import_rootfs() {
  local tag=$1 prepare=$2; shift 2
  local work
  work=$(mktemp -d /tmp/vnflab-rootfs.XXXXXX)
  cp -a "$rootfs/." "$work/"
  "$prepare" "$work"
  rm -rf "$work"/usr/share/{doc,man,info,locale} "$work"/var/lib/apt/lists/* "$work"/var/cache/apt/*
  tar -C "$work" -c . | docker import "$@" - "$tag" >/dev/null
  rm -rf "$work"
  log "imported $tag"
}

# apt inside a copy of the rootfs: services must not start in the chroot
chroot_apt() {
  local dir=$1; shift
  printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
  chmod +x "$dir/usr/sbin/policy-rc.d"
  cp /etc/resolv.conf "$dir/etc/resolv.conf"
  chroot "$dir" /usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$CACHE/chroot-apt.log" 2>&1
  chroot "$dir" /usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >>"$CACHE/chroot-apt.log" 2>&1 \
    || { log "apt-get install $* in the rootfs failed, see $CACHE/chroot-apt.log"; exit 1; }
  rm -f "$dir/usr/sbin/policy-rc.d"
}

prepare_node() {
  install -m 0755 "$(command -v node)" "$1/usr/local/bin/node"
  chroot "$1" /usr/sbin/useradd --uid 1000 --create-home --shell /bin/sh node
}
prepare_redis() { chroot_apt "$1" redis-server; }
prepare_prometheus() { chroot_apt "$1" prometheus; }

have_image "$NODE_TAG" || import_rootfs "$NODE_TAG" prepare_node --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' --change 'CMD ["node"]'
have_image "$REDIS_TAG" || import_rootfs "$REDIS_TAG" prepare_redis --change 'USER redis' --change 'EXPOSE 6379' --change 'CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no"]'
have_image "$PROM_TAG" || import_rootfs "$PROM_TAG" prepare_prometheus --change 'USER prometheus' --change 'EXPOSE 9090' --change 'WORKDIR /var/lib/prometheus' --change 'ENTRYPOINT ["/usr/bin/prometheus"]' --change 'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/var/lib/prometheus/data"]'

# The project, built and with production dependencies only, staged as the build context.
ctx=$(mktemp -d /tmp/vnflab-context.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
log "building the project and staging production dependencies"
npx tsc -b packages/* services/*
tar -C "$ROOT" --exclude='*/test' --exclude='*.tsbuildinfo' --exclude='*/src' --exclude='node_modules' \
  -c package.json package-lock.json chains packages services | tar -C "$ctx" -x
(cd "$ctx" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline >/dev/null)
cp infra/docker/Dockerfile.offline "$ctx/Dockerfile"
for stage in "${STAGES[@]}"; do
  [ -d "services/$stage" ] || { log "skipping $stage (not in this checkout)"; continue; }
  tags=(-t "vnflab/$stage:$VERSION")
  [ -n "${VNFLAB_VERSION:-}" ] || tags+=(-t "vnflab/$stage:offline")
  docker build -q --build-arg BASE="$NODE_TAG" --build-arg STAGE="$stage" --build-arg VERSION="$VERSION" "${tags[@]}" "$ctx" >/dev/null
  log "built vnflab/$stage:$VERSION"
done
