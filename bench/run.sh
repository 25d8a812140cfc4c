#!/usr/bin/env bash
# Tide's foundation benchmark, side by side with moto_server in one run.
# What it measures and how to read it: bench/README.md. Only loopback
# traffic; every load is bounded in time or count; servers die with the script.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

DS_CONNS=${DS_CONNS:-32}             # DescribeServices: wrk connections
DS_DURATION=${DS_DURATION:-10s}
RTD_CONNS=${RTD_CONNS:-8}            # RegisterTaskDefinition: wrk connections
RTD_DURATION=${RTD_DURATION:-5s}
SCALE_TASKDEFS=${SCALE_TASKDEFS:-10000}
SCALE_FAMILIES=${SCALE_FAMILIES:-1000}
SCALE_SERVICES=${SCALE_SERVICES:-1000}
SCALE_CLUSTERS=${SCALE_CLUSTERS:-10}
SCALE_CONCURRENCY=${SCALE_CONCURRENCY:-16}
SETTLE=${SETTLE:-15}                 # seconds idle before reading RSS
COLD_RUNS=${COLD_RUNS:-5}
PIN=${PIN:-1}                        # 1: server on CPU 0, wrk on CPU 1
OUT=${BENCH_OUT:-$(mktemp -d /tmp/tide-bench.XXXXXX)}
mkdir -p "$OUT"

for tool in go wrk moto_server curl taskset; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (wrk: apt-get install -y wrk; moto: pip install 'moto[server]')" >&2; exit 1; }
done
if [ "$PIN" = 1 ] && [ "$(nproc)" -lt 2 ]; then
  echo "bench: fewer than 2 CPUs, not pinning" >&2
  PIN=0
fi
SRV_CPU=() LOAD_CPU=()
if [ "$PIN" = 1 ]; then
  SRV_CPU=(taskset -c 0) LOAD_CPU=(taskset -c 1)
fi

# Fixed credentials: tide accepts only these; moto accepts anything.
export TIDE_ACCESS_KEY_ID=AKIDTIDEBENCH0000001
export TIDE_SECRET_ACCESS_KEY=tide-bench-secret-0000000000000000000001
export AWS_ACCESS_KEY_ID=$TIDE_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$TIDE_SECRET_ACCESS_KEY
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1

PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  PIDS=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop() { # stop PID: SIGTERM, wait, forget it
  local pid=$1 p keep=()
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  PIDS=("${keep[@]+"${keep[@]}"}")
}

wait_http() { # wait_http URL SECONDS
  local deadline=$((SECONDS + $2))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ]; do
    [ $SECONDS -lt $deadline ] || { echo "bench: $1 not ready after $2s" >&2; return 1; }
    sleep 0.05
  done
}

loadavg() { cut -d' ' -f1 /proc/loadavg; }

TIDE_PID='' TIDE_URL=''
start_tide() { # start_tide DATA_DIR LOG [CPU-prefix...]
  local dir=$1 log=$2 port
  shift 2
  port=$("$OUT/ecsload" freeport)
  "$@" "$ROOT/bin/tide" server --data-dir "$dir" --listen "127.0.0.1:$port" --log-level warn >"$log" 2>&1 &
  TIDE_PID=$! TIDE_URL="http://127.0.0.1:$port"
  PIDS+=("$TIDE_PID")
  wait_http "$TIDE_URL/_tide/health" 60
}

MOTO_PID='' MOTO_URL=''
start_moto() { # start_moto LOG [CPU-prefix...]
  local log=$1 port
  shift
  port=$("$OUT/ecsload" freeport)
  "$@" moto_server -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
  MOTO_PID=$! MOTO_URL="http://127.0.0.1:$port"
  PIDS+=("$MOTO_PID")
  wait_http "$MOTO_URL/moto-api/" 60
}

cputicks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; } # utime+stime of PID

# bench_wrk NAME URL PID OP CONNS DURATION [wrk-prefix...]: sign, replay,
# parse. Appends "name op rps p50_ms p99_ms requests non2xx sockerr loadavg
# cpu_us_per_req" to results; the last is the server's own CPU time (all its
# threads, user+system) per request, a figure that other load on the machine
# disturbs much less than req/s.
bench_wrk() {
  local name=$1 url=$2 pid=$3 op=$4 conns=$5 dur=$6 load r t0 t1 cpu
  shift 6
  "$OUT/ecsload" wrkscript -endpoint "$url" -op "$op" -out "$OUT/$name-$op.lua" >/dev/null
  load=$(loadavg)
  t0=$(cputicks "$pid")
  "$@" wrk -t1 -c"$conns" -d"$dur" --latency -s "$OUT/$name-$op.lua" "$url/" >"$OUT/$name-$op.wrk"
  t1=$(cputicks "$pid")
  r=$("$OUT/ecsload" wrkparse "$OUT/$name-$op.wrk")
  cpu=$(awk -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" -v n="$(cut -d' ' -f4 <<<"$r")" 'BEGIN { printf "%.0f", (n > 0 ? t / hz * 1e6 / n : 0) }')
  echo "$name $op $r $load $cpu" >>"$OUT/results.txt"
  echo "  $name $op: $(awk '{printf "%.0f req/s, p50 %.2f ms, p99 %.2f ms, non-2xx %s, socket errors %s", $1, $2, $3, $5, $6}' <<<"$r"), server CPU $cpu µs/req (load avg $load)"
}

echo "== Tide vs moto benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), output in $OUT"
echo "== build"
make -s build
go build -o "$OUT/ecsload" ./bench/ecsload
: >"$OUT/results.txt"

echo "== throughput: servers $([ "$PIN" = 1 ] && echo 'pinned to CPU 0, wrk to CPU 1' || echo unpinned)"
start_tide "$OUT/tide-a" "$OUT/tide-a.log" "${SRV_CPU[@]}"
start_moto "$OUT/moto.log" "${SRV_CPU[@]}"
"$OUT/ecsload" setup -endpoint "$TIDE_URL" | sed 's/^/  tide: /'
"$OUT/ecsload" setup -endpoint "$MOTO_URL" | sed 's/^/  moto: /'
bench_wrk tide "$TIDE_URL" "$TIDE_PID" DescribeServices "$DS_CONNS" "$DS_DURATION" "${LOAD_CPU[@]}"
bench_wrk moto "$MOTO_URL" "$MOTO_PID" DescribeServices "$DS_CONNS" "$DS_DURATION" "${LOAD_CPU[@]}"
bench_wrk tide "$TIDE_URL" "$TIDE_PID" RegisterTaskDefinition "$RTD_CONNS" "$RTD_DURATION" "${LOAD_CPU[@]}"
bench_wrk moto "$MOTO_URL" "$MOTO_PID" RegisterTaskDefinition "$RTD_CONNS" "$RTD_DURATION" "${LOAD_CPU[@]}"
stop "$TIDE_PID"

if [ "$PIN" = 1 ]; then
  echo "== throughput, unpinned: server and wrk share both CPUs (DescribeServices only)"
  taskset -a -p -c 0-"$(($(nproc) - 1))" "$MOTO_PID" >/dev/null
  start_tide "$OUT/tide-b" "$OUT/tide-b.log"
  "$OUT/ecsload" setup -endpoint "$TIDE_URL" | sed 's/^/  tide: /'
  bench_wrk tide-unpinned "$TIDE_URL" "$TIDE_PID" DescribeServices "$DS_CONNS" "$DS_DURATION"
  bench_wrk moto-unpinned "$MOTO_URL" "$MOTO_PID" DescribeServices "$DS_CONNS" "$DS_DURATION"
  stop "$TIDE_PID"
fi
stop "$MOTO_PID"

echo "== scale: $SCALE_TASKDEFS task definitions ($SCALE_FAMILIES families), $SCALE_SERVICES services ($SCALE_CLUSTERS clusters), $SCALE_CONCURRENCY requests in flight"
SCALE_DIR=$OUT/tide-scale
start_tide "$SCALE_DIR" "$OUT/tide-scale.log"
"$OUT/ecsload" rss -pid "$TIDE_PID" >"$OUT/rss-empty.txt"
"$OUT/ecsload" load -endpoint "$TIDE_URL" -taskdefs "$SCALE_TASKDEFS" -families "$SCALE_FAMILIES" \
  -services "$SCALE_SERVICES" -clusters "$SCALE_CLUSTERS" -concurrency "$SCALE_CONCURRENCY" | sed 's/^/  /'
sleep "$SETTLE"
"$OUT/ecsload" rss -pid "$TIDE_PID" >"$OUT/rss-loaded.txt"
stop "$TIDE_PID"
du -sm "$SCALE_DIR" | cut -f1 >"$OUT/datadir-mb.txt"
# The same state after a restart: what a long-running server holds.
start_tide "$SCALE_DIR" "$OUT/tide-restart.log"
"$OUT/ecsload" load -endpoint "$TIDE_URL" -services "$SCALE_SERVICES" -clusters "$SCALE_CLUSTERS" -readonly | sed 's/^/  after restart: /'
sleep "$SETTLE"
"$OUT/ecsload" rss -pid "$TIDE_PID" >"$OUT/rss-restarted.txt"
stop "$TIDE_PID"
for f in empty loaded restarted; do
  read -r rss hwm anon file <"$OUT/rss-$f.txt"
  echo "  RSS $f: VmRSS ${rss} MB (peak ${hwm} MB; anon ${anon} MB, file ${file} MB)"
done

echo "== cold start to healthy, $COLD_RUNS runs each (median min max each, ms)"
"$OUT/ecsload" coldstart -bin "$ROOT/bin/tide" -data-dir "$OUT/tide-fresh" -fresh -runs "$COLD_RUNS" >"$OUT/cold-fresh.txt"
"$OUT/ecsload" coldstart -bin "$ROOT/bin/tide" -data-dir "$SCALE_DIR" -runs "$COLD_RUNS" >"$OUT/cold-state.txt"
echo "  fresh data dir:          $(cat "$OUT/cold-fresh.txt")"
echo "  data dir with the state: $(cat "$OUT/cold-state.txt")"

# Summary.
get() { awk -v n="$1" -v o="$2" -v c="$3" '$1==n && $2==o {print $c}' "$OUT/results.txt"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }'; }
{
  echo "| target | op | conns | req/s | p50 ms | p99 ms | non-2xx | server CPU µs/req | load avg |"
  echo "|---|---|---|---|---|---|---|---|---|"
  while read -r name op rps p50 p99 _ non2xx _ load cpu; do
    conns=$DS_CONNS; [ "$op" = RegisterTaskDefinition ] && conns=$RTD_CONNS
    printf '| %s | %s | %s | %.0f | %.2f | %.2f | %s | %s | %s |\n' "$name" "$op" "$conns" "$rps" "$p50" "$p99" "$non2xx" "$cpu" "$load"
  done <"$OUT/results.txt"
} >"$OUT/summary.md"
DS_RATIO=$(ratio "$(get tide DescribeServices 3)" "$(get moto DescribeServices 3)")
RTD_RATIO=$(ratio "$(get tide RegisterTaskDefinition 3)" "$(get moto RegisterTaskDefinition 3)")
DS_P99=$(get tide DescribeServices 5)
DS_CPU_RATIO=$(ratio "$(get moto DescribeServices 10)" "$(get tide DescribeServices 10)")
RTD_CPU_RATIO=$(ratio "$(get moto RegisterTaskDefinition 10)" "$(get tide RegisterTaskDefinition 10)")
RSS=$(cut -d' ' -f1 "$OUT/rss-loaded.txt")
RSS_RESTART=$(cut -d' ' -f1 "$OUT/rss-restarted.txt")
COLD_FRESH=$(cut -d' ' -f1 "$OUT/cold-fresh.txt")
COLD_STATE=$(cut -d' ' -f1 "$OUT/cold-state.txt")
verdict() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { ok = (op == ">=") ? v >= t : v <= t; print ok ? "met" : "MISSED" }'; }
{
  echo
  echo "| target | figure | verdict |"
  echo "|---|---|---|"
  echo "| DescribeServices ≥ 50× moto (c$DS_CONNS) | ${DS_RATIO}× | $(verdict "$DS_RATIO" '>=' 50) |"
  echo "| DescribeServices p99 ≤ 5 ms (c$DS_CONNS) | $DS_P99 ms | $(verdict "$DS_P99" '<=' 5) |"
  echo "| DescribeServices server CPU per request, moto ÷ tide | ${DS_CPU_RATIO}× | reported |"
  echo "| RegisterTaskDefinition vs moto (c$RTD_CONNS) | ${RTD_RATIO}× (CPU per request ${RTD_CPU_RATIO}×) | reported |"
  echo "| RSS, $SCALE_SERVICES services + $SCALE_TASKDEFS task definitions ≤ 150 MB | $RSS MB after load, $RSS_RESTART MB after restart | $(verdict "$RSS" '<=' 150) / $(verdict "$RSS_RESTART" '<=' 150) |"
  echo "| cold start to healthy ≤ 1 s (median of $COLD_RUNS) | fresh $COLD_FRESH ms, with state $COLD_STATE ms | $(verdict "$COLD_FRESH" '<=' 1000) / $(verdict "$COLD_STATE" '<=' 1000) |"
} >>"$OUT/summary.md"
echo "== summary ($OUT/summary.md)"
cat "$OUT/summary.md"
