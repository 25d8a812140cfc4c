#!/usr/bin/env bash
# Tide's task benchmark: RunTask → RUNNING against `docker run` of the same
# image in the same run, the placement engine's throughput, a service of
# E2E_TASKS tasks end to end, and the agent's overhead per running task.
# What it measures, how to read it and the latest figures: the section
# "Tasks: RunTask latency, placement, agent overhead" of docs/benchmarks.md,
# reproduced with `bench/runtask.sh` (knobs below, as environment). Loopback
# only; every wait is bounded; servers, agents, containers, task processes
# and the image it built are removed when it exits (also on Ctrl-C).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

N=${N:-20}                           # timed RunTask rounds (and docker run rounds)
WARMUP=${WARMUP:-2}                  # untimed rounds first
SERVICE_TASKS=${SERVICE_TASKS:-20}   # tasks running while overhead is sampled
WINDOW=${WINDOW:-30}                 # seconds of each idle sample
SETTLE=${SETTLE:-5}                  # seconds idle before sampling
E2E_TASKS=${E2E_TASKS:-100}          # the end-to-end service
E2E_AGENTS=${E2E_AGENTS:-4}          # tide agent hosts it spreads over
BENCH_COUNT=${BENCH_COUNT:-5}        # go test -count for BenchmarkPlace
BENCHTIME=${BENCHTIME:-5x}
ENGINE_WAIT=${ENGINE_WAIT:-600}      # seconds to wait for other Tide containers and docker-runtime Tides to go
OUT=${BENCH_OUT:-$(mktemp -d /tmp/tide-runtask.XXXXXX)}
mkdir -p "$OUT"

for tool in go docker curl; do
  command -v "$tool" >/dev/null || { echo "runtask: $tool is missing" >&2; exit 1; }
done
docker info >/dev/null 2>&1 || { echo "runtask: the docker engine does not answer" >&2; exit 1; }

RUN_ID=$(date +%s)$$
MARKER=rt$RUN_ID                     # TIDE_BENCH_RUN=$MARKER in every task's environment
ACCOUNT=$(printf '55%010d' "$((RUN_ID % 10000000000))")
IMAGE=tide-bench-app:$RUN_ID
CLUSTERS=(rtb-$RUN_ID-lat-docker rtb-$RUN_ID-lat-process rtb-$RUN_ID-ovh-process rtb-$RUN_ID-ovh-docker)
HZ=$(getconf CLK_TCK)
AZ_LETTERS=abcdefgh

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
remove_containers() { # containers of this run's clusters and docker run peers
  local ids c
  ids=$(docker ps -aq --filter "label=tide-bench=$RUN_ID" 2>/dev/null || true)
  for c in "${CLUSTERS[@]}"; do
    ids+=" $(docker ps -aq --filter "label=com.tide.cluster=$c" 2>/dev/null || true)"
  done
  ids=$(echo $ids)
  [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
}
cleanup() {
  local p
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do stop "$p"; done
  remove_containers
  [ -x "$OUT/runtask" ] && "$OUT/runtask" marked -marker "$MARKER" -kill >/dev/null 2>&1 || true
  docker rmi -f "$IMAGE" >/dev/null 2>&1 || true
  rm -rf "$OUT/data"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_http() { # wait_http URL SECONDS
  local deadline=$((SECONDS + $2))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ]; do
    [ $SECONDS -lt $deadline ] || { echo "runtask: $1 not ready after $2s" >&2; return 1; }
    sleep 0.05
  done
}

TIDE_PID='' TIDE_URL=''
start_tide() { # start_tide NAME [server flags...]
  local name=$1 port
  shift
  port=$("$OUT/runtask" freeport)
  "$ROOT/bin/tide" server --data-dir "$OUT/data/$name" --listen "127.0.0.1:$port" --log-level warn \
    --account-id "$ACCOUNT" "$@" >"$OUT/$name.log" 2>&1 &
  TIDE_PID=$! TIDE_URL="http://127.0.0.1:$port"
  PIDS+=("$TIDE_PID")
  wait_http "$TIDE_URL/_tide/health" 60
}

AGENT_PIDS=()
start_agent() { # start_agent NAME CLUSTER RUNTIME AZ
  "$ROOT/bin/tide" agent --server "$TIDE_URL" --cluster "$2" --runtime "$3" --availability-zone "$4" \
    --cpu 102400 --memory 102400 --data-dir "$OUT/data/$1" --log-level warn >"$OUT/$1.log" 2>&1 &
  AGENT_PIDS+=($!)
  PIDS+=($!)
}

# Docker's engine is shared with whoever else uses this machine. Before
# af31a27 a Tide agent on the docker runtime stopped and removed every
# Tide-labelled container it was not assigned, other servers' included; and
# containers starting alongside skew the timings anyway. So wait until no
# other Tide's containers and no other docker-runtime Tide are about, and
# record any of this run's log lines that name other accounts' tasks.
foreign_containers() {
  local c mine
  docker ps -a --filter label=com.tide.managed=true --format '{{.Label "com.tide.cluster"}} {{.Label "com.tide.task-arn"}}' |
    while read -r c arn; do
      mine=0
      for m in "${CLUSTERS[@]}"; do [ "$c" = "$m" ] && mine=1; done
      [ $mine = 1 ] || echo "$arn"
    done
}
foreign_docker_tides() { # other Tide servers/agents on the docker runtime (or auto)
  local pid args p mine
  for pid in $(pgrep -f 'tide (server|agent)' || true); do
    mine=0
    for p in "${PIDS[@]+"${PIDS[@]}"}"; do [ "$p" = "$pid" ] && mine=1; done
    [ $mine = 1 ] && continue
    args=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
    case "$args" in
    *tide\ server*--local-agent=false*) ;;
    *tide\ server*runtime*process* | *tide\ agent*runtime*process*) ;;
    *tide\ server* | *tide\ agent*) echo "$pid" ;;
    esac
  done
}
engine_quiet() {
  local deadline=$((SECONDS + ENGINE_WAIT)) f
  while f="$(foreign_containers)$(foreign_docker_tides)" && [ -n "$f" ]; do
    if [ $SECONDS -ge $deadline ]; then
      echo "  WARNING: other Tide containers still on the engine after ${ENGINE_WAIT}s; measuring anyway" | tee -a "$OUT/interference.txt"
      return 0
    fi
    sleep 2
  done
}
interference() { # interference LOG...: did this run's agents touch other accounts' tasks?
  local n
  n=$(cat "$@" | grep -o 'arn:aws:ecs:[a-z0-9-]*:[0-9]*:task/[^ "]*' | grep -vc ":$ACCOUNT:" || true)
  [ "$n" = 0 ] || echo "  WARNING: $n log lines name other accounts' tasks in $*" | tee -a "$OUT/interference.txt"
}

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ] || COMMIT="$COMMIT+changes"
echo "== Tide task benchmark, Tide $COMMIT, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load avg $(cut -d' ' -f1-3 /proc/loadavg), output in $OUT"
echo "== build: bin/tide, the helper, a FROM scratch image of a static Go program ($IMAGE)"
make -s build
go build -o "$OUT/runtask" ./bench/runtask
mkdir -p "$OUT/img" "$OUT/data"
CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags='-s -w' -o "$OUT/img/app" ./internal/runtime/docker/testdata/app
printf 'FROM scratch\nCOPY app /app\nENTRYPOINT ["/app"]\n' >"$OUT/img/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q -t "$IMAGE" "$OUT/img" >/dev/null 2>"$OUT/docker-build.log"
echo "  image $(docker image inspect -f '{{.Size}}' "$IMAGE") bytes; docker $(docker version -f '{{.Server.Version}}')"
: >"$OUT/results.txt"

echo "== 1. RunTask → RUNNING, docker runtime (server's local agent, FARGATE awsvpc), $N rounds after $WARMUP warm-up, interleaved with docker run -d --rm"
engine_quiet
start_tide lat-docker --runtime docker
mkdir -p "$OUT/lat-docker"
"$OUT/runtask" latency -endpoint "$TIDE_URL" -cluster "${CLUSTERS[0]}" -runtime docker -image "$IMAGE" \
  -n "$N" -warmup "$WARMUP" -peers -network tide-awsvpc -label "tide-bench=$RUN_ID" -marker "$MARKER" \
  -out "$OUT/lat-docker" | tee "$OUT/lat-docker.txt" | sed 's/^/  /'
stop "$TIDE_PID"
interference "$OUT/lat-docker.log"
remove_containers

echo "== 1b. RunTask → RUNNING, process runtime (same program as a host process), $N rounds"
start_tide lat-process --runtime process
mkdir -p "$OUT/lat-process"
"$OUT/runtask" latency -endpoint "$TIDE_URL" -cluster "${CLUSTERS[1]}" -runtime process -image "$IMAGE" -app "$OUT/img/app" \
  -n "$N" -warmup "$WARMUP" -marker "$MARKER" -out "$OUT/lat-process" | tee "$OUT/lat-process.txt" | sed 's/^/  /'
stop "$TIDE_PID"
"$OUT/runtask" marked -marker "$MARKER" -kill >/dev/null

echo "== 2. placement engine: go test ./internal/placement -run '^\$' -bench BenchmarkPlace -benchtime $BENCHTIME -count $BENCH_COUNT"
go test ./internal/placement -run '^$' -bench BenchmarkPlace -benchtime "$BENCHTIME" -count "$BENCH_COUNT" >"$OUT/placement.txt" 2>&1
"$OUT/runtask" benchparse "$OUT/placement.txt" | tee "$OUT/placement-summary.txt" | sed 's/^/  /'

# overhead RUNTIME CLUSTER: a server without a local agent and one
# `tide agent`; idle samples with 0 and then SERVICE_TASKS tasks.
overhead() {
  local rt=$1 cluster=$2 apid r v0 v1 d0 d1
  start_tide "ovh-$rt" --local-agent=false
  AGENT_PIDS=()
  start_agent "ovh-$rt-agent1" "$cluster" "$rt" us-east-1a
  apid=${AGENT_PIDS[0]}
  "$OUT/runtask" agents -endpoint "$TIDE_URL" -cluster "$cluster" -want 1
  sleep "$SETTLE"
  "$OUT/runtask" sample -hz "$HZ" -window "${WINDOW}s" -pids "server=$TIDE_PID,agent=$apid" | sed "s/^/$rt 0 /" >>"$OUT/overhead.txt"
  # One task first: the overhead need not be linear in the task count.
  r=$("$OUT/runtask" service -endpoint "$TIDE_URL" -cluster "$cluster" -name idle -count 1 -runtime "$rt" -image "$IMAGE" -marker "$MARKER")
  sleep "$SETTLE"
  v0=$("$OUT/runtask" taskversions -endpoint "$TIDE_URL" -cluster "$cluster" -name idle | cut -d' ' -f2)
  d0=$(du -sk "$OUT/data/ovh-$rt" | cut -f1)
  "$OUT/runtask" sample -hz "$HZ" -window "${WINDOW}s" -pids "server=$TIDE_PID,agent=$apid" | sed "s/^/$rt 1 /" >>"$OUT/overhead.txt"
  v1=$("$OUT/runtask" taskversions -endpoint "$TIDE_URL" -cluster "$cluster" -name idle | cut -d' ' -f2)
  d1=$(du -sk "$OUT/data/ovh-$rt" | cut -f1)
  echo "$rt 1 writes $((v1 - v0)) $((d1 - d0))" >>"$OUT/overhead.txt"
  r=$("$OUT/runtask" scale -endpoint "$TIDE_URL" -cluster "$cluster" -name idle -count "$SERVICE_TASKS")
  echo "  $rt: service scaled from 1 to $SERVICE_TASKS, stable in $r s"
  sleep "$SETTLE"
  # Task record writes (their version) and data dir growth over the window.
  v0=$("$OUT/runtask" taskversions -endpoint "$TIDE_URL" -cluster "$cluster" -name idle | cut -d' ' -f2)
  d0=$(du -sk "$OUT/data/ovh-$rt" | cut -f1)
  "$OUT/runtask" sample -hz "$HZ" -window "${WINDOW}s" -pids "server=$TIDE_PID,agent=$apid" | sed "s/^/$rt $SERVICE_TASKS /" >>"$OUT/overhead.txt"
  v1=$("$OUT/runtask" taskversions -endpoint "$TIDE_URL" -cluster "$cluster" -name idle | cut -d' ' -f2)
  d1=$(du -sk "$OUT/data/ovh-$rt" | cut -f1)
  echo "$rt $SERVICE_TASKS writes $((v1 - v0)) $((d1 - d0))" >>"$OUT/overhead.txt"
  if [ "$rt" = process ]; then
    echo "$rt $SERVICE_TASKS tasks $("$OUT/runtask" marked -marker "$MARKER")" >>"$OUT/overhead.txt"
  else
    echo "$rt $SERVICE_TASKS tasks $("$OUT/runtask" dockerrss -cluster "$cluster")" >>"$OUT/overhead.txt"
  fi
  r=$("$OUT/runtask" delete -endpoint "$TIDE_URL" -cluster "$cluster" -name idle)
  echo "  $rt: DeleteService --force: $(cut -d' ' -f1 <<<"$r") tasks STOPPED in $(cut -d' ' -f2 <<<"$r") s"
}

# gone RUNTIME CLUSTER: wait (20 s) until no task process / container is left.
gone() {
  local left
  for _ in $(seq 100); do
    if [ "$1" = process ]; then left=$("$OUT/runtask" marked -marker "$MARKER" | cut -d' ' -f1)
    else left=$(docker ps -q --filter "label=com.tide.cluster=$2" | wc -l); fi
    [ "$left" = 0 ] && break
    sleep 0.2
  done
  echo "  $1: $left task processes/containers left 20 s after the tasks were STOPPED" | tee -a "$OUT/leftovers.txt"
}

: >"$OUT/overhead.txt"
echo "== 3. overhead per running task, process runtime (tide agent, EC2, command sleep 600), ${WINDOW}s idle samples"
overhead process "${CLUSTERS[2]}"
gone process "${CLUSTERS[2]}"

echo "== 2b. end to end: a service of $E2E_TASKS tasks (process runtime, sleep 600) over $E2E_AGENTS tide agents, CreateService → stable"
for i in $(seq 2 "$E2E_AGENTS"); do
  start_agent "ovh-process-agent$i" "${CLUSTERS[2]}" process "us-east-1${AZ_LETTERS:$(((i - 1) % 8)):1}"
done
"$OUT/runtask" agents -endpoint "$TIDE_URL" -cluster "${CLUSTERS[2]}" -want "$E2E_AGENTS"
r=$("$OUT/runtask" service -endpoint "$TIDE_URL" -cluster "${CLUSTERS[2]}" -name e2e -count "$E2E_TASKS" -runtime process -image "$IMAGE" -marker "$MARKER" -timeout 5m)
echo "e2e create $E2E_TASKS $r" >>"$OUT/e2e.txt"
echo "  first task RUNNING after $(cut -d' ' -f1 <<<"$r") s, all $E2E_TASKS RUNNING (services-stable) after $(cut -d' ' -f2 <<<"$r") s"
r=$("$OUT/runtask" delete -endpoint "$TIDE_URL" -cluster "${CLUSTERS[2]}" -name e2e -timeout 5m)
echo "e2e delete $r" >>"$OUT/e2e.txt"
echo "  DeleteService --force: $(cut -d' ' -f1 <<<"$r") tasks STOPPED after $(cut -d' ' -f2 <<<"$r") s"
gone process "${CLUSTERS[2]}"
for p in "${AGENT_PIDS[@]}"; do stop "$p"; done
stop "$TIDE_PID"
"$OUT/runtask" marked -marker "$MARKER" -kill >/dev/null

echo "== 3b. overhead per running task, docker runtime (tide agent, EC2, the image's program), ${WINDOW}s idle samples"
engine_quiet
overhead docker "${CLUSTERS[3]}"
gone docker "${CLUSTERS[3]}"
for p in "${AGENT_PIDS[@]}"; do stop "$p"; done
stop "$TIDE_PID"
interference "$OUT"/ovh-docker*.log
remove_containers

# Summary.
lat() { awk -v k="$2" '$1==k {print $'"$3"'}' "$OUT/$1.txt"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
ovh() { awk -v r="$1" -v n="$2" -v p="$3" -v c="$4" '$1==r && $2==n && $3==p {print $c}' "$OUT/overhead.txt"; }
per() { awk -v a="$1" -v b="$2" -v n="$3" -v d="$4" 'BEGIN { printf "%.2f", (a - b) / n / d }'; }
{
  echo "run $RUN_ID, Tide $COMMIT, $(date -u +%Y-%m-%dT%H:%M:%SZ), load avg at the start $LOAD0, at the end $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| RunTask → RUNNING ($N rounds) | p50 ms | p90 ms | min | max |"
  echo "|---|---|---|---|---|"
  for k in tide-docker-running tide-docker-container-created tide-docker-container-started docker-run-returned docker-run-running docker-run-net-running tide-docker-stoptask-to-stopped; do
    printf '| %s | %s | %s | %s | %s |\n' "$k" "$(lat lat-docker $k 3)" "$(lat lat-docker $k 4)" "$(lat lat-docker $k 5)" "$(lat lat-docker $k 6)"
  done
  for k in tide-process-running tide-process-stoptask-to-stopped; do
    printf '| %s | %s | %s | %s | %s |\n' "$k" "$(lat lat-process $k 3)" "$(lat lat-process $k 4)" "$(lat lat-process $k 5)" "$(lat lat-process $k 6)"
  done
  echo
  echo "tasks that failed to start (each retried): docker $(lat lat-docker tide-docker-failed-starts 2), process $(lat lat-process tide-process-failed-starts 2) ($(grep -h '^failed-start' "$OUT"/lat-*/samples.txt | cut -d' ' -f4- | sort | uniq -c | tr -s ' ' | tr '\n' ';'))"
  echo
  echo "docker tasks reported STOPPED while their container still ran: $(awk '$1=="tide-docker-container-running-at-STOPPED" && $2>=0 {s+=$3; n++} END {print s "/" n}' "$OUT/lat-docker/samples.txt"); STOPPED without an exit code: docker $(awk '$1=="tide-docker-STOPPED-without-exitCode" && $2>=0 {s+=$3; n++} END {print s "/" n}' "$OUT/lat-docker/samples.txt"), process $(awk '$1=="tide-process-STOPPED-without-exitCode" && $2>=0 {s+=$3; n++} END {print s "/" n}' "$OUT/lat-process/samples.txt")"
  echo
  echo "| placement (10,000 tasks onto 1,000 instances) | runs | median placements/s | min | max |"
  echo "|---|---|---|---|---|"
  awk '{printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5}' "$OUT/placement-summary.txt"
  echo
  echo "end to end: $(cat "$OUT/e2e.txt" | tr '\n' ';')"
  echo
  echo "| overhead (${WINDOW}s idle) | tasks | server RSS MB (mean) | server CPU ms | agent RSS MB (mean) | agent CPU ms |"
  echo "|---|---|---|---|---|---|"
  for rt in process docker; do
    for n in 0 1 "$SERVICE_TASKS"; do
      printf '| %s | %s | %s | %s | %s | %s |\n' "$rt" "$n" "$(ovh $rt $n server 4)" "$(ovh $rt $n server 6)" "$(ovh $rt $n agent 4)" "$(ovh $rt $n agent 6)"
    done
    printf '| %s per task | | %s MB | %s ms/s | %s MB | %s ms/s |\n' "$rt" \
      "$(per "$(ovh $rt "$SERVICE_TASKS" server 4)" "$(ovh $rt 0 server 4)" "$SERVICE_TASKS" 1)" \
      "$(per "$(ovh $rt "$SERVICE_TASKS" server 6)" "$(ovh $rt 0 server 6)" "$SERVICE_TASKS" "$WINDOW")" \
      "$(per "$(ovh $rt "$SERVICE_TASKS" agent 4)" "$(ovh $rt 0 agent 4)" "$SERVICE_TASKS" 1)" \
      "$(per "$(ovh $rt "$SERVICE_TASKS" agent 6)" "$(ovh $rt 0 agent 6)" "$SERVICE_TASKS" "$WINDOW")"
  done
  echo
  echo "tasks' own processes at $SERVICE_TASKS tasks (count, RSS MB): $(awk '$3=="tasks" {printf "%s %s %s MB; ", $1, $4, $5}' "$OUT/overhead.txt")"
  echo "task record writes over the ${WINDOW}s window (sum of task versions; per task per second; server data dir growth): $(awk -v w="$WINDOW" '$3=="writes" {printf "%s %s tasks: %s writes, %.1f/task/s, +%.1f MB; ", $1, $2, $4, $4 / $2 / w, $5 / 1024}' "$OUT/overhead.txt")"
  [ -s "$OUT/leftovers.txt" ] && echo "leftovers: $(tr '\n' ';' <"$OUT/leftovers.txt")"
  [ -s "$OUT/interference.txt" ] && echo "interference: $(tr '\n' ';' <"$OUT/interference.txt")"
  echo
  P50=$(lat lat-docker tide-docker-running 3)
  echo "| target | figure | verdict |"
  echo "|---|---|---|"
  echo "| RunTask → RUNNING p50 ≤ 1 s (docker) | $P50 ms | $(awk -v v="$P50" 'BEGIN {print (v <= 1000) ? "met" : "MISSED"}') |"
  R1=$(ratio "$P50" "$(lat lat-docker docker-run-running 3)")
  R2=$(ratio "$P50" "$(lat lat-docker docker-run-net-running 3)")
  echo "| within 1.3× of docker run (p50, until Running) | ${R1}× (default bridge), ${R2}× (--network tide-awsvpc) | $(awk -v v="$R1" 'BEGIN {print (v <= 1.3) ? "met" : "MISSED"}') |"
  PL=$(awk '$1 ~ /batch=10$/ {print $3}' "$OUT/placement-summary.txt")
  echo "| placement ≥ 5,000/s (batch=10, as the scheduler calls it) | $PL /s | $(awk -v v="$PL" 'BEGIN {print (v >= 5000) ? "met" : "MISSED"}') |"
} >"$OUT/summary.md"
echo "== summary ($OUT/summary.md), load avg at the end $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$OUT/summary.md"
