package e2e

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// logsClient is an AWS SDK for Go v2 CloudWatch Logs client for the
// server, like ecsClient.
func (s *tideServer) logsClient() *cwl.Client {
	cfg := aws.Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider(testAccessKeyID, testSecretAccessKey, ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
		HTTPClient:  ownBodyClient{&http.Client{}},
	}
	return cwl.NewFromConfig(cfg, func(o *cwl.Options) { o.BaseEndpoint = aws.String(s.url) })
}

// TestLogsAwslogsTask runs a FARGATE task with logConfiguration awslogs on
// the process runtime: its output reaches the log group and stream ECS
// would name, GetLogEvents and FilterLogEvents return it, and `aws logs
// tail` prints it.
func TestLogsAwslogsTask(t *testing.T) {
	s := startServerWithAgent(t, t.TempDir(), "process")
	c := s.ecsClient()
	lc := s.logsClient()
	ctx := context.Background()
	must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{}))
	def := fargateDef("logs", "sh", "-c", "for i in 1 2 3; do echo line-$i; sleep 0.2; done; sleep 30")
	def.ExecutionRoleArn = aws.String("arn:aws:iam::000000000000:role/ecsTaskExecutionRole")
	def.ContainerDefinitions[0].LogConfiguration = &types.LogConfiguration{
		LogDriver: types.LogDriverAwslogs,
		Options: map[string]string{
			"awslogs-group": "/tide/e2e", "awslogs-region": testRegion,
			"awslogs-stream-prefix": "web", "awslogs-create-group": "true",
		},
	}
	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, def))
	run := must[*ecs.RunTaskOutput](t)(c.RunTask(ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("logs"), NetworkConfiguration: awsvpc}))
	task := run.Tasks[0]
	defer c.StopTask(ctx, &ecs.StopTaskInput{Task: task.TaskArn})
	stream := "web/app/" + taskIDOf(task)

	var got []string
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		out, err := lc.GetLogEvents(ctx, &cwl.GetLogEventsInput{
			LogGroupName: aws.String("/tide/e2e"), LogStreamName: aws.String(stream), StartFromHead: aws.Bool(true),
		})
		if err == nil {
			got = got[:0]
			for _, e := range out.Events {
				got = append(got, aws.ToString(e.Message))
			}
			if len(got) >= 3 {
				break
			}
		} else if errCode(err) != "ResourceNotFoundException" {
			t.Fatalf("GetLogEvents: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if strings.Join(got, ",") != "line-1,line-2,line-3" {
		d, _ := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Tasks: []string{aws.ToString(task.TaskArn)}})
		t.Fatalf("stream %s has %q, want line-1..3; task %+v", stream, got, d)
	}

	f := must[*cwl.FilterLogEventsOutput](t)(lc.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{
		LogGroupName: aws.String("/tide/e2e"), FilterPattern: aws.String("line-2"),
	}))
	if len(f.Events) != 1 || aws.ToString(f.Events[0].Message) != "line-2" || aws.ToString(f.Events[0].LogStreamName) != stream {
		t.Fatalf("FilterLogEvents line-2: %+v", f.Events)
	}
	groups := must[*cwl.DescribeLogGroupsOutput](t)(lc.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/tide/")}))
	if len(groups.LogGroups) != 1 || aws.ToString(groups.LogGroups[0].Arn) != "arn:aws:logs:us-east-1:000000000000:log-group:/tide/e2e:*" {
		t.Fatalf("DescribeLogGroups: %+v", groups.LogGroups)
	}

	const cli = "/usr/bin/aws"
	if _, err := os.Stat(cli); err != nil {
		t.Logf("%s not found: not checking aws logs tail", cli)
		return
	}
	tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(tctx, cli, "logs", "tail", "/tide/e2e", "--endpoint-url", s.url, "--since", "5m")
	cmd.Env = s.awsEnv(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws logs tail: %v\n%s", err, out)
	}
	for _, want := range []string{stream + " line-1", stream + " line-2", stream + " line-3"} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("aws logs tail output lacks %q:\n%s", want, out)
		}
	}
	t.Logf("aws logs tail:\n%s", out)
}
