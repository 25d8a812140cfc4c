#!/usr/bin/env bash
# Tide's load-balancer data plane (package internal/lb, run standalone by
# bench/lbproxy) side by side in one run with HAProxy (nbthread 2) and nginx
# (2 workers), on the same two Go backends and the same CPUs:
#   1. throughput and latency, wrk -t1 at 32 and 256 connections, every
#      server (and wrk straight to a backend, for the added p99) REPEATS
#      times, interleaved; medians and ratios;
#   2. 100 path rules that do not match, then 1,000 targets (500 ports on
#      each backend process), Tide and HAProxy;
#   3. memory with 10,000 idle keep-alive connections (each opened, one
#      request answered, then held);
#   4. the Go benchmarks of package lb (allocations per request).
# Peers' configurations are ../shared/bench/peers/{haproxy.cfg,nginx.conf}
# with their ports edited, and their connection limits raised to hold the
# idle connections. Loopback only; every load is bounded in time; servers
# die with the script. About 5 minutes with the defaults.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

REPEATS=${REPEATS:-3}                # rounds of step 1 (median of these)
DURATION=${DURATION:-10s}            # each wrk run of step 1
CONNS=${CONNS:-32 256}               # wrk connection counts of step 1
RULES=${RULES:-100}                  # step 2: non-matching rules before the default
TARGETS=${TARGETS:-1000}             # step 2: targets (even: half on each backend)
MANY_REPEATS=${MANY_REPEATS:-3}
MANY_DURATION=${MANY_DURATION:-5s}
MANY_CONNS=${MANY_CONNS:-32}
IDLE_CONNS=${IDLE_CONNS:-10000}      # step 3 (0 skips it)
SETTLE=${SETTLE:-2}                  # seconds between opening the idle connections and reading RSS
GOBENCH=${GOBENCH:-1}                # step 4 (0 skips it)
CPUS=${CPUS:-}                       # e.g. 0,1: run every process on these CPUs; empty: all CPUs
PEERS_DIR=${PEERS_DIR:-$ROOT/../shared/bench/peers}
OUT=${BENCH_OUT:-$(mktemp -d /tmp/tide-lb.XXXXXX)}
mkdir -p "$OUT"

for tool in go wrk haproxy nginx curl; do
  command -v "$tool" >/dev/null || { echo "lb bench: $tool is missing (apt-get install -y wrk haproxy nginx-light)" >&2; exit 1; }
done
for f in haproxy.cfg nginx.conf; do
  [ -f "$PEERS_DIR/$f" ] || { echo "lb bench: $PEERS_DIR/$f is missing (set PEERS_DIR)" >&2; exit 1; }
done
ON_CPUS=()
if [ -n "$CPUS" ]; then
  ON_CPUS=(taskset -c "$CPUS")
fi
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((IDLE_CONNS + 1000)) ]; then
  echo "lb bench: open files limited to $(ulimit -n); idle connections lowered" >&2
  IDLE_CONNS=$(($(ulimit -n) - 1000))
fi

PIDS=()
stop() { # stop PID: SIGTERM, wait (10 s), SIGKILL, forget it
  local pid=$1 p keep=()
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  PIDS=("${keep[@]+"${keep[@]}"}")
}
cleanup() {
  local p
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do stop "$p"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start() { # start NAME CMD...: run in the background, logging to $OUT/NAME.log; sets PID
  local name=$1
  shift
  "${ON_CPUS[@]}" "$@" >"$OUT/$name.log" 2>&1 &
  PID=$!
  PIDS+=("$PID")
}

wait_http() { # wait_http URL SECONDS
  local deadline=$((SECONDS + $2))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ]; do
    [ $SECONDS -lt $deadline ] || { echo "lb bench: $1 not ready after $2s" >&2; return 1; }
    sleep 0.05
  done
}

wait_log() { # wait_log FILE PATTERN SECONDS
  local deadline=$((SECONDS + $3))
  until grep -q "$2" "$1" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { echo "lb bench: no '$2' in $1 after $3s" >&2; return 1; }
    sleep 0.1
  done
}

loadavg() { cut -d' ' -f1 /proc/loadavg; }
cputicks() { # utime+stime of the processes
  local p t=0
  for p in "$@"; do t=$((t + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}'))); done
  echo "$t"
}
with_children() { echo "$1" $(pgrep -P "$1" || true); } # nginx: master and workers

# bench_wrk NAME URL CONNS DURATION REP PID...: one wrk run; appends "name
# conns rep rps p50 p99 requests non2xx sockerr cpu_us_per_req loadavg" to
# results.txt, where cpu is the servers' own CPU time per request.
bench_wrk() {
  local name=$1 url=$2 conns=$3 dur=$4 rep=$5 load t0 t1 r cpu f
  shift 5
  f="$OUT/wrk-$name-c$conns-$rep.txt"
  load=$(loadavg)
  t0=$(cputicks "$@")
  "${ON_CPUS[@]}" wrk -t1 -c"$conns" -d"$dur" --latency "$url" >"$f"
  t1=$(cputicks "$@")
  r=$("$HELPER" wrkparse "$f")
  cpu=$(awk -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" -v n="$(cut -d' ' -f4 <<<"$r")" 'BEGIN { printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0) }')
  echo "$name $conns $rep $r $cpu $load" >>"$OUT/results.txt"
  echo "  $rep $name c$conns: $(awk '{printf "%.0f req/s, p50 %.2f ms, p99 %.2f ms, errors %d", $1, $2, $3, $5 + $6}' <<<"$r"), server CPU $cpu µs/req (load avg $load)"
}

echo "== Tide ALB data plane vs HAProxy and nginx, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs$([ -n "$CPUS" ] && echo ", all on CPUs $CPUS"), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), output in $OUT"
HELPER=$OUT/lbproxy
go build -o "$HELPER" ./bench/lbproxy
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- internal/lb 2>/dev/null || echo +changes)
echo "  tide $COMMIT, $(haproxy -v | head -1 | cut -d' ' -f1-3), $(nginx -v 2>&1 | cut -d' ' -f3), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), $(go version | cut -d' ' -f3)"

HALF=$((TARGETS / 2))
BASE=$("$HELPER" freeport -n $((2 * HALF + 8)))
B1=$BASE B2=$((BASE + HALF + 1)) # each backend: its port and the HALF after it
P=$((BASE + 2 * HALF + 2))
HAPROXY_PORT=$P NGINX_PORT=$((P + 1)) TIDE_PORT=$((P + 2)) TIDE_MANY_PORT=$((P + 3)) HAPROXY_MANY_PORT=$((P + 4))
MAXCONN=$((IDLE_CONNS + 1000))

start backend1 "$HELPER" backend -listen "127.0.0.1:$B1" -ports $((HALF + 1))
BACKEND1=$PID
start backend2 "$HELPER" backend -listen "127.0.0.1:$B2" -ports $((HALF + 1))
wait_http "http://127.0.0.1:$B1/" 30
wait_http "http://127.0.0.1:$B2/" 30

NOFILE=$(ulimit -n)
# HAProxy computes two descriptors per connection and, by default
# (strict-limits), refuses to start when it cannot raise its limit that far.
sed -e "s/maxconn 4096/maxconn $MAXCONN\n  no strict-limits/" -e "s/127.0.0.1:9101/127.0.0.1:$HAPROXY_PORT/" \
  -e "s/127.0.0.1:9001/127.0.0.1:$B1/" -e "s/127.0.0.1:9002/127.0.0.1:$B2/" "$PEERS_DIR/haproxy.cfg" >"$OUT/haproxy.cfg"
start haproxy haproxy -db -f "$OUT/haproxy.cfg"
HAPROXY=$PID
sed -e "s/worker_connections 4096;/worker_connections $MAXCONN;/" -e "s/^worker_processes 2;/worker_processes 2;\nworker_rlimit_nofile $((2 * MAXCONN < NOFILE ? 2 * MAXCONN : NOFILE));/" \
  -e "s#/tmp/tide-bench-nginx#$OUT/nginx#g" -e "s/127.0.0.1:9102/127.0.0.1:$NGINX_PORT/" \
  -e "s/127.0.0.1:9001/127.0.0.1:$B1/" -e "s/127.0.0.1:9002/127.0.0.1:$B2/" "$PEERS_DIR/nginx.conf" >"$OUT/nginx.conf"
start nginx nginx -c "$OUT/nginx.conf" -g 'daemon off;'
NGINX=$PID
start tide "$HELPER" tide -port "$TIDE_PORT" -backends "127.0.0.1:$B1,127.0.0.1:$B2"
TIDE=$PID
for port in "$HAPROXY_PORT" "$NGINX_PORT" "$TIDE_PORT"; do wait_http "http://127.0.0.1:$port/" 30; done
wait_log "$OUT/tide.log" "targets healthy" 30

declare -A URL=([direct]="http://127.0.0.1:$B1/" [haproxy]="http://127.0.0.1:$HAPROXY_PORT/" [nginx]="http://127.0.0.1:$NGINX_PORT/" [tide]="http://127.0.0.1:$TIDE_PORT/")
server_pids() {
  case $1 in
    direct) echo "$BACKEND1" ;;
    haproxy) echo "$HAPROXY" ;;
    nginx) with_children "$NGINX" ;;
    tide) echo "$TIDE" ;;
    tide-1000) echo "$TIDE_MANY" ;;
    haproxy-1000) echo "$HAPROXY_MANY" ;;
  esac
}
: >"$OUT/results.txt"

echo "== 1. throughput: wrk -t1 -c{$CONNS} -d$DURATION --latency, $REPEATS rounds, order rotated each round"
for name in direct haproxy nginx tide; do # warm every connection pool
  "${ON_CPUS[@]}" wrk -t1 -c32 -d2s "${URL[$name]}" >/dev/null
done
ORDER=(direct haproxy nginx tide)
for rep in $(seq "$REPEATS"); do
  for conns in $CONNS; do
    for i in 0 1 2 3; do
      name=${ORDER[$(((i + rep - 1) % 4))]}
      bench_wrk "$name" "${URL[$name]}" "$conns" "$DURATION" "$rep" $(server_pids "$name")
    done
  done
done

echo "== 2. $RULES path rules that do not match, then $TARGETS targets ($HALF ports on each backend), health checked every 5 s"
start tide-1000 "$HELPER" tide -port "$TIDE_MANY_PORT" -rules "$RULES" -hc-interval 5s \
  -backends "127.0.0.1:$((B1 + 1))-$((B1 + HALF)),127.0.0.1:$((B2 + 1))-$((B2 + HALF))"
TIDE_MANY=$PID
{
  printf 'global\n  maxconn %d\n  no strict-limits\n  nbthread 2\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n' "$MAXCONN"
  printf 'frontend fe\n  bind 127.0.0.1:%d\n' "$HAPROXY_MANY_PORT"
  for i in $(seq 0 $((RULES - 1))); do printf '  http-request return status 404 if { path_beg /svc%d/ }\n' "$i"; done
  printf '  default_backend be\nbackend be\n  balance roundrobin\n  http-reuse always\n  option httpchk GET /\n'
  for i in $(seq 1 "$HALF"); do
    printf '  server a%d 127.0.0.1:%d check inter 5s\n  server b%d 127.0.0.1:%d check inter 5s\n' "$i" $((B1 + i)) "$i" $((B2 + i))
  done
} >"$OUT/haproxy-1000.cfg"
start haproxy-1000 haproxy -db -f "$OUT/haproxy-1000.cfg"
HAPROXY_MANY=$PID
wait_http "http://127.0.0.1:$HAPROXY_MANY_PORT/" 30
wait_log "$OUT/tide-1000.log" "targets healthy" 60
URL[tide-1000]="http://127.0.0.1:$TIDE_MANY_PORT/" URL[haproxy-1000]="http://127.0.0.1:$HAPROXY_MANY_PORT/"
for name in tide-1000 haproxy-1000; do # dial every target connection
  "${ON_CPUS[@]}" wrk -t1 -c"$MANY_CONNS" -d2s "${URL[$name]}" >/dev/null
done
MANY_ORDER=(tide-1000 haproxy-1000)
for rep in $(seq "$MANY_REPEATS"); do
  for i in 0 1; do
    name=${MANY_ORDER[$(((i + rep - 1) % 2))]}
    bench_wrk "$name" "${URL[$name]}" "$MANY_CONNS" "$MANY_DURATION" "$rep" $(server_pids "$name")
  done
done
stop "$TIDE_MANY"
stop "$HAPROXY_MANY"

: >"$OUT/idle.txt"
if [ "$IDLE_CONNS" -gt 0 ]; then
  echo "== 3. memory with $IDLE_CONNS idle keep-alive connections"
  for name in tide haproxy nginx; do
    pids=$(server_pids "$name")
    before=$("$HELPER" rss $pids)
    "${ON_CPUS[@]}" "$HELPER" idle -n "$IDLE_CONNS" -url "${URL[$name]}" -hold 120s >"$OUT/idle-$name.out" 2>"$OUT/idle-$name.log" &
    client=$!
    PIDS+=("$client")
    wait_log "$OUT/idle-$name.out" "^ready" 90
    sleep "$SETTLE"
    pids=$(server_pids "$name") # nginx may have replaced a worker
    after=$("$HELPER" rss $pids)
    opened=$(awk '/^ready/ {print $2}' "$OUT/idle-$name.out")
    stop "$client"
    echo "$name $IDLE_CONNS $before $after $opened" >>"$OUT/idle.txt"
    echo "  $name: $opened connections, VmRSS $before MB before, $after MB with them"
    sleep 2 # let the closes land
  done
fi

if [ "$GOBENCH" = 1 ]; then
  echo "== 4. go test -bench (package lb)"
  "${ON_CPUS[@]}" go test -run '^$' -bench 'BenchmarkRoute100Rules|BenchmarkProxyRequest' -benchtime 1s -benchmem ./internal/lb >"$OUT/gobench.txt"
  grep '^Benchmark' "$OUT/gobench.txt" | sed 's/^/  /'
fi
stop "$TIDE"
stop "$HAPROXY"
stop "$NGINX"

{
  echo "run $(basename "$OUT"), Tide $COMMIT, $(haproxy -v | head -1 | cut -d' ' -f1-3), $(nginx -v 2>&1 | cut -d' ' -f3), $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs$([ -n "$CPUS" ] && echo " (all on $CPUS)"), load avg at the end $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  gobench=()
  [ "$GOBENCH" = 1 ] && gobench=(-gobench "$OUT/gobench.txt")
  "$HELPER" summary -in "$OUT/results.txt" -idle "$OUT/idle.txt" "${gobench[@]}"
} >"$OUT/summary.md"
echo "== summary ($OUT/summary.md)"
cat "$OUT/summary.md"
