package ecs_test

import (
	"testing"
)

var fuzzOps = []string{
	"CreateCluster", "DescribeClusters", "ListClusters", "DeleteCluster", "UpdateCluster",
	"RegisterTaskDefinition", "DescribeTaskDefinition", "DeregisterTaskDefinition", "ListTaskDefinitions", "DeleteTaskDefinitions",
	"CreateService", "UpdateService", "DescribeServices", "ListServices", "DeleteService",
	"RunTask", "StartTask", "StopTask", "DescribeTasks", "ListTasks",
	"RegisterContainerInstance", "DescribeContainerInstances", "ListContainerInstances", "PutAttributes", "ListAttributes",
	"TagResource", "UntagResource", "ListTagsForResource", "PutAccountSetting", "ListAccountSettings",
}

// FuzzOperations sends arbitrary bodies to every ECS operation of a real
// server: each answer is a 200 or a 4xx error, never a 500 or a hang.
func FuzzOperations(f *testing.F) {
	c := newRawClient(f)
	for _, s := range []struct{ op, body string }{
		{"CreateCluster", `{"clusterName":"c"}`},
		{"RegisterTaskDefinition", `{"family":"f","containerDefinitions":[{"name":"a","image":"i","memory":64,"portMappings":[{"containerPort":80}]}]}`},
		{"CreateService", `{"cluster":"c","serviceName":"s","taskDefinition":"f","desiredCount":1}`},
		{"RunTask", `{"cluster":"c","taskDefinition":"f","count":2}`},
		{"UpdateService", `{"cluster":"c","service":"s","forceNewDeployment":true}`},
		{"ListContainerInstances", `{"cluster":"c","filter":"attribute:a in [b, c]"}`},
		{"TagResource", `{"resourceArn":"arn:aws:ecs:us-east-1:000000000000:task-definition/f:1","tags":[{"key":"k"}]}`},
	} {
		for i, op := range fuzzOps {
			if op == s.op {
				f.Add(uint8(i), s.body)
			}
		}
	}
	f.Fuzz(func(t *testing.T, op uint8, body string) {
		name := fuzzOps[int(op)%len(fuzzOps)]
		r := c.call(t, name, body)
		if r.Status != 200 && (r.Status < 400 || r.Status >= 500) {
			t.Fatalf("%s %q = %d %s", name, body, r.Status, r.Body)
		}
	})
}
