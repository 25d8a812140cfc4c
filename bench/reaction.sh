#!/usr/bin/env bash
# Tide's scaling reaction time: a load step on a service behind a load
# balancer with a target tracking policy at 40% CPU (process runtime, fast
# timing profile), timed from the step to the first request a new task
# serves, TRIALS times. What it measures and the latest figures: the section
# "CloudWatch and scaling" of docs/benchmarks.md. Loopback only; every wait is
# bounded; the server and its tasks stop when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
TRIALS=${TRIALS:-7}
CLIENTS=${CLIENTS:-2}
TIMING=${TIMING:-fast}
OUT=$(mktemp -d /tmp/tide-reaction.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
go build -o "$OUT/tide" ./cmd/tide
CGO_ENABLED=0 go build -o "$OUT/webapp" ./test/e2e/testdata/webapp
go run ./bench/reaction -tide "$OUT/tide" -webapp "$OUT/webapp" -trials "$TRIALS" -clients "$CLIENTS" -timing "$TIMING"
echo
echo "ingest and alarm evaluation, in-process, one core:"
go test ./internal/metrics -run XXX -bench 'BenchmarkPut$' -benchtime 2000x -cpu 1 -count 3 | grep Benchmark
go test ./internal/cloudwatch -run XXX -bench BenchmarkEvaluate -benchtime 20x -cpu 1 -count 3 | grep Benchmark
