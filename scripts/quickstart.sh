#!/usr/bin/env bash
# The README's quick start: `npm start` and `npm test` run this, so on a fresh clone they first
# bring what they need: a Node as new as package.json's engines (use-node.sh), the npm
# dependencies (ensure-install.js), for the tests the system packages and a Docker engine
# (ensure-system-deps.sh), and the build.
#   bash scripts/quickstart.sh start [vnflab run flags]   e.g. npm start -- --duration 5
#   bash scripts/quickstart.sh test [jest arguments]      e.g. npm test -- test/redis-bus.test.ts
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-}
shift || true
case "$what" in
  start | test) ;;
  *)
    echo "usage: bash scripts/quickstart.sh start|test [arguments]" >&2
    exit 2
    ;;
esac
# shellcheck source=scripts/use-node.sh
source scripts/use-node.sh
node scripts/ensure-install.js
if [ "$what" = test ]; then bash scripts/ensure-system-deps.sh; fi
npm run -s build
if [ "$what" = start ]; then exec node packages/cli/bin/vnflab.js run --config chains/default.yaml "$@"; fi
exec node node_modules/jest/bin/jest.js "$@"
