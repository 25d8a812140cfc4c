package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"tide/internal/etcdtest"
	"tide/internal/server"
)

func cloudwatchClient(s *server.Server) *cloudwatch.Client {
	c := s.Credentials()
	return cloudwatch.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, ""),
	}, func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(s.URL()) })
}

// TestCloudWatchOnEveryServer: metrics live in the leader's memory, so a
// follower forwards CloudWatch requests to it; data put through either
// server is read the same through both.
func TestCloudWatchOnEveryServer(t *testing.T) {
	cluster := etcdtest.Start(t, 1)
	creds := server.Credentials{AccessKeyID: "AKIAEXAMPLEEXAMPLE01", SecretAccessKey: "secretsecretsecretsecretsecretsecret0000"}
	a := start(t, t.TempDir(), cluster.Endpoints, creds)
	b := start(t, t.TempDir(), cluster.Endpoints, creds)
	defer a.Shutdown(context.Background())
	defer b.Shutdown(context.Background())
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for getHealth(t, a).Leader == getHealth(t, b).Leader {
		if time.Now().After(deadline) {
			t.Fatal("no single leader")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // followers read the leader's address every second
	now := time.Now()
	for i, s := range []*server.Server{a, b} {
		_, err := cloudwatchClient(s).PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"), MetricData: []types.MetricDatum{{
			MetricName: aws.String("Hits"), Value: aws.Float64(float64(i + 1)), Timestamp: aws.Time(now), StorageResolution: aws.Int32(1),
		}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []*server.Server{a, b} {
		out, err := cloudwatchClient(s).GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
			Namespace: aws.String("App"), MetricName: aws.String("Hits"), Period: aws.Int32(60),
			StartTime: aws.Time(now.Add(-time.Minute)), EndTime: aws.Time(now.Add(time.Minute)), Statistics: []types.Statistic{types.StatisticSum},
		})
		if err != nil {
			t.Fatal(err)
		}
		sum := 0.0
		for _, d := range out.Datapoints {
			sum += aws.ToFloat64(d.Sum)
		}
		if sum != 3 {
			t.Errorf("server %s: Sum %v, want 3 (both servers' data)", s.URL(), sum)
		}
	}
	// awsquery too: its Version is in the form body, which the follower reads and forwards.
	for _, s := range []*server.Server{a, b} {
		form := url.Values{"Action": {"ListMetrics"}, "Version": {"2010-08-01"}, "Namespace": {"App"}}
		req, _ := http.NewRequest("POST", s.URL()+"/", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusBadRequest {
			t.Errorf("unsigned awsquery request through %s: %d, want the signature error", s.URL(), resp.StatusCode)
		}
	}
}
