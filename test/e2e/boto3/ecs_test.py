#!/usr/bin/env python3
"""End-to-end test of Tide's ECS API with boto3.

A plain script (not pytest): it needs AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION and AWS_ENDPOINT_URL (what
`tide server` prints), prints one line per check and exits non-zero on the
first failure. Names carry a fresh prefix, so it can run against a server
that already has state.
"""

import os
import sys
import time
import uuid

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["AWS_ENDPOINT_URL"]
P = "py" + uuid.uuid4().hex[:10]
CHECKS = 0


def check(cond, what, detail=None):
    global CHECKS
    if not cond:
        print(f"FAIL {what}" + (f": {detail!r}" if detail is not None else ""))
        sys.exit(1)
    CHECKS += 1
    print(f"ok   {what}")


def expect_error(code, what, fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        check(got == code, f"{what}: {code}", e.response["Error"])
        return e
    check(False, f"{what}: the call succeeded; wanted {code}")


def main():
    start = time.monotonic()
    ecs = boto3.client(
        "ecs",
        endpoint_url=ENDPOINT,
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        config=Config(retries={"max_attempts": 1}),
    )
    cluster = P + "-cluster"
    family = P + "-web"

    out = ecs.create_cluster(clusterName=cluster, tags=[{"key": "team", "value": "py"}])
    check(out["cluster"]["status"] == "ACTIVE", "create_cluster")
    cluster_arn = out["cluster"]["clusterArn"]
    out = ecs.describe_clusters(clusters=[cluster], include=["TAGS"])
    check(out["clusters"][0]["tags"] == [{"key": "team", "value": "py"}], "describe_clusters include=TAGS")

    web = [{"name": "web", "image": "nginx:1.27", "memory": 128, "portMappings": [{"containerPort": 80}]}]
    td1 = ecs.register_task_definition(family=family, containerDefinitions=web)["taskDefinition"]
    td2 = ecs.register_task_definition(family=family, containerDefinitions=web, cpu="0.25 vCPU", memory="0.5 GB")["taskDefinition"]
    check(td1["revision"] == 1 and td2["revision"] == 2, "register_task_definition revisions")
    check(td2["cpu"] == "256" and td2["memory"] == "512", "register_task_definition normalizes vCPU/GB", td2)
    check(isinstance(td1["registeredAt"], type(td2["registeredAt"])) and td1["registeredAt"].year >= 2024,
          "registeredAt parses as a timestamp", td1["registeredAt"])

    out = ecs.create_service(cluster=cluster, serviceName="api", taskDefinition=family + ":1", desiredCount=1,
                             tags=[{"key": "svc", "value": "api"}])
    svc = out["service"]
    check(svc["status"] == "ACTIVE" and svc["desiredCount"] == 1, "create_service")
    check([d["status"] for d in svc["deployments"]] == ["PRIMARY"], "create_service deployments")
    out = ecs.describe_services(cluster=cluster, services=["api", "missing"], include=["TAGS"])
    check(out["services"][0]["tags"] == [{"key": "svc", "value": "api"}], "describe_services include=TAGS", out["services"])
    check(out["failures"] == [{"arn": svc["serviceArn"].rsplit("/", 1)[0] + "/missing", "reason": "MISSING"}],
          "describe_services MISSING failure", out["failures"])
    out = ecs.update_service(cluster=cluster, service="api", taskDefinition=td2["taskDefinitionArn"])
    deps = out["service"]["deployments"]
    check([(d["status"], d["taskDefinition"]) for d in deps] ==
          [("PRIMARY", td2["taskDefinitionArn"]), ("ACTIVE", td1["taskDefinitionArn"])],
          "update_service makes a new PRIMARY deployment", deps)

    # Modeled exceptions.
    try:
        ecs.describe_services(cluster=P + "-nope", services=["api"])
        check(False, "describe_services in an unknown cluster succeeded")
    except ecs.exceptions.ClusterNotFoundException:
        check(True, "describe_services raises ecs.exceptions.ClusterNotFoundException")
    expect_error("ServiceNotFoundException", "update_service of an unknown service", ecs.update_service,
                 cluster=cluster, service="nope", desiredCount=1)
    expect_error("ClientException", "describe_task_definition of an unknown family", ecs.describe_task_definition,
                 taskDefinition=P + "-nope")
    expect_error("InvalidParameterException", "delete_service of a scaled service", ecs.delete_service,
                 cluster=cluster, service="api")

    # Pagination: 11 more services, listed 5 a page with the paginator.
    for i in range(11):
        ecs.create_service(cluster=cluster, serviceName=f"page{i:02d}", taskDefinition=family, desiredCount=0)
    pages = list(ecs.get_paginator("list_services").paginate(cluster=cluster, PaginationConfig={"PageSize": 5}))
    arns = [a for p in pages for a in p["serviceArns"]]
    check([len(p["serviceArns"]) for p in pages] == [5, 5, 2], "list_services paginator pages", [len(p["serviceArns"]) for p in pages])
    check(len(arns) == 12 and len(set(arns)) == 12, "list_services paginator returns every service once", arns)
    check(all("nextToken" in p for p in pages[:-1]) and "nextToken" not in pages[-1], "nextToken on all pages but the last")
    limited = ecs.get_paginator("list_services").paginate(cluster=cluster, PaginationConfig={"MaxItems": 7, "PageSize": 3}).build_full_result()
    check(len(limited["serviceArns"]) == 7 and "NextToken" in limited, "paginator MaxItems", limited)
    rest = ecs.get_paginator("list_services").paginate(
        cluster=cluster, PaginationConfig={"StartingToken": limited["NextToken"], "PageSize": 3}).build_full_result()
    check(sorted(limited["serviceArns"] + rest["serviceArns"]) == sorted(arns), "paginator StartingToken resumes")
    tds = [a for p in ecs.get_paginator("list_task_definitions").paginate(familyPrefix=family, sort="DESC",
                                                                         PaginationConfig={"PageSize": 1})
           for a in p["taskDefinitionArns"]]
    check(tds == [td2["taskDefinitionArn"], td1["taskDefinitionArn"]], "list_task_definitions paginator, sort=DESC", tds)

    # Delete and wait for INACTIVE with the services_inactive waiter.
    out = ecs.delete_service(cluster=cluster, service="api", force=True)
    check(out["service"]["status"] == "DRAINING", "delete_service force=True drains")
    ecs.get_waiter("services_inactive").wait(cluster=cluster, services=["api"], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    out = ecs.describe_services(cluster=cluster, services=["api"])
    check(out["services"][0]["status"] == "INACTIVE", "services_inactive waiter returns once INACTIVE")

    # Tasks and the tasks_stopped waiter.
    fargate = ecs.register_task_definition(family=P + "-fargate", containerDefinitions=web, networkMode="awsvpc",
                                           requiresCompatibilities=["FARGATE"], cpu="256", memory="512")["taskDefinition"]
    out = ecs.run_task(cluster=cluster, taskDefinition=fargate["taskDefinitionArn"], launchType="FARGATE", count=2,
                       networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-py"], "assignPublicIp": "DISABLED"}})
    tasks = [t["taskArn"] for t in out["tasks"]]
    check(len(tasks) == 2 and all(t["lastStatus"] == "PROVISIONING" for t in out["tasks"]), "run_task FARGATE", out)
    check(out["tasks"][0]["createdAt"].year >= 2024, "task createdAt parses as a timestamp")
    for t in tasks:
        ecs.stop_task(cluster=cluster, task=t, reason="py")
    ecs.get_waiter("tasks_stopped").wait(cluster=cluster, tasks=tasks, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    out = ecs.describe_tasks(cluster=cluster, tasks=tasks)
    check(all(t["lastStatus"] == "STOPPED" and t["stoppedReason"] == "py" for t in out["tasks"]), "tasks_stopped waiter")

    # DeleteTaskDefinitions (newer botocore only; the Debian aws CLI lacks it).
    ecs.deregister_task_definition(taskDefinition=td1["taskDefinitionArn"])
    if hasattr(ecs, "delete_task_definitions"):
        out = ecs.delete_task_definitions(taskDefinitions=[td1["taskDefinitionArn"], td2["taskDefinitionArn"]])
        check([t["status"] for t in out["taskDefinitions"]] == ["DELETE_IN_PROGRESS"], "delete_task_definitions", out)
        check(len(out["failures"]) == 1 and out["failures"][0]["arn"] == td2["taskDefinitionArn"],
              "delete_task_definitions refuses an ACTIVE revision", out["failures"])
        expect_error("ClientException", "describe_task_definition of a deleted revision", ecs.describe_task_definition,
                     taskDefinition=td1["taskDefinitionArn"])
    else:
        print(f"skip delete_task_definitions: botocore {botocore.__version__} does not have it")

    # Tags through the tagging API.
    ecs.tag_resource(resourceArn=cluster_arn, tags=[{"key": "env", "value": "e2e"}])
    ecs.untag_resource(resourceArn=cluster_arn, tagKeys=["team"])
    check(ecs.list_tags_for_resource(resourceArn=cluster_arn)["tags"] == [{"key": "env", "value": "e2e"}], "tag_resource / untag_resource")

    print(f"PASS: {CHECKS} checks with boto3 {boto3.__version__} / botocore {botocore.__version__} in {time.monotonic() - start:.1f}s")


if __name__ == "__main__":
    main()
