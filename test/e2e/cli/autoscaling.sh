#!/usr/bin/env bash
# End-to-end test of Tide's Application Auto Scaling with the stock aws CLI
# v2: every command docs/autoscaling.md shows, checked with jq. A service
# (which need not run: the server has no agent) gets a scalable target, a
# target tracking policy whose alarms appear in CloudWatch, a step scaling
# policy that a CloudWatch alarm drives (set-alarm-state), scheduled actions,
# AWS's errors for bad policies, and is deregistered. It needs
# AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION and
# AWS_ENDPOINT_URL, and names everything under a fresh prefix.
set -euo pipefail

: "${AWS_ENDPOINT_URL:?set AWS_ENDPOINT_URL to the tide server URL}"
: "${AWS_ACCESS_KEY_ID:?}" "${AWS_SECRET_ACCESS_KEY:?}" "${AWS_DEFAULT_REGION:?}"
export AWS_PAGER=""
AWS=${AWS_CLI:-/usr/bin/aws}
P="as$(date +%s | tail -c 6)$$"
aws_() { "$AWS" "$@" --endpoint-url "$AWS_ENDPOINT_URL" --output json; }
aas() { aws_ application-autoscaling "$@"; }
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
	if err=$(aas "$@" 2>&1 >/dev/null); then
		fail "$desc: the call succeeded; wanted $code"
	fi
	grep -q "($code)" <<<"$err" || fail "$desc: wanted $code, got: $err"
	ok "$desc: $code"
}

# A service to scale.
aws_ ecs create-cluster --cluster-name "$P" >/dev/null
aws_ ecs register-task-definition --family "$P" --requires-compatibilities FARGATE --network-mode awsvpc \
	--cpu 256 --memory 512 --container-definitions '[{"name":"app","image":"app:1","essential":true}]' >/dev/null
aws_ ecs create-service --cluster "$P" --service-name web --task-definition "$P" --desired-count 1 \
	--launch-type FARGATE --network-configuration 'awsvpcConfiguration={subnets=[subnet-local]}' >/dev/null
R="service/$P/web"

out=$(aas register-scalable-target --service-namespace ecs --scalable-dimension ecs:service:DesiredCount \
	--resource-id "$R" --min-capacity 1 --max-capacity 5)
expect "$out" '.ScalableTargetARN | test("^arn:aws:application-autoscaling:[a-z0-9-]+:[0-9]{12}:scalable-target/")' "register-scalable-target"
out=$(aas describe-scalable-targets --service-namespace ecs --resource-ids "$R")
expect "$out" '.ScalableTargets[0] | .MinCapacity == 1 and .MaxCapacity == 5 and .ScalableDimension == "ecs:service:DesiredCount" and .SuspendedState.DynamicScalingInSuspended == false' \
	"describe-scalable-targets"

# Target tracking at 40% CPU: two alarms, named as AWS names them.
out=$(aas put-scaling-policy --service-namespace ecs --scalable-dimension ecs:service:DesiredCount --resource-id "$R" \
	--policy-name cpu40 --policy-type TargetTrackingScaling --target-tracking-scaling-policy-configuration \
	'{"TargetValue": 40, "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}, "ScaleOutCooldown": 60, "ScaleInCooldown": 120}')
expect "$out" '.PolicyARN | test(":scalingPolicy:.*:resource/ecs/service/.*:policyName/cpu40$")' "put-scaling-policy: target tracking"
expect "$out" "[.Alarms[].AlarmName] | length == 2 and (.[0] | startswith(\"TargetTracking-$R-AlarmHigh-\")) and (.[1] | startswith(\"TargetTracking-$R-AlarmLow-\"))" \
	"put-scaling-policy: AlarmHigh and AlarmLow"
out=$(aws_ cloudwatch describe-alarms --alarm-name-prefix "TargetTracking-$R-")
expect "$out" '[.MetricAlarms[] | {t: .Threshold, n: .EvaluationPeriods, c: .ComparisonOperator}] | sort_by(.t) == [{"t":36,"n":15,"c":"LessThanThreshold"},{"t":40,"n":3,"c":"GreaterThanThreshold"}]' \
	"the alarms: above 40 for 3 periods, below 36 for 15"
expect "$out" '.MetricAlarms[0] | .Namespace == "AWS/ECS" and .MetricName == "CPUUtilization" and (.AlarmDescription | startswith("DO NOT EDIT OR DELETE."))' \
	"the alarms watch the service's CPUUtilization"

# Step scaling driven by an alarm of our own.
out=$(aas put-scaling-policy --service-namespace ecs --scalable-dimension ecs:service:DesiredCount --resource-id "$R" \
	--policy-name steps --policy-type StepScaling --step-scaling-policy-configuration \
	'{"AdjustmentType": "ChangeInCapacity", "Cooldown": 0, "MetricAggregationType": "Average", "StepAdjustments": [
	   {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 20, "ScalingAdjustment": 1},
	   {"MetricIntervalLowerBound": 20, "ScalingAdjustment": 3}]}')
STEP=$(jq -r .PolicyARN <<<"$out")
ok "put-scaling-policy: step scaling"
aws_ cloudwatch put-metric-alarm --alarm-name "$P-steps" --namespace App --metric-name Queue --statistic Average \
	--period 60 --evaluation-periods 1 --threshold 100 --comparison-operator GreaterThanThreshold --alarm-actions "$STEP" >/dev/null
aws_ cloudwatch set-alarm-state --alarm-name "$P-steps" --state-value ALARM --state-reason "testing the step policy" >/dev/null
for _ in $(seq 50); do
	desired=$(aws_ ecs describe-services --cluster "$P" --services web | jq '.services[0].desiredCount')
	[ "$desired" = 2 ] && break
	sleep 0.2
done
[ "$desired" = 2 ] || fail "the step policy set the desired count to $desired, want 2"
ok "set-alarm-state ALARM runs the step policy: desired count 1 -> 2"
out=$(aas describe-scaling-activities --service-namespace ecs --resource-id "$R")
expect "$out" ".ScalingActivities[0] | .Description == \"Setting desired count to 2.\" and .StatusCode == \"Successful\" and (.Cause | test(\"monitor alarm $P-steps in state ALARM triggered policy steps\"))" \
	"describe-scaling-activities"
out=$(aas describe-scaling-policies --service-namespace ecs --resource-id "$R")
expect "$out" '[.ScalingPolicies[].PolicyName] | sort == ["cpu40","steps"]' "describe-scaling-policies"

# Scheduled actions.
aas put-scheduled-action --service-namespace ecs --scalable-dimension ecs:service:DesiredCount --resource-id "$R" \
	--scheduled-action-name business-hours --schedule 'cron(0 9 ? * MON-FRI *)' --timezone Europe/Paris \
	--scalable-target-action MinCapacity=2,MaxCapacity=8
aas put-scheduled-action --service-namespace ecs --scalable-dimension ecs:service:DesiredCount --resource-id "$R" \
	--scheduled-action-name now --schedule "at($(date -u +%Y-%m-%dT%H:%M:%S))" --scalable-target-action MinCapacity=3
out=$(aas describe-scheduled-actions --service-namespace ecs --resource-id "$R")
expect "$out" '[.ScheduledActions[].ScheduledActionName] | sort == ["business-hours","now"]' "describe-scheduled-actions"
for _ in $(seq 50); do
	min=$(aas describe-scalable-targets --service-namespace ecs --resource-ids "$R" | jq '.ScalableTargets[0].MinCapacity')
	[ "$min" = 3 ] && break
	sleep 0.2
done
[ "$min" = 3 ] || fail "the at() action left MinCapacity at $min, want 3"
desired=$(aws_ ecs describe-services --cluster "$P" --services web | jq '.services[0].desiredCount')
[ "$desired" = 3 ] || fail "the at() action left the desired count at $desired, want 3 (clamped to the new minimum)"
ok "an at() action ran: MinCapacity 3, desired count clamped to 3"
aas delete-scheduled-action --service-namespace ecs --scalable-dimension ecs:service:DesiredCount --resource-id "$R" --scheduled-action-name business-hours
ok "delete-scheduled-action"

# AWS's errors.
expect_error ValidationException "overlapping steps" put-scaling-policy --service-namespace ecs --scalable-dimension ecs:service:DesiredCount \
	--resource-id "$R" --policy-name bad --policy-type StepScaling --step-scaling-policy-configuration \
	'{"AdjustmentType":"ChangeInCapacity","StepAdjustments":[{"MetricIntervalLowerBound":0,"MetricIntervalUpperBound":20,"ScalingAdjustment":1},{"MetricIntervalLowerBound":10,"ScalingAdjustment":2}]}'
expect_error ValidationException "min above max" register-scalable-target --service-namespace ecs --scalable-dimension ecs:service:DesiredCount \
	--resource-id "$R" --min-capacity 6 --max-capacity 2
expect_error ValidationException "unknown predefined metric" put-scaling-policy --service-namespace ecs --scalable-dimension ecs:service:DesiredCount \
	--resource-id "$R" --policy-name bad --policy-type TargetTrackingScaling --target-tracking-scaling-policy-configuration \
	'{"TargetValue": 40, "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"}}'
expect_error ObjectNotFoundException "a policy on an unregistered service" put-scaling-policy --service-namespace ecs \
	--scalable-dimension ecs:service:DesiredCount --resource-id "service/$P/nope" --policy-name x --policy-type StepScaling \
	--step-scaling-policy-configuration '{"AdjustmentType":"ChangeInCapacity","StepAdjustments":[{"MetricIntervalLowerBound":0,"ScalingAdjustment":1}]}'

# Clean up: deleting a target tracking policy deletes its alarms; deregistering removes the rest.
aas delete-scaling-policy --service-namespace ecs --scalable-dimension ecs:service:DesiredCount --resource-id "$R" --policy-name cpu40
out=$(aws_ cloudwatch describe-alarms --alarm-name-prefix "TargetTracking-$R-")
expect "$out" '.MetricAlarms == []' "delete-scaling-policy deletes its alarms"
aas deregister-scalable-target --service-namespace ecs --scalable-dimension ecs:service:DesiredCount --resource-id "$R"
out=$(aas describe-scalable-targets --service-namespace ecs --resource-ids "$R")
expect "$out" '.ScalableTargets == []' "deregister-scalable-target"
out=$(aas describe-scaling-policies --service-namespace ecs --resource-id "$R")
expect "$out" '.ScalingPolicies == []' "deregistering deletes the policies"
echo "autoscaling.sh: all checks passed"
