#!/usr/bin/env bash
# Tide's registry benchmark, side by side in one run with a peer: CNCF
# distribution 2.8 (Debian's docker-registry), filesystem storage, no auth.
#   1. push and pull of a 100 MB image (5 layers of 20 MB of random data),
#      with go-containerregistry and with the crane CLI (tarballs);
#   2. 1,000 distinct small images pushed with their own tags, their
#      manifests pulled (HEAD+GET by tag), 8 workers, and the tag listing;
#   3. pull throughput of one 1 GiB blob, cold and warm page cache, against
#      `dd` of the blob's file (the disk's sequential read, measured the same
#      way on the same file);
#   4. the servers' VmRSS, sampled every 100 ms during each 1 GiB pull.
# Beside them, raw loopback TCP (1 GiB from memory, same CPUs) shows the
# most any HTTP server can send here.
# What it measures and the latest figures: the section "Registry" of
# docs/benchmarks.md, reproduced with `bench/registry.sh` (knobs below, as
# environment; `-n N` sets RUNS). Loopback only; every step is bounded in
# count and time; servers die with the script, and their data (a few GB) is
# removed at exit (KEEP=1 keeps it). Needs root for the cold reads
# (/proc/sys/vm/drop_caches); without it they are skipped.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

while getopts n: opt; do
  case $opt in
    n) RUNS=$OPTARG ;;
    *) echo "usage: bench/registry.sh [-n RUNS]" >&2; exit 2 ;;
  esac
done

RUNS=${RUNS:-5}                      # image push+pull rounds (median), go-containerregistry and crane
IMAGE_LAYERS=${IMAGE_LAYERS:-5}
LAYER_MB=${LAYER_MB:-20}             # MB of random data per layer
CRANE=${CRANE:-1}                    # 1: also crane push/pull (installs crane@v0.22.1 into bin/ if missing)
SMALL_IMAGES=${SMALL_IMAGES:-1000}
SMALL_WORKERS=${SMALL_WORKERS:-8}
BLOB_MB=${BLOB_MB:-1024}             # the large blob, MiB
BLOB_RUNS=${BLOB_RUNS:-5}            # pulls per registry and dd reads per file, cold and warm each
COLD=${COLD:-1}                      # 1: cold reads too (drops the page cache; root)
STEP_TIMEOUT=${STEP_TIMEOUT:-240}    # seconds, each step
PIN=${PIN:-1}                        # 1: servers on CPU 0, the client on CPU 1
TIDE_BIN=${TIDE_BIN:-}               # a tide binary to use; empty: build this tree's
KEEP=${KEEP:-0}                      # 1: keep the registries' data
OUT=${BENCH_OUT:-$(mktemp -d /tmp/tide-registry.XXXXXX)}
mkdir -p "$OUT"

if ! command -v docker-registry >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== installing the peer (Debian's docker-registry)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry >/dev/null
fi
for tool in go docker-registry curl taskset dd timeout; do
  command -v "$tool" >/dev/null || { echo "registry bench: $tool is missing (docker-registry: apt-get install -y docker-registry)" >&2; exit 1; }
done
if [ "$PIN" = 1 ] && [ "$(nproc)" -lt 2 ]; then
  echo "registry bench: fewer than 2 CPUs, not pinning" >&2
  PIN=0
fi
SRV_CPU=() LOAD_CPU=()
if [ "$PIN" = 1 ]; then
  SRV_CPU=(taskset -c 0) LOAD_CPU=(taskset -c 1)
fi

export TIDE_ACCESS_KEY_ID=AKIDTIDEBENCH0000001
export TIDE_SECRET_ACCESS_KEY=tide-bench-secret-0000000000000000000001
export AWS_ACCESS_KEY_ID=$TIDE_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$TIDE_SECRET_ACCESS_KEY
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1

PIDS=()
stop() { # stop PID: SIGTERM, wait (20 s), SIGKILL, forget it
  local pid=$1 p keep=()
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  PIDS=("${keep[@]+"${keep[@]}"}")
}
cleanup() {
  local p
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do stop "$p"; done
  if [ "$KEEP" != 1 ]; then
    rm -rf "$OUT/tide-data" "$OUT/peer-data" "$OUT/tmp" "$OUT/docker" "$OUT/regbench" "$OUT/tide"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_http() { # wait_http URL SECONDS
  local deadline=$((SECONDS + $2))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ]; do
    [ $SECONDS -lt $deadline ] || { echo "registry bench: $1 not ready after $2s" >&2; return 1; }
    sleep 0.05
  done
}

HELPER=$OUT/regbench
helper() { timeout "$STEP_TIMEOUT" "${LOAD_CPU[@]}" "$HELPER" "$@"; }

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== Tide registry vs distribution, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/^Mem:/ {print $2}') GiB, output in $OUT"
echo "== build"
if [ -z "$TIDE_BIN" ]; then
  go build -o "$OUT/tide" ./cmd/tide
  TIDE_BIN=$OUT/tide
fi
go build -o "$HELPER" ./bench/registry
CRANE_BIN=''
if [ "$CRANE" = 1 ]; then
  CRANE_BIN=$(command -v crane || true)
  if [ -z "$CRANE_BIN" ]; then
    if [ ! -x "$ROOT/bin/crane" ]; then
      GOBIN=$ROOT/bin timeout 300 go install github.com/google/go-containerregistry/cmd/crane@v0.22.1 ||
        echo "  crane could not be installed; its step is skipped" >&2
    fi
    [ -x "$ROOT/bin/crane" ] && CRANE_BIN=$ROOT/bin/crane
  fi
fi
PEER_VERSION=$(dpkg-query -W -f '${Version}' docker-registry 2>/dev/null || docker-registry --version 2>/dev/null | head -1)
COMMIT=$(git -C "$(dirname "$TIDE_BIN")" rev-parse --short HEAD 2>/dev/null || git rev-parse --short HEAD)
echo "  tide $TIDE_BIN ($COMMIT), docker-registry $PEER_VERSION, crane ${CRANE_BIN:-skipped}"

echo "== servers $([ "$PIN" = 1 ] && echo 'pinned to CPU 0, the client to CPU 1' || echo unpinned)"
mkdir -p "$OUT/tmp"
TIDE_PORT=$("$HELPER" freeport)
"${SRV_CPU[@]}" "$TIDE_BIN" server --data-dir "$OUT/tide-data" --listen "127.0.0.1:$TIDE_PORT" --local-agent=false --log-level warn >"$OUT/tide.log" 2>&1 &
TIDE_PID=$!
PIDS+=("$TIDE_PID")
PEER_PORT=$("$HELPER" freeport)
cat >"$OUT/peer.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $OUT/peer-data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: 127.0.0.1:$PEER_PORT
EOF
"${SRV_CPU[@]}" docker-registry serve "$OUT/peer.yml" >"$OUT/peer.log" 2>&1 &
PEER_PID=$!
PIDS+=("$PEER_PID")
CEIL_PORT=$("$HELPER" freeport)
"${SRV_CPU[@]}" "$HELPER" tcpserve -listen "127.0.0.1:$CEIL_PORT" -mb "$BLOB_MB" >"$OUT/tcpserve.log" 2>&1 &
CEIL_PID=$!
PIDS+=("$CEIL_PID")
wait_http "http://127.0.0.1:$TIDE_PORT/_tide/health" 60
wait_http "http://127.0.0.1:$PEER_PORT/v2/" 60
TIDE=127.0.0.1:$TIDE_PORT PEER=127.0.0.1:$PEER_PORT
helper login -endpoint "http://$TIDE" -repos bench/image,bench/small,bench/blob -pass-out "$OUT/tide.pass" -docker-config "$OUT/docker"
: >"$OUT/results.txt"
COMMON=(-tide "$TIDE" -peer "$PEER" -tide-pid "$TIDE_PID" -peer-pid "$PEER_PID" -pass "$OUT/tide.pass" -out "$OUT/results.txt" -timeout "$((STEP_TIMEOUT - 10))s")

echo "== 1. $((IMAGE_LAYERS * LAYER_MB)) MB image ($IMAGE_LAYERS × $LAYER_MB MB random layers), push then pull into a fresh client, $RUNS runs"
helper image "${COMMON[@]}" -repo bench/image -runs "$RUNS" -layers "$IMAGE_LAYERS" -layer-mb "$LAYER_MB" \
  -crane "$CRANE_BIN" -docker-config "$OUT/docker" -tmp "$OUT/tmp"

echo "== 2. $SMALL_IMAGES small images (tiny config + one 1 KiB layer each, own tag), $SMALL_WORKERS workers"
helper small "${COMMON[@]}" -repo bench/small -count "$SMALL_IMAGES" -workers "$SMALL_WORKERS"

echo "== 3+4. one $BLOB_MB MiB blob: push, then $BLOB_RUNS pulls and dd reads of its file each, cold (page cache dropped first) and warm; server VmRSS every 100 ms; raw loopback TCP"
COLD_FLAG=-cold=true
[ "$COLD" = 1 ] || COLD_FLAG=-cold=false
helper blob "${COMMON[@]}" -repo bench/blob -mb "$BLOB_MB" -runs "$BLOB_RUNS" "$COLD_FLAG" \
  -ceiling "127.0.0.1:$CEIL_PORT" \
  -tide-blobs "$OUT/tide-data/registry/blobs" -peer-blobs "$OUT/peer-data/docker/registry/v2/blobs"
du -sm "$OUT/tide-data" "$OUT/peer-data" | awk '{print "  data dir " $2 ": " $1 " MB"}'
stop "$TIDE_PID"
stop "$PEER_PID"
stop "$CEIL_PID"

{
  echo "run $(basename "$OUT"), Tide $COMMIT, distribution (docker-registry $PEER_VERSION), $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, load avg at the start $LOAD0, at the end $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  "$HELPER" summary -in "$OUT/results.txt" -count "$SMALL_IMAGES" -workers "$SMALL_WORKERS" -mb "$BLOB_MB" \
    -image-mb "$((IMAGE_LAYERS * LAYER_MB))" -peer-name "distribution 2.8"
} >"$OUT/summary.md"
echo "== summary ($OUT/summary.md)"
cat "$OUT/summary.md"
