#!/usr/bin/env bash
# End-to-end test of Tide's ELBv2 API with the stock aws CLI v2.
#
# It drives every ELBv2 operation that Tide implements through /usr/bin/aws
# against a running `tide server` and checks the responses with jq: the
# awsquery protocol (form-encoded requests, XML responses, the CLI's
# shorthand and JSON forms, its paginators and waiters), AWS's shapes and
# error codes. It needs AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
# AWS_DEFAULT_REGION and AWS_ENDPOINT_URL (the lines `tide server` prints;
# CLI 2.9 ignores AWS_ENDPOINT_URL, so every call passes --endpoint-url),
# and creates every resource under a fresh name prefix on fresh ports, so it
# can run against a server that has state. HTTPS listeners need openssl.
#
# The calls run in independent lanes in parallel; the script prints every
# lane's log and exits non-zero if a lane failed.
set -euo pipefail

: "${AWS_ENDPOINT_URL:?set AWS_ENDPOINT_URL to the tide server URL}"
: "${AWS_ACCESS_KEY_ID:?}" "${AWS_SECRET_ACCESS_KEY:?}" "${AWS_DEFAULT_REGION:?}"
export AWS_PAGER=""
AWS=${AWS_CLI:-/usr/bin/aws}
REGION=$AWS_DEFAULT_REGION
# A prefix that is new on every run: resources never collide with old ones.
P="e2e$(date +%s | tail -c 7)$$"
# Listener ports: Tide serves every load balancer on one address, so ports
# are unique across load balancers; pick a fresh range.
PORT=$((20000 + RANDOM % 30000))
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

elbv2() { "$AWS" elbv2 "$@" --endpoint-url "$AWS_ENDPOINT_URL" --output json; }
log() { echo "[$LANE] $*"; }
ok() { log "ok   $*"; }
fail() {
	log "FAIL $*"
	exit 1
}

# expect JSON FILTER DESCRIPTION: the jq FILTER must be true on JSON.
expect() {
	local json=$1 filter=$2 desc=$3
	if jq -e "$filter" >/dev/null 2>&1 <<<"$json"; then
		ok "$desc"
	else
		echo "$json" | jq -c . 2>/dev/null | head -c 3000 || echo "$json" | head -c 3000
		echo
		fail "$desc: jq '$filter' is not true"
	fi
}

# expect_error CODE DESCRIPTION ARGS...: `aws elbv2 ARGS` must fail and name
# the error code CODE on stderr.
expect_error() {
	local code=$1 desc=$2 err
	shift 2
	if err=$(elbv2 "$@" 2>&1 >/dev/null); then
		fail "$desc: the call succeeded; wanted $code"
	fi
	if ! grep -q "($code)" <<<"$err"; then
		fail "$desc: wanted $code, got: $err"
	fi
	ok "$desc: $code"
}

arn() { echo "arn:aws:elasticloadbalancing:$REGION:[0-9]{12}:$1"; }

# ---------------------------------------------------------------- load balancers, attributes, HTTPS, tags
lane_lb() {
	local name=${P}-web out lb tg l https
	out=$(elbv2 create-load-balancer --name "$name" --subnets subnet-a subnet-b --security-groups sg-1 \
		--tags Key=team,Value=blue)
	expect "$out" ".LoadBalancers[0].LoadBalancerArn | test(\"^$(arn "loadbalancer/app/$name/[0-9a-f]{16}")\$\")" "create-load-balancer ARN"
	expect "$out" '.LoadBalancers[0] | .Type == "application" and .Scheme == "internet-facing" and .State.Code == "provisioning" and .IpAddressType == "ipv4"' \
		"create-load-balancer shape"
	expect "$out" ".LoadBalancers[0].DNSName | test(\"^$name-[0-9]+\\\\.$REGION\\\\.elb\\\\.localhost\$\")" "create-load-balancer DNS name"
	expect "$out" '.LoadBalancers[0].AvailabilityZones | map(.SubnetId) == ["subnet-a","subnet-b"]' "create-load-balancer zones"
	expect "$out" '.LoadBalancers[0].SecurityGroups == ["sg-1"]' "create-load-balancer security groups"
	lb=$(jq -r '.LoadBalancers[0].LoadBalancerArn' <<<"$out")
	out=$(elbv2 create-load-balancer --name "$name" --subnets subnet-a subnet-b --security-groups sg-1)
	expect "$out" ".LoadBalancers[0].LoadBalancerArn == \"$lb\"" "create-load-balancer is idempotent"
	expect_error DuplicateLoadBalancerName "create-load-balancer with other settings" create-load-balancer --name "$name" --scheme internal
	expect_error ValidationError "create-load-balancer named internal-*" create-load-balancer --name "internal-$P"
	expect_error ValidationError "create-load-balancer with a bad name" create-load-balancer --name "bad_name"

	elbv2 wait load-balancer-available --names "$name"
	ok "wait load-balancer-available"
	out=$(elbv2 describe-load-balancers --names "$name")
	expect "$out" ".LoadBalancers | length == 1 and .[0].State.Code == \"active\" and .[0].LoadBalancerArn == \"$lb\"" "describe-load-balancers --names"
	out=$(elbv2 describe-load-balancers --load-balancer-arns "$lb")
	expect "$out" ".LoadBalancers[0].LoadBalancerName == \"$name\"" "describe-load-balancers --load-balancer-arns"
	expect_error LoadBalancerNotFound "describe-load-balancers of a missing one" describe-load-balancers --names "${P}-missing"

	out=$(elbv2 describe-load-balancer-attributes --load-balancer-arn "$lb")
	expect "$out" '[.Attributes[] | {(.Key): .Value}] | add | ."idle_timeout.timeout_seconds" == "60" and ."deletion_protection.enabled" == "false" and ."routing.http2.enabled" == "true"' \
		"describe-load-balancer-attributes defaults"
	out=$(elbv2 modify-load-balancer-attributes --load-balancer-arn "$lb" --attributes Key=idle_timeout.timeout_seconds,Value=30)
	expect "$out" '[.Attributes[] | {(.Key): .Value}] | add | ."idle_timeout.timeout_seconds" == "30"' "modify-load-balancer-attributes"
	expect_error ValidationError "idle timeout 0" modify-load-balancer-attributes --load-balancer-arn "$lb" --attributes Key=idle_timeout.timeout_seconds,Value=0

	tg=$(elbv2 create-target-group --name "${P}-web" --protocol HTTP --port 8000 --vpc-id vpc-1 --target-type ip | jq -r '.TargetGroups[0].TargetGroupArn')
	l=$(elbv2 create-listener --load-balancer-arn "$lb" --protocol HTTP --port "$PORT" \
		--default-actions Type=forward,TargetGroupArn="$tg" | jq -r '.Listeners[0].ListenerArn')

	if command -v openssl >/dev/null; then
		openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -days 1 -subj /CN=localhost 2>/dev/null
		cat "$WORK/cert.pem" "$WORK/key.pem" >"$WORK/site.pem"
		out=$(elbv2 create-listener --load-balancer-arn "$lb" --protocol HTTPS --port $((PORT + 1)) \
			--certificates CertificateArn="file://$WORK/site.pem" --default-actions Type=forward,TargetGroupArn="$tg")
		expect "$out" ".Listeners[0] | .Protocol == \"HTTPS\" and .Certificates[0].CertificateArn == \"file://$WORK/site.pem\" and .SslPolicy == \"ELBSecurityPolicy-2016-08\"" \
			"create-listener HTTPS, certificate from a file"
		https=$(jq -r '.Listeners[0].ListenerArn' <<<"$out")
		expect_error CertificateNotFound "create-listener HTTPS with an ACM ARN" create-listener --load-balancer-arn "$lb" --protocol HTTPS --port $((PORT + 2)) \
			--certificates CertificateArn="arn:aws:acm:$REGION:000000000000:certificate/x" --default-actions Type=forward,TargetGroupArn="$tg"
		elbv2 delete-listener --listener-arn "$https" >/dev/null
		ok "delete-listener"
	fi

	elbv2 add-tags --resource-arns "$lb" "$tg" "$l" --tags Key=env,Value=test Key=owner,Value=e2e >/dev/null
	elbv2 remove-tags --resource-arns "$lb" --tag-keys owner >/dev/null
	out=$(elbv2 describe-tags --resource-arns "$lb" "$tg" "$l")
	expect "$out" '.TagDescriptions | map(.Tags | map({(.Key): .Value}) | add) == [{"env":"test","team":"blue"},{"env":"test","owner":"e2e"},{"env":"test","owner":"e2e"}]' \
		"add-tags, remove-tags, describe-tags"

	elbv2 delete-load-balancer --load-balancer-arn "$lb" >/dev/null
	elbv2 delete-load-balancer --load-balancer-arn "$lb" >/dev/null
	ok "delete-load-balancer, twice"
	expect_error LoadBalancerNotFound "describe-load-balancers after delete" describe-load-balancers --load-balancer-arns "$lb"
	expect_error ListenerNotFound "describe-listeners after delete" describe-listeners --listener-arns "$l"
	elbv2 delete-target-group --target-group-arn "$tg" >/dev/null
	ok "delete-target-group once released"
}

# ---------------------------------------------------------------- listeners in use, rules
lane_rules() {
	local name=${P}-rules out lb tg tg2 l rdef r1 r2 PORT=$((PORT + 20))
	lb=$(elbv2 create-load-balancer --name "$name" | jq -r '.LoadBalancers[0].LoadBalancerArn')
	out=$(elbv2 create-target-group --name "${P}-api" --protocol HTTP --port 8000 --vpc-id vpc-1 --target-type ip \
		--health-check-path /health --health-check-interval-seconds 10 --health-check-timeout-seconds 3 --matcher HttpCode=200-299)
	expect "$out" ".TargetGroups[0].TargetGroupArn | test(\"^$(arn "targetgroup/${P}-api/[0-9a-f]{16}")\$\")" "create-target-group ARN"
	expect "$out" '.TargetGroups[0] | .HealthCheckPath == "/health" and .HealthCheckIntervalSeconds == 10 and .HealthCheckTimeoutSeconds == 3 and .Matcher.HttpCode == "200-299" and .HealthyThresholdCount == 5 and .UnhealthyThresholdCount == 2 and .HealthCheckPort == "traffic-port" and .TargetType == "ip"' \
		"create-target-group health check"
	tg=$(jq -r '.TargetGroups[0].TargetGroupArn' <<<"$out")
	tg2=$(elbv2 create-target-group --name "${P}-static" --protocol HTTP --port 9000 --vpc-id vpc-1 | jq -r '.TargetGroups[0].TargetGroupArn')

	out=$(elbv2 create-listener --load-balancer-arn "$lb" --protocol HTTP --port "$PORT" \
		--default-actions Type=forward,TargetGroupArn="$tg")
	expect "$out" ".Listeners[0].ListenerArn | test(\"^$(arn "listener/app/$name/[0-9a-f]{16}/[0-9a-f]{16}")\$\")" "create-listener ARN"
	expect "$out" ".Listeners[0] | .Port == $PORT and .Protocol == \"HTTP\" and .DefaultActions[0].Type == \"forward\" and .DefaultActions[0].TargetGroupArn == \"$tg\" and .DefaultActions[0].ForwardConfig.TargetGroups[0].Weight == 1" \
		"create-listener shape"
	l=$(jq -r '.Listeners[0].ListenerArn' <<<"$out")
	expect_error DuplicateListener "create-listener on a used port" create-listener --load-balancer-arn "$lb" --protocol HTTP --port "$PORT" \
		--default-actions 'Type=fixed-response,FixedResponseConfig={StatusCode=404}'
	out=$(elbv2 describe-listeners --load-balancer-arn "$lb")
	expect "$out" ".Listeners | length == 1 and .[0].ListenerArn == \"$l\"" "describe-listeners"
	out=$(elbv2 describe-target-groups --load-balancer-arn "$lb")
	expect "$out" ".TargetGroups | length == 1 and .[0].LoadBalancerArns == [\"$lb\"]" "describe-target-groups --load-balancer-arn"
	expect_error ResourceInUse "delete-target-group in use" delete-target-group --target-group-arn "$tg"

	out=$(elbv2 create-rule --listener-arn "$l" --priority 10 --conditions Field=path-pattern,Values=/static/* \
		--actions Type=forward,TargetGroupArn="$tg2")
	expect "$out" '.Rules[0] | .Priority == "10" and .IsDefault == false and .Conditions[0].Field == "path-pattern" and .Conditions[0].PathPatternConfig.Values == ["/static/*"]' \
		"create-rule, shorthand"
	r1=$(jq -r '.Rules[0].RuleArn' <<<"$out")
	expect "$out" ".Rules[0].RuleArn | test(\"^$(arn "listener-rule/app/$name/[0-9a-f]{16}/[0-9a-f]{16}/[0-9a-f]{16}")\$\")" "create-rule ARN"
	cat >"$WORK/conds.json" <<-EOF
		[{"Field":"http-header","HttpHeaderConfig":{"HttpHeaderName":"X-Env","Values":["beta"]}},
		 {"Field":"query-string","QueryStringConfig":{"Values":[{"Key":"v","Value":"2"}]}},
		 {"Field":"source-ip","SourceIpConfig":{"Values":["10.0.0.0/8"]}}]
	EOF
	cat >"$WORK/actions.json" <<-EOF
		[{"Type":"forward","ForwardConfig":{"TargetGroups":[{"TargetGroupArn":"$tg","Weight":80},{"TargetGroupArn":"$tg2","Weight":20}],
		  "TargetGroupStickinessConfig":{"Enabled":true,"DurationSeconds":60}}}]
	EOF
	out=$(elbv2 create-rule --listener-arn "$l" --priority 5 --conditions "file://$WORK/conds.json" --actions "file://$WORK/actions.json")
	expect "$out" '.Rules[0].Actions[0].ForwardConfig.TargetGroups | map(.Weight) == [80,20]' "create-rule, JSON, weighted forward"
	expect "$out" '.Rules[0].Conditions | map(.Field) == ["http-header","query-string","source-ip"]' "create-rule, JSON conditions"
	r2=$(jq -r '.Rules[0].RuleArn' <<<"$out")
	expect_error PriorityInUse "create-rule on a used priority" create-rule --listener-arn "$l" --priority 5 \
		--conditions Field=host-header,Values=a.example.com --actions Type=forward,TargetGroupArn="$tg2"
	expect_error ValidationError "create-rule with too many condition values" create-rule --listener-arn "$l" --priority 6 \
		--conditions '[{"Field":"path-pattern","PathPatternConfig":{"Values":["/1","/2","/3","/4","/5","/6"]}}]' --actions Type=forward,TargetGroupArn="$tg2"

	out=$(elbv2 describe-rules --listener-arn "$l")
	expect "$out" '.Rules | map(.Priority) == ["5","10","default"] and .[2].IsDefault' "describe-rules, by priority, default last"
	rdef=$(jq -r '.Rules[2].RuleArn' <<<"$out")
	out=$(elbv2 set-rule-priorities --rule-priorities RuleArn="$r1",Priority=5 RuleArn="$r2",Priority=10)
	expect "$out" '.Rules | map(.Priority) == ["5","10"]' "set-rule-priorities swaps"
	out=$(elbv2 modify-rule --rule-arn "$r1" --conditions Field=host-header,Values=static.example.com \
		--actions 'Type=redirect,RedirectConfig={Protocol=HTTPS,Port=443,StatusCode=HTTP_301}')
	expect "$out" '.Rules[0].Actions[0].RedirectConfig | .Host == "#{host}" and .Path == "/#{path}" and .Query == "#{query}" and .StatusCode == "HTTP_301"' \
		"modify-rule, redirect with defaults"
	expect_error OperationNotPermitted "delete-rule of the default rule" delete-rule --rule-arn "$rdef"
	elbv2 delete-rule --rule-arn "$r2" >/dev/null
	expect_error RuleNotFound "describe-rules of a deleted rule" describe-rules --rule-arns "$r2"
	ok "delete-rule"

	out=$(elbv2 modify-listener --listener-arn "$l" --default-actions 'Type=fixed-response,FixedResponseConfig={StatusCode=503,ContentType=text/plain,MessageBody=down}')
	expect "$out" '.Listeners[0].DefaultActions[0].FixedResponseConfig | .StatusCode == "503" and .MessageBody == "down"' "modify-listener default actions"

	elbv2 delete-load-balancer --load-balancer-arn "$lb" >/dev/null
	elbv2 delete-target-group --target-group-arn "$tg" >/dev/null
	elbv2 delete-target-group --target-group-arn "$tg2" >/dev/null
	ok "cleanup"
}

# ---------------------------------------------------------------- target groups, targets, health
lane_targets() {
	local lb tg itg out
	lb=$(elbv2 create-load-balancer --name "${P}-tg" | jq -r '.LoadBalancers[0].LoadBalancerArn')
	tg=$(elbv2 create-target-group --name "${P}-ip" --protocol HTTP --port 8000 --vpc-id vpc-1 --target-type ip | jq -r '.TargetGroups[0].TargetGroupArn')
	itg=$(elbv2 create-target-group --name "${P}-inst" --protocol HTTP --port 9000 --vpc-id vpc-1 | jq -r '.TargetGroups[0].TargetGroupArn')

	out=$(elbv2 describe-target-group-attributes --target-group-arn "$tg")
	expect "$out" '[.Attributes[] | {(.Key): .Value}] | add | ."deregistration_delay.timeout_seconds" == "300" and ."stickiness.type" == "lb_cookie" and ."load_balancing.algorithm.type" == "round_robin" and ."slow_start.duration_seconds" == "0"' \
		"describe-target-group-attributes defaults"
	out=$(elbv2 modify-target-group-attributes --target-group-arn "$tg" --attributes \
		Key=deregistration_delay.timeout_seconds,Value=30 Key=stickiness.enabled,Value=true Key=stickiness.lb_cookie.duration_seconds,Value=600)
	expect "$out" '[.Attributes[] | {(.Key): .Value}] | add | ."deregistration_delay.timeout_seconds" == "30" and ."stickiness.enabled" == "true"' \
		"modify-target-group-attributes"
	expect_error ValidationError "slow start of 10 s" modify-target-group-attributes --target-group-arn "$tg" --attributes Key=slow_start.duration_seconds,Value=10
	out=$(elbv2 modify-target-group --target-group-arn "$tg" --health-check-path /ready --healthy-threshold-count 2)
	expect "$out" '.TargetGroups[0] | .HealthCheckPath == "/ready" and .HealthyThresholdCount == 2' "modify-target-group"
	expect_error ValidationError "health check timeout not below the interval" modify-target-group --target-group-arn "$tg" --health-check-timeout-seconds 31

	elbv2 register-targets --target-group-arn "$tg" --targets Id=127.0.0.1,Port=1 Id=127.0.0.2 >/dev/null
	ok "register-targets"
	out=$(elbv2 describe-target-health --target-group-arn "$tg")
	expect "$out" '.TargetHealthDescriptions | map("\(.Target.Id):\(.Target.Port) \(.TargetHealth.State) \(.TargetHealth.Reason)") == ["127.0.0.1:1 unused Target.NotInUse","127.0.0.2:8000 unused Target.NotInUse"]' \
		"describe-target-health, group not in use"
	elbv2 create-listener --load-balancer-arn "$lb" --protocol HTTP --port $((PORT + 10)) --default-actions Type=forward,TargetGroupArn="$tg" >/dev/null
	out=$(elbv2 describe-target-health --target-group-arn "$tg" --targets Id=127.0.0.1,Port=1)
	expect "$out" '.TargetHealthDescriptions | length == 1 and (.[0].TargetHealth.State | IN("initial","unhealthy")) and .[0].HealthCheckPort == "1"' \
		"describe-target-health, in use (nothing listens on the target)"
	out=$(elbv2 describe-target-health --target-group-arn "$tg" --targets Id=10.9.9.9)
	expect "$out" '.TargetHealthDescriptions[0].TargetHealth | .State == "unused" and .Reason == "Target.NotRegistered"' "describe-target-health of an unregistered target"
	elbv2 deregister-targets --target-group-arn "$tg" --targets Id=127.0.0.2 >/dev/null
	out=$(elbv2 describe-target-health --target-group-arn "$tg" --targets Id=127.0.0.2)
	expect "$out" '.TargetHealthDescriptions[0].TargetHealth | .State == "draining" and .Reason == "Target.DeregistrationInProgress"' "deregister-targets drains"
	expect_error InvalidTarget "register-targets of a bad IP address" register-targets --target-group-arn "$tg" --targets Id=10.0.0.300
	expect_error InvalidTarget "deregister-targets of an unregistered target" deregister-targets --target-group-arn "$tg" --targets Id=10.9.9.9

	# Instance targets are ECS container instances: reached at their host
	# (unused here, as no listener forwards to the group) or, when the server
	# cannot resolve the ID, stopped.
	elbv2 register-targets --target-group-arn "$itg" --targets Id=i-0123456789abcdef0 >/dev/null
	out=$(elbv2 describe-target-health --target-group-arn "$itg")
	expect "$out" '.TargetHealthDescriptions[0] | .Target.Port == 9000 and ("\(.TargetHealth.State)/\(.TargetHealth.Reason)" | IN("unused/Target.NotInUse", "unhealthy/Target.InvalidState"))' \
		"describe-target-health of an instance target"
	expect_error InvalidTarget "register-targets of an IP in an instance group" register-targets --target-group-arn "$itg" --targets Id=10.0.0.1
	elbv2 deregister-targets --target-group-arn "$itg" --targets Id=i-0123456789abcdef0 >/dev/null
	out=$(elbv2 describe-target-health --target-group-arn "$itg")
	expect "$out" '.TargetHealthDescriptions == []' "deregister-targets of an unused group is immediate"

	elbv2 delete-load-balancer --load-balancer-arn "$lb" >/dev/null
	elbv2 delete-target-group --target-group-arn "$tg" >/dev/null
	elbv2 delete-target-group --target-group-arn "$itg" >/dev/null
	ok "cleanup"
}

# ---------------------------------------------------------------- pagination
lane_paging() {
	local names=() out i
	for i in 1 2 3 4 5; do
		names+=("${P}-pg$i")
		elbv2 create-target-group --name "${P}-pg$i" --protocol HTTP --port 80 --vpc-id vpc-1 >/dev/null
	done
	out=$(elbv2 describe-target-groups --names "${names[@]}")
	expect "$out" "[.TargetGroups[].TargetGroupName] == [\"${P}-pg1\",\"${P}-pg2\",\"${P}-pg3\",\"${P}-pg4\",\"${P}-pg5\"]" \
		"describe-target-groups --names"
	# --page-size is ELBv2's own PageSize: the CLI then pages by hand (NextMarker, --marker).
	out=$(elbv2 describe-target-groups --names "${names[@]}" --page-size 2)
	expect "$out" "[.TargetGroups[].TargetGroupName] == [\"${P}-pg1\",\"${P}-pg2\"] and .NextMarker != null" "describe-target-groups --page-size"
	out=$(elbv2 describe-target-groups --names "${names[@]}" --page-size 2 --marker "$(jq -r .NextMarker <<<"$out")")
	expect "$out" "[.TargetGroups[].TargetGroupName] == [\"${P}-pg3\",\"${P}-pg4\"]" "describe-target-groups --marker"
	out=$(elbv2 describe-target-groups --names "${names[@]}" --page-size 2 --marker "$(jq -r .NextMarker <<<"$out")")
	expect "$out" "[.TargetGroups[].TargetGroupName] == [\"${P}-pg5\"] and .NextMarker == null" "describe-target-groups, last page"
	out=$(elbv2 describe-target-groups --names "${names[@]}" --max-items 2)
	expect "$out" '(.TargetGroups | length) == 2 and .NextToken != null' "describe-target-groups --max-items"
	out=$(elbv2 describe-target-groups --names "${names[@]}" --max-items 2 --starting-token "$(jq -r .NextToken <<<"$out")")
	expect "$out" "[.TargetGroups[].TargetGroupName] == [\"${P}-pg3\",\"${P}-pg4\"]" "describe-target-groups --starting-token"
	expect_error ValidationError "describe-target-groups --page-size 401" describe-target-groups --page-size 401
	expect_error TargetGroupNotFound "describe-target-groups of a missing one" describe-target-groups --names "${P}-nope"
	for i in 1 2 3 4 5; do
		elbv2 delete-target-group --target-group-arn "$(elbv2 describe-target-groups --names "${P}-pg$i" | jq -r '.TargetGroups[0].TargetGroupArn')" >/dev/null
	done
	ok "cleanup"
}

# ---------------------------------------------------------------- run the lanes
LANES=(lb rules targets paging)
declare -A PIDS
start=$SECONDS
for l in "${LANES[@]}"; do
	(LANE=$l "lane_$l") >"$WORK/$l.log" 2>&1 &
	PIDS[$l]=$!
done
failed=()
for l in "${LANES[@]}"; do
	if ! wait "${PIDS[$l]}"; then
		failed+=("$l")
	fi
done
for l in "${LANES[@]}"; do
	cat "$WORK/$l.log"
done
checks=$(cat "$WORK"/*.log | grep -c '] ok ' || true)
if ((${#failed[@]} > 0)); then
	echo "FAILED lanes: ${failed[*]} ($checks checks passed, $((SECONDS - start))s)"
	exit 1
fi
echo "PASS: $checks checks in ${#LANES[@]} lanes, $((SECONDS - start))s"
