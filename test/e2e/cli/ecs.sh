#!/usr/bin/env bash
# End-to-end test of Tide's ECS API with the stock aws CLI v2.
#
# It drives every ECS operation that Tide implements through /usr/bin/aws
# against a running `tide server` and checks the responses with jq
# (delete-task-definitions only where the CLI has it: Debian 12's 2.9 does
# not, and boto3/ecs_test.py covers it). It needs AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION and AWS_ENDPOINT_URL (the lines
# `tide server` prints; CLI 2.9 ignores AWS_ENDPOINT_URL, so every call passes
# --endpoint-url), and creates every resource under a fresh name prefix, so it
# can run against a server that has state.
#
# Each aws invocation costs about half a second of CPU just to start, so the
# ~120 calls run in independent lanes (one cluster each) in parallel. Each
# lane logs its checks; the script prints every lane's log and exits non-zero
# if a lane failed or a check found Tide differing from AWS.
set -euo pipefail

: "${AWS_ENDPOINT_URL:?set AWS_ENDPOINT_URL to the tide server URL}"
: "${AWS_ACCESS_KEY_ID:?}" "${AWS_SECRET_ACCESS_KEY:?}" "${AWS_DEFAULT_REGION:?}"
export AWS_PAGER=""
AWS=${AWS_CLI:-/usr/bin/aws}
REGION=$AWS_DEFAULT_REGION
# A prefix that is new on every run: resources never collide with old ones.
P="e2e$(date +%s)$$"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

ecs() { "$AWS" ecs "$@" --endpoint-url "$AWS_ENDPOINT_URL" --output json; }
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

# expect_error CODE DESCRIPTION ARGS...: `aws ecs ARGS` must fail and name
# the error code CODE on stderr.
expect_error() {
	local code=$1 desc=$2 err
	shift 2
	if err=$(ecs "$@" 2>&1 >/dev/null); then
		fail "$desc: the call succeeded; wanted $code"
	fi
	if ! grep -q "($code)" <<<"$err"; then
		fail "$desc: wanted $code, got: $err"
	fi
	ok "$desc: $code"
}

# Checks that Tide is known to fail (it differs from AWS) use the _aws
# variants: a failure is recorded as a product bug and the lane goes on, so
# that one run reports every difference. The script still fails at the end.
BUGS=$WORK/bugs
bug() {
	log "BUG  $*"
	echo "[$LANE] $*" >>"$BUGS"
}
expect_aws() {
	(expect "$@") || bug "$3 (differs from AWS)"
}
expect_error_aws() {
	(expect_error "$@") || bug "$2 (differs from AWS)"
}

arn() { echo "arn:aws:ecs:$REGION:[0-9]{12}:$1"; }

# Container definitions used below.
WEB='[{"name":"web","image":"nginx:1.27","memory":128,"portMappings":[{"containerPort":80}]}]'
APP='[{"name":"app","image":"busybox:1.36","cpu":128,"memory":64,"command":["sleep","3600"]}]'

# ---------------------------------------------------------------- clusters, tags, auth
lane_clusters() {
	local c=${P}-clu out carn
	out=$(ecs create-cluster --cluster-name "$c" --tags key=team,value=blue \
		--settings name=containerInsights,value=enabled)
	expect "$out" ".cluster.clusterName == \"$c\" and .cluster.status == \"ACTIVE\"" "create-cluster"
	expect "$out" ".cluster.clusterArn | test(\"^$(arn "cluster/$c")\$\")" "create-cluster ARN"
	expect "$out" '.cluster.tags == [{"key":"team","value":"blue"}]' "create-cluster tags"
	expect "$out" '.cluster.settings == [{"name":"containerInsights","value":"enabled"}]' "create-cluster settings"
	expect "$out" '.cluster.registeredContainerInstancesCount == 0 and .cluster.activeServicesCount == 0' "create-cluster counts"
	carn=$(jq -r .cluster.clusterArn <<<"$out")

	out=$(ecs create-cluster --cluster-name "$c")
	expect "$out" ".cluster.clusterArn == \"$carn\" and .cluster.status == \"ACTIVE\"" "create-cluster is idempotent"

	out=$(ecs describe-clusters --clusters "$c" "${P}-missing" --include TAGS STATISTICS)
	expect "$out" ".clusters | length == 1" "describe-clusters finds one"
	expect "$out" '.clusters[0].tags == [{"key":"team","value":"blue"}]' "describe-clusters --include TAGS"
	expect "$out" '[.clusters[0].statistics[] | {(.name): .value}] | add | .runningFargateTasksCount == "0" and .activeEC2ServiceCount == "0"' \
		"describe-clusters --include STATISTICS"
	expect "$out" ".failures == [{\"arn\": \"${carn%/*}/${P}-missing\", \"reason\": \"MISSING\"}]" "describe-clusters MISSING failure"

	# AWS: "If this field is omitted, this information isn't included."
	out=$(ecs describe-clusters --clusters "$carn")
	expect "$out" '.clusters[0].clusterName != null and (.clusters[0].statistics // [] | length) == 0' "describe-clusters by ARN, no statistics"
	expect_aws "$out" '(.clusters[0].tags // []) | length == 0' "describe-clusters without include has no tags"

	out=$(ecs list-clusters)
	expect "$out" "any(.clusterArns[]; . == \"$carn\")" "list-clusters"

	out=$(ecs update-cluster-settings --cluster "$c" --settings name=containerInsights,value=disabled)
	expect "$out" '.cluster.settings == [{"name":"containerInsights","value":"disabled"}]' "update-cluster-settings"
	out=$(ecs update-cluster --cluster "$c" --configuration '{"executeCommandConfiguration":{"logging":"DEFAULT"}}')
	expect "$out" '.cluster.configuration.executeCommandConfiguration.logging == "DEFAULT"' "update-cluster --configuration"
	out=$(ecs put-cluster-capacity-providers --cluster "$c" --capacity-providers FARGATE FARGATE_SPOT \
		--default-capacity-provider-strategy capacityProvider=FARGATE,weight=1)
	expect "$out" '.cluster.capacityProviders == ["FARGATE","FARGATE_SPOT"] and .cluster.defaultCapacityProviderStrategy[0].capacityProvider == "FARGATE"' \
		"put-cluster-capacity-providers"

	ecs tag-resource --resource-arn "$carn" --tags key=env,value=test key=owner,value=e2e >/dev/null
	ecs untag-resource --resource-arn "$carn" --tag-keys team owner >/dev/null
	out=$(ecs list-tags-for-resource --resource-arn "$carn")
	expect "$out" '.tags == [{"key":"env","value":"test"}]' "tag-resource, untag-resource, list-tags-for-resource"
	expect_error InvalidParameterException "create-cluster with a bad name" create-cluster --cluster-name "bad name!"

	out=$(ecs delete-cluster --cluster "$c")
	expect "$out" '.cluster.status == "INACTIVE"' "delete-cluster"
	out=$(ecs describe-clusters --clusters "$c")
	expect "$out" '.clusters[0].status == "INACTIVE"' "a deleted cluster stays describable as INACTIVE"
	out=$(ecs list-clusters)
	expect "$out" "all(.clusterArns[]; . != \"$carn\")" "list-clusters leaves out INACTIVE clusters"
	# AWS: "InvalidParameterException: The specified cluster is inactive. Specify an active cluster and try again."
	expect_error_aws InvalidParameterException "list-tags-for-resource on an INACTIVE cluster" list-tags-for-resource --resource-arn "$carn"
	expect_error_aws InvalidParameterException "tag-resource on an INACTIVE cluster" tag-resource --resource-arn "$carn" --tags key=a,value=b
	expect_error ClusterNotFoundException "delete-cluster of a deleted cluster" delete-cluster --cluster "$c"

	# Signature failures.
	local err
	if err=$(AWS_SECRET_ACCESS_KEY="wrong$AWS_SECRET_ACCESS_KEY" ecs list-clusters 2>&1 >/dev/null); then
		fail "a request signed with a wrong secret succeeded"
	fi
	grep -q "(InvalidSignatureException)" <<<"$err" || fail "wrong secret: $err"
	ok "wrong secret: InvalidSignatureException"
	if err=$(AWS_ACCESS_KEY_ID=AKIAE2EUNKNOWNKEY000 ecs list-clusters 2>&1 >/dev/null); then
		fail "a request with an unknown access key succeeded"
	fi
	grep -q "(UnrecognizedClientException)" <<<"$err" || fail "unknown key: $err"
	ok "unknown access key: UnrecognizedClientException"
}

# ---------------------------------------------------------------- task definitions, account settings
lane_taskdefs() {
	local f=${P}-web g=${P}-fargate out
	out=$(ecs register-task-definition --family "$f" --container-definitions "$WEB" --tags key=k,value=v)
	expect "$out" ".taskDefinition.revision == 1 and .taskDefinition.status == \"ACTIVE\" and .taskDefinition.family == \"$f\"" "register-task-definition"
	expect "$out" ".taskDefinition.taskDefinitionArn | test(\"^$(arn "task-definition/$f:1")\$\")" "register-task-definition ARN"
	expect "$out" '.taskDefinition.containerDefinitions[0] | .essential == true and .cpu == 0 and .portMappings[0].protocol == "tcp"' \
		"register-task-definition fills in container defaults"
	expect "$out" '.taskDefinition.compatibilities | index("EC2") != null' "register-task-definition compatibilities"
	expect "$out" '.tags == [{"key":"k","value":"v"}]' "register-task-definition tags"

	out=$(ecs register-task-definition --family "$f" --container-definitions "$WEB" --cpu "1 vCPU" --memory "2 GB")
	expect "$out" '.taskDefinition.revision == 2 and .taskDefinition.cpu == "1024" and .taskDefinition.memory == "2048"' \
		"register-task-definition normalizes 1 vCPU / 2 GB"

	out=$(ecs describe-task-definition --task-definition "$f")
	expect "$out" '.taskDefinition.revision == 2' "describe-task-definition by family is the latest revision"
	out=$(ecs describe-task-definition --task-definition "$f:1" --include TAGS)
	expect "$out" '.taskDefinition.revision == 1 and .tags == [{"key":"k","value":"v"}]' "describe-task-definition --include TAGS"

	out=$(ecs list-task-definitions --family-prefix "$f" --sort DESC)
	expect "$out" "[.taskDefinitionArns[] | sub(\".*/\"; \"\")] == [\"$f:2\", \"$f:1\"]" "list-task-definitions --sort DESC"

	out=$(ecs deregister-task-definition --task-definition "$f:1")
	expect "$out" '.taskDefinition.status == "INACTIVE" and .taskDefinition.deregisteredAt != null' "deregister-task-definition"
	out=$(ecs list-task-definitions --family-prefix "$f" --status INACTIVE)
	expect "$out" "[.taskDefinitionArns[] | sub(\".*/\"; \"\")] == [\"$f:1\"]" "list-task-definitions --status INACTIVE"
	out=$(ecs register-task-definition --family "$f" --container-definitions "$WEB")
	expect "$out" '.taskDefinition.revision == 3' "revisions keep incrementing"

	# delete-task-definitions arrived in aws CLI 2.11; older CLIs (Debian 12
	# ships 2.9) do not know it, and the boto3 suite covers it instead.
	if out=$(ecs delete-task-definitions --task-definitions "$f:1" "$f:3" 2>"$WORK/del.err"); then
		expect "$out" '.taskDefinitions | length == 1 and .[0].status == "DELETE_IN_PROGRESS" and .[0].revision == 1' "delete-task-definitions"
		expect "$out" ".failures | length == 1 and (.[0].arn | endswith(\"$f:3\"))" "delete-task-definitions refuses an ACTIVE revision"
		expect_error ClientException "describe-task-definition of a deleted revision" describe-task-definition --task-definition "$f:1"
	elif grep -q "Invalid choice" "$WORK/del.err"; then
		log "skip delete-task-definitions: this aws CLI does not have it"
	else
		cat "$WORK/del.err"
		fail "delete-task-definitions"
	fi
	expect_error ClientException "describe-task-definition of an unknown family" describe-task-definition --task-definition "${P}-nope"
	expect_error ClientException "deregister-task-definition without a revision" deregister-task-definition --task-definition "$f"

	out=$(ecs register-task-definition --family "$g" --requires-compatibilities FARGATE --network-mode awsvpc \
		--cpu 256 --memory 512 --container-definitions "$WEB")
	expect "$out" '.taskDefinition | .networkMode == "awsvpc" and .requiresCompatibilities == ["FARGATE"] and (.compatibilities | index("FARGATE") != null)' \
		"register-task-definition FARGATE awsvpc"
	expect "$out" '.taskDefinition.containerDefinitions[0].portMappings[0].hostPort == 80' "awsvpc sets hostPort to the container port"
	expect_error ClientException "FARGATE without task cpu" register-task-definition --family "$g" \
		--requires-compatibilities FARGATE --network-mode awsvpc --memory 512 --container-definitions "$WEB"
	ecs deregister-task-definition --task-definition "$g:1" >/dev/null
	out=$(ecs list-task-definition-families --family-prefix "$P" --status INACTIVE)
	expect "$out" ".families == [\"$g\"]" "list-task-definition-families --status INACTIVE"
	out=$(ecs list-task-definition-families --family-prefix "$P")
	expect "$out" ".families | index(\"$f\") != null" "list-task-definition-families"
	# AWS: "By default, both ACTIVE and INACTIVE task definition families are listed."
	expect_aws "$out" ".families | index(\"$g\") != null" "list-task-definition-families lists INACTIVE families by default"

	# Account settings (account-wide: set, check and put back).
	out=$(ecs put-account-setting --name containerInstanceLongArnFormat --value disabled)
	expect "$out" '.setting | .name == "containerInstanceLongArnFormat" and .value == "disabled" and (.principalArn | startswith("arn:aws:iam::"))' \
		"put-account-setting"
	out=$(ecs put-account-setting-default --name fargateTaskRetirementWaitPeriod --value 14)
	expect "$out" '.setting.name == "fargateTaskRetirementWaitPeriod" and .setting.value == "14"' "put-account-setting-default"
	out=$(ecs list-account-settings --effective-settings)
	expect "$out" '.settings | any(.name == "fargateTaskRetirementWaitPeriod" and .value == "14")' "an account default is effective"
	expect "$out" '.settings | any(.name == "containerInstanceLongArnFormat" and .value == "disabled")' "list-account-settings --effective-settings"
	expect "$out" '.settings | any(.name == "serviceLongArnFormat" and .value == "enabled")' "list-account-settings AWS defaults"
	out=$(ecs delete-account-setting --name containerInstanceLongArnFormat)
	expect "$out" '.setting.name == "containerInstanceLongArnFormat"' "delete-account-setting"
	ecs put-account-setting-default --name fargateTaskRetirementWaitPeriod --value 7 >/dev/null
	out=$(ecs list-account-settings --effective-settings --name containerInstanceLongArnFormat)
	expect "$out" '.settings[0].value == "enabled"' "a deleted setting falls back to the default"
	expect_error InvalidParameterException "put-account-setting of an unknown name" put-account-setting --name noSuchSetting --value enabled
}

# ---------------------------------------------------------------- services and deployments
lane_services() {
	local c=${P}-svc f=${P}-svcdef out s1arn td1 td2
	ecs create-cluster --cluster-name "$c" >/dev/null
	td1=$(ecs register-task-definition --family "$f" --container-definitions "$WEB" | jq -r .taskDefinition.taskDefinitionArn)
	td2=$(ecs register-task-definition --family "$f" --container-definitions "$WEB" --memory 256 | jq -r .taskDefinition.taskDefinitionArn)

	out=$(ecs create-service --cluster "$c" --service-name s1 --task-definition "$f:1" --desired-count 1 --tags key=a,value=b)
	expect "$out" '.service | .serviceName == "s1" and .status == "ACTIVE" and .desiredCount == 1 and .launchType == "EC2" and .schedulingStrategy == "REPLICA"' \
		"create-service"
	expect "$out" ".service.serviceArn | test(\"^$(arn "service/$c/s1")\$\")" "create-service ARN"
	expect "$out" ".service.taskDefinition == \"$td1\"" "create-service taskDefinition"
	expect "$out" ".service.deployments | length == 1 and .[0].status == \"PRIMARY\" and .[0].taskDefinition == \"$td1\" and .[0].desiredCount == 1" \
		"create-service makes a PRIMARY deployment"
	expect "$out" '.service.deploymentConfiguration | .maximumPercent == 200 and .minimumHealthyPercent == 100' "create-service deployment defaults"
	s1arn=$(jq -r .service.serviceArn <<<"$out")
	expect_error InvalidParameterException "create-service of an existing name" create-service --cluster "$c" --service-name s1 --task-definition "$f:1"
	expect_error InvalidParameterException "create-service with an unknown task definition" create-service --cluster "$c" --service-name s2 --task-definition "${P}-nope:1"

	out=$(ecs describe-services --cluster "$c" --services s1 nope --include TAGS)
	expect "$out" ".services | length == 1 and .[0].serviceArn == \"$s1arn\" and .[0].tags == [{\"key\":\"a\",\"value\":\"b\"}]" "describe-services --include TAGS"
	expect "$out" ".failures == [{\"arn\": \"${s1arn%/*}/nope\", \"reason\": \"MISSING\"}]" "describe-services MISSING failure"

	out=$(ecs update-service --cluster "$c" --service s1 --task-definition "$f:2")
	expect "$out" ".service.taskDefinition == \"$td2\"" "update-service --task-definition"
	expect "$out" ".service.deployments | length == 2 and .[0].status == \"PRIMARY\" and .[0].taskDefinition == \"$td2\" and .[1].status == \"ACTIVE\" and .[1].taskDefinition == \"$td1\"" \
		"a new task definition makes a new PRIMARY deployment and the old one ACTIVE"
	out=$(ecs update-service --cluster "$c" --service "$s1arn" --desired-count 3)
	# (the old deployment may already be gone: the scheduler stops its tasks,
	# which no agent runs here, and drops it)
	expect "$out" '.service.desiredCount == 3 and (.service.deployments | .[0].desiredCount == 3 and .[0].status == "PRIMARY")' "update-service --desired-count by ARN"
	out=$(ecs update-service --cluster "$c" --service s1 --force-new-deployment)
	expect "$out" ".service.deployments | length >= 2 and ([.[].status] | .[0] == \"PRIMARY\" and (.[1:] | all(. == \"ACTIVE\"))) and .[0].taskDefinition == \"$td2\" and .[1].taskDefinition == \"$td2\"" \
		"update-service --force-new-deployment starts another deployment"

	out=$(ecs list-services --cluster "$c")
	expect "$out" ".serviceArns == [\"$s1arn\"]" "list-services"
	out=$(ecs describe-clusters --clusters "$c")
	expect "$out" '.clusters[0].activeServicesCount == 1' "describe-clusters counts the service"
	expect_error InvalidParameterException "delete-service of a scaled service without --force" delete-service --cluster "$c" --service s1
	expect_error ClusterContainsServicesException "delete-cluster with a service" delete-cluster --cluster "$c"

	out=$(ecs delete-service --cluster "$c" --service s1 --force)
	expect "$out" '.service.status == "DRAINING" and .service.desiredCount == 0' "delete-service --force drains"
	expect_error ServiceNotActiveException "update-service of a draining service" update-service --cluster "$c" --service s1 --desired-count 1
	ecs wait services-inactive --cluster "$c" --services s1
	ok "wait services-inactive"
	out=$(ecs describe-services --cluster "$c" --services s1)
	expect "$out" '.services[0].status == "INACTIVE"' "the deleted service is INACTIVE"
	out=$(ecs list-services --cluster "$c")
	expect "$out" '.serviceArns == []' "list-services leaves out INACTIVE services"

	expect_error ServiceNotFoundException "update-service of an unknown service" update-service --cluster "$c" --service nope --desired-count 1
	expect_error ClusterNotFoundException "describe-services in an unknown cluster" describe-services --cluster "${P}-nope" --services s1

	out=$(ecs delete-cluster --cluster "$c")
	expect "$out" '.cluster.status == "INACTIVE"' "delete-cluster once its service is INACTIVE"
}

# ---------------------------------------------------------------- pagination
lane_paging() {
	local c=${P}-page f=${P}-pagedef out all t1 t2 pids=() i
	ecs create-cluster --cluster-name "$c" >/dev/null
	ecs register-task-definition --family "$f" --requires-compatibilities FARGATE --network-mode awsvpc \
		--cpu 256 --memory 512 --container-definitions "$WEB" >/dev/null
	# 11 services: more than one default page (10) of ListServices.
	for i in $(seq -w 1 11); do
		ecs create-service --cluster "$c" --service-name "s$i" --task-definition "$f" --desired-count 0 \
			--network-configuration 'awsvpcConfiguration={subnets=[subnet-e2e],assignPublicIp=ENABLED}' >"$WORK/svc$i.json" &
		pids+=($!)
		if ((${#pids[@]} == 4)); then
			for p in "${pids[@]}"; do wait "$p" || fail "create-service failed"; done
			pids=()
		fi
	done
	for p in "${pids[@]}"; do wait "$p" || fail "create-service failed"; done
	expect "$(cat "$WORK/svc01.json")" '.service | .launchType == "FARGATE" and .platformVersion == "LATEST" and .networkConfiguration.awsvpcConfiguration.subnets == ["subnet-e2e"]' \
		"create-service FARGATE with awsvpc"
	ok "create-service x11"

	all=$(ecs list-services --cluster "$c" --page-size 5)
	expect "$all" '.serviceArns | length == 11 and (unique | length) == 11' "list-services --page-size 5 follows nextToken over 3 pages"
	out=$(ecs list-services --cluster "$c" --no-paginate)
	expect "$out" '.serviceArns | length == 10' "list-services returns 10 a page by default"
	expect "$out" '.nextToken | type == "string"' "list-services returns a nextToken"

	out=$(ecs list-services --cluster "$c" --max-items 5)
	expect "$out" '.serviceArns | length == 5' "list-services --max-items 5"
	t1=$(jq -r '.NextToken // empty' <<<"$out")
	[[ -n $t1 ]] || fail "list-services --max-items 5 has no NextToken"
	local p1=$out
	out=$(ecs list-services --cluster "$c" --max-items 5 --starting-token "$t1")
	expect "$out" '.serviceArns | length == 5' "list-services --starting-token (page 2)"
	t2=$(jq -r '.NextToken // empty' <<<"$out")
	[[ -n $t2 ]] || fail "page 2 has no NextToken"
	local p2=$out
	out=$(ecs list-services --cluster "$c" --max-items 5 --starting-token "$t2")
	expect "$out" '(.serviceArns | length == 1) and .NextToken == null' "list-services last page"
	expect "$(jq -s '[.[].serviceArns[]]' <<<"$p1$p2$out")" "sort == ($(jq -c '.serviceArns | sort' <<<"$all"))" \
		"the pages together are every service, once"
	expect_error InvalidParameterException "list-services with a bad nextToken" list-services --cluster "$c" --starting-token "$(echo '{"nextToken":"bogus!"}' | base64 -w0)"
}

# ---------------------------------------------------------------- container instances and attributes
lane_instances() {
	local c=${P}-inst out ci
	ecs create-cluster --cluster-name "$c" >/dev/null
	out=$(ecs register-container-instance --cluster "$c" \
		--total-resources name=CPU,type=INTEGER,integerValue=2048 name=MEMORY,type=INTEGER,integerValue=4096 \
		--attributes name=stack,value=prod)
	expect "$out" '.containerInstance | .status == "ACTIVE" and .agentConnected == false' "register-container-instance"
	expect "$out" ".containerInstance.containerInstanceArn | test(\"^$(arn "container-instance/$c/")[0-9a-f]+\$\")" "container instance ARN"
	expect "$out" '.containerInstance.registeredResources | map(select(.name == "CPU"))[0].integerValue == 2048' "registered resources"
	expect "$out" '.containerInstance.attributes | any(.name == "stack" and .value == "prod") and any(.name == "ecs.os-type")' "instance attributes"
	ci=$(jq -r .containerInstance.containerInstanceArn <<<"$out")

	out=$(ecs describe-container-instances --cluster "$c" --container-instances "$ci" 0123456789abcdef)
	expect "$out" ".containerInstances | length == 1 and .[0].containerInstanceArn == \"$ci\"" "describe-container-instances"
	expect "$out" '.failures | length == 1 and .[0].reason == "MISSING"' "describe-container-instances MISSING failure"
	out=$(ecs list-container-instances --cluster "$c" --filter "attribute:stack == prod")
	expect "$out" ".containerInstanceArns == [\"$ci\"]" "list-container-instances --filter"

	out=$(ecs put-attributes --cluster "$c" --attributes name=zone,value=z1,targetId="$ci")
	expect "$out" ".attributes == [{\"name\":\"zone\",\"value\":\"z1\",\"targetType\":\"container-instance\",\"targetId\":\"$ci\"}]" "put-attributes"
	out=$(ecs list-attributes --cluster "$c" --target-type container-instance --attribute-name zone)
	expect "$out" ".attributes == [{\"name\":\"zone\",\"value\":\"z1\",\"targetType\":\"container-instance\",\"targetId\":\"$ci\"}]" "list-attributes"
	ecs delete-attributes --cluster "$c" --attributes name=zone,targetId="$ci" >/dev/null
	out=$(ecs list-attributes --cluster "$c" --target-type container-instance --attribute-name zone)
	expect "$out" '.attributes == []' "delete-attributes"
	expect_error TargetNotFoundException "put-attributes on an unknown instance" put-attributes --cluster "$c" --attributes name=zone,value=z1,targetId=0123456789abcdef

	out=$(ecs update-container-instances-state --cluster "$c" --container-instances "$ci" --status DRAINING)
	expect "$out" '.containerInstances[0].status == "DRAINING" and .failures == []' "update-container-instances-state DRAINING"
	out=$(ecs list-container-instances --cluster "$c" --status DRAINING)
	expect "$out" ".containerInstanceArns == [\"$ci\"]" "list-container-instances --status DRAINING"
	out=$(ecs deregister-container-instance --cluster "$c" --container-instance "$ci")
	expect "$out" '.containerInstance.status == "INACTIVE"' "deregister-container-instance"
	out=$(ecs list-container-instances --cluster "$c")
	expect "$out" '.containerInstanceArns == []' "list-container-instances after deregistering"
}

# ---------------------------------------------------------------- tasks
lane_tasks() {
	local c=${P}-task t=${P}-app tf=${P}-appf out ci t1 t2 tfa st
	ecs create-cluster --cluster-name "$c" >/dev/null
	ecs register-task-definition --family "$t" --container-definitions "$APP" >/dev/null
	ecs register-task-definition --family "$tf" --requires-compatibilities FARGATE --network-mode awsvpc \
		--cpu 256 --memory 512 --container-definitions "$APP" >/dev/null

	out=$(ecs run-task --cluster "$c" --task-definition "$t")
	expect "$out" '.tasks == [] and .failures[0].reason == "No Container Instances were found in your cluster."' \
		"run-task EC2 without container instances fails the task"
	ci=$(ecs register-container-instance --cluster "$c" \
		--total-resources name=CPU,type=INTEGER,integerValue=2048 name=MEMORY,type=INTEGER,integerValue=4096 |
		jq -r .containerInstance.containerInstanceArn)

	out=$(ecs run-task --cluster "$c" --task-definition "$t" --count 2 --started-by e2e-runner --launch-type EC2)
	expect "$out" '.failures == [] and (.tasks | length == 2)' "run-task --count 2"
	expect "$out" ".tasks | all(.lastStatus == \"PENDING\" and .desiredStatus == \"RUNNING\" and .launchType == \"EC2\" and .group == \"family:$t\" and .startedBy == \"e2e-runner\")" \
		"run-task makes PENDING tasks"
	expect "$out" ".tasks[0].taskArn | test(\"^$(arn "task/$c/")[0-9a-f]{32}\$\")" "task ARN"
	expect "$out" '.tasks[0].containers | length == 1 and .[0].name == "app" and .[0].lastStatus == "PENDING"' "run-task containers"
	t1=$(jq -r '.tasks[0].taskArn' <<<"$out")
	t2=$(jq -r '.tasks[1].taskArn' <<<"$out")

	expect_error InvalidParameterException "run-task awsvpc without a network configuration" run-task --cluster "$c" --task-definition "$tf"
	out=$(ecs run-task --cluster "$c" --task-definition "$tf" --launch-type FARGATE --tags key=k,value=v \
		--network-configuration 'awsvpcConfiguration={subnets=[subnet-e2e],securityGroups=[sg-e2e],assignPublicIp=ENABLED}')
	expect "$out" '.tasks | length == 1 and .[0].lastStatus == "PROVISIONING" and .[0].launchType == "FARGATE" and .[0].cpu == "256" and .[0].memory == "512"' \
		"run-task FARGATE makes a PROVISIONING task"
	tfa=$(jq -r '.tasks[0].taskArn' <<<"$out")

	out=$(ecs start-task --cluster "$c" --task-definition "$t" --container-instances "$ci" --started-by e2e-start)
	expect "$out" ".tasks | length == 1 and .[0].containerInstanceArn == \"$ci\" and .[0].lastStatus == \"PENDING\"" "start-task"
	st=$(jq -r '.tasks[0].taskArn' <<<"$out")

	out=$(ecs list-tasks --cluster "$c")
	expect "$out" '.taskArns | length == 4' "list-tasks"
	out=$(ecs list-tasks --cluster "$c" --family "$t")
	expect "$out" '.taskArns | length == 3' "list-tasks --family"
	out=$(ecs list-tasks --cluster "$c" --started-by e2e-runner)
	expect "$out" "(.taskArns | sort) == ([\"$t1\", \"$t2\"] | sort)" "list-tasks --started-by"
	out=$(ecs list-tasks --cluster "$c" --launch-type FARGATE)
	expect "$out" ".taskArns == [\"$tfa\"]" "list-tasks --launch-type"
	out=$(ecs list-tasks --cluster "$c" --container-instance "$ci")
	expect "$out" ".taskArns == [\"$st\"]" "list-tasks --container-instance"
	# AWS: "Although you can filter results based on a desired status of
	# PENDING, this doesn't return any results."
	out=$(ecs list-tasks --cluster "$c" --desired-status PENDING)
	expect_aws "$out" '.taskArns == []' "list-tasks --desired-status PENDING returns nothing"

	out=$(ecs describe-tasks --cluster "$c" --tasks "$tfa" "${t1##*/}" 0123456789abcdef0123456789abcdef --include TAGS)
	expect "$out" ".tasks | length == 2 and .[0].taskArn == \"$tfa\" and .[0].tags == [{\"key\":\"k\",\"value\":\"v\"}] and .[1].taskArn == \"$t1\"" \
		"describe-tasks by ARN and by ID, --include TAGS"
	expect "$out" '.failures | length == 1 and .[0].reason == "MISSING"' "describe-tasks MISSING failure"
	out=$(ecs describe-container-instances --cluster "$c" --container-instances "$ci")
	expect "$out" '.containerInstances[0] | .pendingTasksCount == 1 and (.remainingResources | map(select(.name == "CPU"))[0].integerValue == 1920)' \
		"the started task reserves the instance's CPU"
	out=$(ecs describe-clusters --clusters "$c" --include STATISTICS)
	expect "$out" '.clusters[0] | .pendingTasksCount == 4 and .registeredContainerInstancesCount == 1' "describe-clusters task counts"
	expect "$out" '[.clusters[0].statistics[] | {(.name): .value}] | add | .pendingFargateTasksCount == "1" and .pendingEC2TasksCount == "3"' \
		"describe-clusters statistics by launch type"

	ecs tag-resource --resource-arn "$t1" --tags key=role,value=worker >/dev/null
	out=$(ecs list-tags-for-resource --resource-arn "$t1")
	expect "$out" '.tags == [{"key":"role","value":"worker"}]' "tag-resource on a task"

	out=$(ecs stop-task --cluster "$c" --task "$t1" --reason "e2e stop")
	expect "$out" '.task | .desiredStatus == "STOPPED" and .stoppedReason == "e2e stop" and .stopCode == "UserInitiated"' "stop-task"
	ecs stop-task --cluster "$c" --task "${tfa##*/}" >/dev/null
	ecs wait tasks-stopped --cluster "$c" --tasks "$t1" "$tfa"
	ok "wait tasks-stopped"
	out=$(ecs list-tasks --cluster "$c" --desired-status STOPPED)
	expect "$out" "(.taskArns | sort) == ([\"$t1\", \"$tfa\"] | sort)" "list-tasks --desired-status STOPPED"
	out=$(ecs list-tasks --cluster "$c")
	expect "$out" "(.taskArns | sort) == ([\"$t2\", \"$st\"] | sort)" "list-tasks leaves out stopped tasks"
	expect_error InvalidParameterException "stop-task of an unknown task" stop-task --cluster "$c" --task 0123456789abcdef0123456789abcdef

	expect_error InvalidParameterException "deregister-container-instance with a task on it" deregister-container-instance \
		--cluster "$c" --container-instance "$ci"
	out=$(ecs deregister-container-instance --cluster "$c" --container-instance "$ci" --force)
	expect "$out" '.containerInstance.status == "INACTIVE"' "deregister-container-instance --force"
}

# ---------------------------------------------------------------- run the lanes
LANES=(tasks services clusters taskdefs paging instances)
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
if [[ -s $BUGS ]]; then
	echo "Tide differs from AWS in $(wc -l <"$BUGS") checks:"
	cat "$BUGS"
	failed+=("(product bugs)")
fi
if ((${#failed[@]} > 0)); then
	echo "FAILED lanes: ${failed[*]} ($checks checks passed, $((SECONDS - start))s)"
	exit 1
fi
echo "PASS: $checks checks in ${#LANES[@]} lanes, $((SECONDS - start))s"
