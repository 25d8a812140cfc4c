#!/usr/bin/env bash
# End-to-end test of Tide's CloudWatch API with the stock aws CLI v2 (which
# speaks CloudWatch's awsquery protocol): every command docs/cloudwatch.md
# shows, checked with jq. It needs AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
# AWS_DEFAULT_REGION and AWS_ENDPOINT_URL (the lines `tide server` prints),
# and names everything under a fresh prefix, so it can run against a server
# that has state.
set -euo pipefail

: "${AWS_ENDPOINT_URL:?set AWS_ENDPOINT_URL to the tide server URL}"
: "${AWS_ACCESS_KEY_ID:?}" "${AWS_SECRET_ACCESS_KEY:?}" "${AWS_DEFAULT_REGION:?}"
export AWS_PAGER=""
AWS=${AWS_CLI:-/usr/bin/aws}
NS="E2E/$(date +%s)$$"
cw() { "$AWS" cloudwatch "$@" --endpoint-url "$AWS_ENDPOINT_URL" --output json; }
ok() { echo "ok   $*"; }
fail() {
	echo "FAIL $*"
	exit 1
}
expect() {
	local json=$1 filter=$2 desc=$3
	if jq -e "$filter" >/dev/null 2>&1 <<<"$json"; then
		ok "$desc"
	else
		echo "$json" | head -c 3000
		echo
		fail "$desc: jq '$filter' is not true"
	fi
}
expect_error() {
	local code=$1 desc=$2 err
	shift 2
	if err=$(cw "$@" 2>&1 >/dev/null); then
		fail "$desc: the call succeeded; wanted $code"
	fi
	grep -q "($code)" <<<"$err" || fail "$desc: wanted $code, got: $err"
	ok "$desc: $code"
}
iso() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }

# --- metrics: put, statistics, math, listing
NOW=$(date -u +%s)
T0=$((NOW - NOW % 60 - 120)) # two minutes ago, on a minute
for i in 0 1 2 3 4; do
	cw put-metric-data --namespace "$NS" --metric-name Latency --unit Milliseconds \
		--dimensions Service=web --value $((10 * (i + 1))) --timestamp "$(iso "@$((T0 + i))")" --storage-resolution 1
done
cw put-metric-data --namespace "$NS" --metric-data \
	"MetricName=Requests,Dimensions=[{Name=Service,Value=web}],Timestamp=$(iso "@$T0"),Values=[1,2,3],Counts=[1,1,2],Unit=Count"
ok "put-metric-data: single values and a values/counts datum"

out=$(cw get-metric-statistics --namespace "$NS" --metric-name Latency --dimensions Name=Service,Value=web \
	--start-time "$(iso "@$T0")" --end-time "$(iso "@$((T0 + 60))")" --period 60 \
	--statistics Average Maximum SampleCount --extended-statistics p50)
expect "$out" '.Datapoints | length == 1' "get-metric-statistics: one one-minute datapoint"
expect "$out" '.Datapoints[0] | .Average == 30 and .Maximum == 50 and .SampleCount == 5 and .Unit == "Milliseconds"' "get-metric-statistics: Average, Maximum, SampleCount, the data's unit"
expect "$out" '.Datapoints[0].ExtendedStatistics.p50 | . > 29.5 and . < 30.5' "get-metric-statistics: p50"

out=$(cw get-metric-statistics --namespace "$NS" --metric-name Latency --dimensions Name=Service,Value=web \
	--start-time "$(iso "@$T0")" --end-time "$(iso "@$((T0 + 5))")" --period 1 --statistics Maximum)
expect "$out" '[.Datapoints[].Maximum] | sort == [10,20,30,40,50]' "get-metric-statistics: one-second periods of high-resolution data"

cat >"${TMPDIR:-/tmp}/$$.queries.json" <<JSON
[
  {"Id": "lat", "MetricStat": {"Metric": {"Namespace": "$NS", "MetricName": "Latency", "Dimensions": [{"Name": "Service", "Value": "web"}]}, "Period": 60, "Stat": "Sum"}, "ReturnData": false},
  {"Id": "req", "MetricStat": {"Metric": {"Namespace": "$NS", "MetricName": "Requests", "Dimensions": [{"Name": "Service", "Value": "web"}]}, "Period": 60, "Stat": "Sum"}, "ReturnData": false},
  {"Id": "perreq", "Expression": "lat / req", "Label": "latency per request"}
]
JSON
out=$(cw get-metric-data --metric-data-queries "file://${TMPDIR:-/tmp}/$$.queries.json" \
	--start-time "$(iso "@$T0")" --end-time "$(iso "@$((T0 + 60))")")
rm -f "${TMPDIR:-/tmp}/$$.queries.json"
expect "$out" '.MetricDataResults | length == 1 and .[0].Label == "latency per request" and (.[0].Values | length == 1 and .[0] > 16.66 and .[0] < 16.67) and .[0].StatusCode == "Complete"' \
	"get-metric-data: metric math (150 ms of latency over 1+2+3+3 = 9 requests)"

out=$(cw list-metrics --namespace "$NS")
expect "$out" '[.Metrics[].MetricName] | sort == ["Latency","Requests"]' "list-metrics"
out=$(cw list-metrics --namespace "$NS" --dimensions Name=Service,Value=api)
expect "$out" '.Metrics == []' "list-metrics: dimension filter"

expect_error InvalidParameterValue "put-metric-data in an AWS/ namespace" put-metric-data --namespace AWS/ECS --metric-name X --value 1
expect_error InvalidParameterCombination "get-metric-statistics without statistics" get-metric-statistics --namespace "$NS" --metric-name Latency \
	--start-time "$(iso "@$T0")" --end-time "$(iso "@$((T0 + 60))")" --period 60
expect_error InvalidParameterCombination "get-metric-statistics over 1,440 datapoints" get-metric-statistics --namespace "$NS" --metric-name Latency \
	--start-time "$(iso "@$((T0 - 7200))")" --end-time "$(iso "@$T0")" --period 1 --statistics Sum

# --- alarms: create, describe, set state, history, delete
ALARM="${NS//\//-}-latency"
cw put-metric-alarm --alarm-name "$ALARM" --namespace "$NS" --metric-name Latency --dimensions Name=Service,Value=web \
	--statistic Average --period 10 --evaluation-periods 3 --datapoints-to-alarm 2 --threshold 100 \
	--comparison-operator GreaterThanThreshold --treat-missing-data notBreaching
ok "put-metric-alarm"
out=$(cw describe-alarms --alarm-names "$ALARM")
expect "$out" ".MetricAlarms[0] | .AlarmName == \"$ALARM\" and .Threshold == 100 and .EvaluationPeriods == 3 and .DatapointsToAlarm == 2 and .TreatMissingData == \"notBreaching\"" \
	"describe-alarms: the configuration"
expect "$out" '.MetricAlarms[0].AlarmArn | test("^arn:aws:cloudwatch:[a-z0-9-]+:[0-9]{12}:alarm:")' "describe-alarms: the ARN"
cw set-alarm-state --alarm-name "$ALARM" --state-value ALARM --state-reason "testing the notification"
out=$(cw describe-alarms --alarm-names "$ALARM" --state-value ALARM)
expect "$out" '.MetricAlarms[0].StateReason == "testing the notification"' "set-alarm-state"
out=$(cw describe-alarm-history --alarm-name "$ALARM" --history-item-type StateUpdate)
expect "$out" '.AlarmHistoryItems[0].HistorySummary | test("to ALARM")' "describe-alarm-history"
out=$(cw describe-alarms-for-metric --namespace "$NS" --metric-name Latency --dimensions Name=Service,Value=web)
expect "$out" ".MetricAlarms | map(.AlarmName) == [\"$ALARM\"]" "describe-alarms-for-metric"
expect_error ValidationError "put-metric-alarm with an unknown comparison" put-metric-alarm --alarm-name "$ALARM" --namespace "$NS" \
	--metric-name Latency --statistic Average --period 10 --evaluation-periods 1 --threshold 1 --comparison-operator Bigger
cw delete-alarms --alarm-names "$ALARM"
out=$(cw describe-alarms --alarm-names "$ALARM")
expect "$out" '.MetricAlarms == []' "delete-alarms"
echo "cloudwatch.sh: all checks passed"
