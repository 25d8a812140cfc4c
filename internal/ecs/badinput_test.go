package ecs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"tide/internal/server"
)

// rawClient sends signed AWS JSON 1.1 requests with arbitrary bodies, to test
// what the SDKs would never send.
type rawClient struct {
	url   string
	creds aws.Credentials
}

func newRawClient(t testing.TB) *rawClient {
	t.Helper()
	srv, err := server.Start(context.Background(), server.Config{
		DataDir: t.TempDir(), Listen: "127.0.0.1:0", Region: "us-east-1", AccountID: "000000000000",
		Log: slog.New(slog.DiscardHandler), Out: io.Discard,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	c := srv.Credentials()
	return &rawClient{url: srv.URL(), creds: aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey}}
}

type apiResult struct {
	Status  int
	Type    string
	Message string
	Body    string
}

func (c *rawClient) call(t testing.TB, op, body string) apiResult {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.url+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113."+op)
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), c.creds, req, hex.EncodeToString(sum[:]), "ecs", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	json.Unmarshal(b, &e)
	if resp.Header.Get("x-amzn-RequestId") == "" {
		t.Errorf("%s: no x-amzn-RequestId", op)
	}
	return apiResult{Status: resp.StatusCode, Type: e.Type, Message: e.Message, Body: string(b)}
}

// TestBadInput sends bad input to every operation and checks AWS's error
// code and a 400: never a 500, a panic or a hang.
func TestBadInput(t *testing.T) {
	c := newRawClient(t)
	setup := []struct{ op, body string }{
		{"CreateCluster", `{"clusterName":"c"}`},
		{"RegisterTaskDefinition", `{"family":"f","containerDefinitions":[{"name":"a","image":"i","memory":64}]}`},
		{"CreateService", `{"cluster":"c","serviceName":"s","taskDefinition":"f","desiredCount":1}`},
	}
	for _, s := range setup {
		if r := c.call(t, s.op, s.body); r.Status != 200 {
			t.Fatalf("setup %s: %+v", s.op, r)
		}
	}
	cases := []struct {
		op, body, code string
	}{
		{"NoSuchOperation", `{}`, "UnknownOperationException"},
		{"CreateCluster", `{"clusterName":`, "SerializationException"},
		{"CreateCluster", `[1,2]`, "SerializationException"},
		{"CreateCluster", `{"clusterName":42}`, "SerializationException"},
		{"CreateCluster", `{"clusterName":"bad name!"}`, "InvalidParameterException"},
		{"CreateCluster", `{"clusterName":"x","tags":[{"key":"aws:no","value":"v"}]}`, "InvalidParameterException"},
		{"CreateCluster", `{"clusterName":"x","settings":[{"name":"nope","value":"enabled"}]}`, "InvalidParameterException"},
		{"CreateCluster", `{"clusterName":"x","capacityProviders":["MY_CP"]}`, "InvalidParameterException"},
		{"DescribeClusters", `{"clusters":"c"}`, "SerializationException"},
		{"DescribeClusters", `{"include":["BOGUS"]}`, "InvalidParameterException"},
		{"ListClusters", `{"maxResults":0}`, "InvalidParameterException"},
		{"ListClusters", `{"maxResults":"ten"}`, "SerializationException"},
		{"ListClusters", `{"nextToken":"%%%"}`, "InvalidParameterException"},
		{"DeleteCluster", `{}`, "InvalidParameterException"},
		{"DeleteCluster", `{"cluster":"missing"}`, "ClusterNotFoundException"},
		{"DeleteCluster", `{"cluster":"c"}`, "ClusterContainsServicesException"},
		{"UpdateClusterSettings", `{"cluster":"c","settings":[{"name":"containerInsights","value":"maybe"}]}`, "InvalidParameterException"},
		{"PutClusterCapacityProviders", `{"cluster":"c","capacityProviders":["X"],"defaultCapacityProviderStrategy":[]}`, "InvalidParameterException"},
		{"RegisterTaskDefinition", `{}`, "ClientException"},
		{"RegisterTaskDefinition", `{"family":"f"}`, "ClientException"},
		{"RegisterTaskDefinition", `{"family":"f","containerDefinitions":[{"name":"a"}]}`, "ClientException"},
		{"RegisterTaskDefinition", `{"family":"f","containerDefinitions":[{"name":"a","image":"i"}]}`, "ClientException"},
		{"RegisterTaskDefinition", `{"family":"f","containerDefinitions":[{"name":"a","image":"i","memory":"lots"}]}`, "SerializationException"},
		{"RegisterTaskDefinition", `{"family":"f","networkMode":"weird","containerDefinitions":[{"name":"a","image":"i","memory":64}]}`, "InvalidParameterException"},
		{"RegisterTaskDefinition", `{"family":"f","requiresCompatibilities":["FARGATE"],"networkMode":"awsvpc","cpu":"256","memory":"4096","containerDefinitions":[{"name":"a","image":"i"}]}`, "ClientException"},
		{"DescribeTaskDefinition", `{}`, "ClientException"},
		{"DescribeTaskDefinition", `{"taskDefinition":"nope"}`, "ClientException"},
		{"DescribeTaskDefinition", `{"taskDefinition":"f:x"}`, "ClientException"},
		{"DeregisterTaskDefinition", `{"taskDefinition":"f"}`, "ClientException"},
		{"ListTaskDefinitions", `{"status":"GONE"}`, "InvalidParameterException"},
		{"ListTaskDefinitions", `{"sort":"UP"}`, "InvalidParameterException"},
		{"ListTaskDefinitionFamilies", `{"status":"GONE"}`, "InvalidParameterException"},
		{"DeleteTaskDefinitions", `{"taskDefinitions":[]}`, "InvalidParameterException"},
		{"CreateService", `{"cluster":"c"}`, "InvalidParameterException"},
		{"CreateService", `{"cluster":"c","serviceName":"s","taskDefinition":"f"}`, "InvalidParameterException"},
		{"CreateService", `{"cluster":"nope","serviceName":"t","taskDefinition":"f"}`, "ClusterNotFoundException"},
		{"CreateService", `{"cluster":"c","serviceName":"t","taskDefinition":"nope"}`, "InvalidParameterException"},
		{"CreateService", `{"cluster":"c","serviceName":"t","taskDefinition":"f","desiredCount":-1}`, "InvalidParameterException"},
		{"CreateService", `{"cluster":"c","serviceName":"t","taskDefinition":"f","schedulingStrategy":"DAEMON","desiredCount":2}`, "InvalidParameterException"},
		{"CreateService", `{"cluster":"c","serviceName":"t","taskDefinition":"f","deploymentConfiguration":{"maximumPercent":50}}`, "InvalidParameterException"},
		{"CreateService", `{"cluster":"c","serviceName":"t","taskDefinition":"f","placementStrategy":[{"type":"binpack","field":"disk"}]}`, "InvalidParameterException"},
		{"CreateService", `{"cluster":"c","serviceName":"t","taskDefinition":"f","loadBalancers":[{"targetGroupArn":"arn:x","containerName":"a","containerPort":80}]}`, "InvalidParameterException"},
		{"UpdateService", `{"cluster":"c"}`, "InvalidParameterException"},
		{"UpdateService", `{"cluster":"c","service":"nope","desiredCount":1}`, "ServiceNotFoundException"},
		{"UpdateService", `{"cluster":"c","service":"s","desiredCount":-3}`, "InvalidParameterException"},
		{"UpdateService", `{"cluster":"c","service":"s","taskDefinition":"nope:1"}`, "InvalidParameterException"},
		{"DescribeServices", `{"cluster":"c","services":[]}`, "InvalidParameterException"},
		{"DescribeServices", `{"cluster":"c","services":["1","2","3","4","5","6","7","8","9","10","11"]}`, "InvalidParameterException"},
		{"ListServices", `{"cluster":"c","maxResults":101}`, "InvalidParameterException"},
		{"DeleteService", `{"cluster":"c","service":"s"}`, "InvalidParameterException"},
		{"DeleteService", `{"cluster":"c","service":"nope"}`, "ServiceNotFoundException"},
		{"RunTask", `{"cluster":"c"}`, "InvalidParameterException"},
		{"RunTask", `{"cluster":"c","taskDefinition":"f","count":11}`, "InvalidParameterException"},
		{"RunTask", `{"cluster":"c","taskDefinition":"f","launchType":"MOON"}`, "InvalidParameterException"},
		{"RunTask", `{"cluster":"c","taskDefinition":"f","launchType":"FARGATE"}`, "InvalidParameterException"},
		{"RunTask", `{"cluster":"c","taskDefinition":"f","overrides":{"containerOverrides":[{"name":"zz"}]}}`, "InvalidParameterException"},
		{"StartTask", `{"cluster":"c","taskDefinition":"f","containerInstances":[]}`, "InvalidParameterException"},
		{"StopTask", `{"cluster":"c","task":"deadbeef"}`, "InvalidParameterException"},
		{"DescribeTasks", `{"cluster":"c","tasks":[]}`, "InvalidParameterException"},
		{"ListTasks", `{"cluster":"c","desiredStatus":"DEAD"}`, "InvalidParameterException"},
		{"ListTasks", `{"cluster":"c","family":"f","serviceName":"s"}`, "InvalidParameterException"},
		{"RegisterContainerInstance", `{"cluster":"c","totalResources":[{"name":"CPU","type":"INTEGER","integerValue":-1}]}`, "InvalidParameterException"},
		{"DeregisterContainerInstance", `{"cluster":"c","containerInstance":"nope"}`, "InvalidParameterException"},
		{"DescribeContainerInstances", `{"cluster":"c","containerInstances":[]}`, "InvalidParameterException"},
		{"ListContainerInstances", `{"cluster":"c","filter":"cpu > 3"}`, "InvalidParameterException"},
		{"UpdateContainerInstancesState", `{"cluster":"c","containerInstances":["x"],"status":"GONE"}`, "InvalidParameterException"},
		{"PutAttributes", `{"cluster":"c","attributes":[{"name":"a","value":"b","targetId":"nope"}]}`, "TargetNotFoundException"},
		{"PutAttributes", `{"cluster":"c","attributes":[{"name":"bad name","value":"b","targetId":"x"}]}`, "InvalidParameterException"},
		{"ListAttributes", `{"cluster":"c"}`, "InvalidParameterException"},
		{"TagResource", `{"resourceArn":"arn:aws:ecs:us-east-1:000000000000:cluster/nope","tags":[{"key":"k","value":"v"}]}`, "InvalidParameterException"},
		{"TagResource", `{"resourceArn":"not-an-arn","tags":[]}`, "InvalidParameterException"},
		{"ListTagsForResource", `{"resourceArn":"arn:aws:ecs:us-east-1:000000000000:task-definition/f:x"}`, "InvalidParameterException"},
		{"PutAccountSetting", `{"name":"nope","value":"enabled"}`, "InvalidParameterException"},
		{"PutAccountSetting", `{"name":"taskLongArnFormat","value":"maybe"}`, "InvalidParameterException"},
		{"ListAccountSettings", `{"maxResults":50}`, "InvalidParameterException"},
	}
	for _, tc := range cases {
		t.Run(tc.op+"/"+tc.code, func(t *testing.T) {
			r := c.call(t, tc.op, tc.body)
			if r.Type != tc.code || r.Status != http.StatusBadRequest {
				t.Fatalf("%s %s = %d %s %q, want 400 %s", tc.op, tc.body, r.Status, r.Type, r.Message, tc.code)
			}
		})
	}
}

// TestBodyLimit checks that an oversized body is refused without reading it
// all into a handler.
func TestBodyLimit(t *testing.T) {
	c := newRawClient(t)
	big := `{"clusterName":"` + string(bytes.Repeat([]byte("a"), 11<<20)) + `"}`
	r := c.call(t, "CreateCluster", big)
	if r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("11 MiB body: %d %s", r.Status, r.Type)
	}
}
