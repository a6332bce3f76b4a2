#!/usr/bin/env bash
# One command from a fresh clone to a finished plan: installs tmux and nats-server when missing,
# installs and builds Shoal, starts a local cluster, runs examples/hybrid.yaml, prints the result,
# and stops the cluster again. `npx shoal up` keeps a cluster running instead.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/local/sbin/$1" ]; }

missing=()
have tmux || missing+=(tmux)
have nats-server || missing+=(nats-server)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  if command -v apt-get >/dev/null 2>&1; then
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
  elif command -v brew >/dev/null 2>&1; then
    brew install "${missing[@]}"
  else
    echo "Shoal needs ${missing[*]}. Install them with your package manager (apt-get install ${missing[*]} / brew install ${missing[*]}) and run this again." >&2
    exit 1
  fi
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "Shoal needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))." >&2
  exit 1
fi

say "installing npm packages"
npm ci --no-audit --no-fund --loglevel=error
say "building"
npm run build --silent

home="${SHOAL_HOME:-$HOME/.shoal}/quickstart"
mkdir -p "$home"
rm -f "$home/cluster.json"
say "starting a local cluster (nats-server + coordinator + node-agent) in $home"
# Security is on (API tokens, per-node NATS keys); `shoal run` below finds the admin token in
# $home/cluster.json through SHOAL_HOME. A free NATS port: this cluster lives only for the demo.
node apps/cli/dist/main.js up --data-dir "$home" --port "${SHOAL_PORT:-0}" --nats-port -1 --tmux-socket shoal-quickstart >"$home/up.log" 2>&1 &
up_pid=$!
stop_cluster() {
  if kill -0 "$up_pid" 2>/dev/null; then
    kill -INT "$up_pid" 2>/dev/null || true
    wait "$up_pid" 2>/dev/null || true
  fi
}
trap stop_cluster EXIT

for _ in $(seq 1 600); do
  [ -f "$home/cluster.json" ] && break
  if ! kill -0 "$up_pid" 2>/dev/null; then
    echo "shoal up failed:" >&2
    cat "$home/up.log" >&2
    exit 1
  fi
  sleep 0.2
done
[ -f "$home/cluster.json" ] || { echo "the cluster did not come up in time:" >&2; cat "$home/up.log" >&2; exit 1; }
sed -n '/^Shoal is up/,/^  tmux:/p' "$home/up.log"

say "running examples/hybrid.yaml"
start=$(date +%s%N)
status=0
SHOAL_HOME="$home" node apps/cli/dist/main.js run examples/hybrid.yaml --follow || status=$?
end=$(date +%s%N)
ms=$(((end - start) / 1000000))
printf '\nexamples/hybrid.yaml took %d.%03d s end to end (submit to result).\n' $((ms / 1000)) $((ms % 1000))
say "stopping the cluster"
stop_cluster
trap - EXIT
if [ "$status" -eq 0 ]; then
  say "done. Next: npx shoal up (keeps a cluster running), npx shoal run <plan> --follow, npx shoal dashboard --with-token (web) or npx shoal monitor (terminal), npm test"
fi
exit "$status"
