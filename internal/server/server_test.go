package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"tide/internal/etcdtest"
	"tide/internal/server"
)

func start(t *testing.T, dir string, endpoints []string, creds server.Credentials) *server.Server {
	t.Helper()
	s, err := server.Start(context.Background(), server.Config{
		DataDir: dir, Listen: "127.0.0.1:0", EtcdEndpoints: endpoints, Region: "us-east-1", AccountID: "000000000000",
		Credentials: creds, Log: slog.New(slog.DiscardHandler), Out: io.Discard,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ecsClient(s *server.Server) *ecs.Client {
	c := s.Credentials()
	return ecs.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, ""),
	}, func(o *ecs.Options) { o.BaseEndpoint = aws.String(s.URL()) })
}

type health struct {
	Status string `json:"status"`
	Leader bool   `json:"leader"`
	Store  string `json:"store"`
}

func getHealth(t *testing.T, s *server.Server) health {
	t.Helper()
	resp, err := http.Get(s.URL() + "/_tide/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h health
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&h) != nil {
		t.Fatalf("health: %d", resp.StatusCode)
	}
	return h
}

func TestGeneratedCredentialsPersist(t *testing.T) {
	dir := t.TempDir()
	s := start(t, dir, nil, server.Credentials{})
	first := s.Credentials()
	s.Shutdown(context.Background())
	fi, err := os.Stat(filepath.Join(dir, "credentials.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", fi, err)
	}
	if !strings.HasPrefix(first.AccessKeyID, "AKIA") || len(first.AccessKeyID) != 20 || len(first.SecretAccessKey) != 40 {
		t.Fatalf("generated pair %q/%d chars", first.AccessKeyID, len(first.SecretAccessKey))
	}
	s = start(t, dir, nil, server.Credentials{})
	defer s.Shutdown(context.Background())
	if s.Credentials() != first {
		t.Fatal("credentials changed across restart")
	}
	if h := getHealth(t, s); h.Status != "ok" || h.Store != "embedded" {
		t.Fatalf("health %+v", h)
	}
}

// TestServersShareExternalEtcd runs two servers on one external three-member
// cluster: a write through one is read through the other, exactly one leads,
// and the other takes over when the leader stops.
func TestServersShareExternalEtcd(t *testing.T) {
	cluster := etcdtest.Start(t, 3)
	creds := server.Credentials{AccessKeyID: "AKIAEXAMPLEEXAMPLE01", SecretAccessKey: "secretsecretsecretsecretsecretsecret0000"}
	a := start(t, t.TempDir(), cluster.Endpoints, creds)
	b := start(t, t.TempDir(), cluster.Endpoints, creds)
	defer a.Shutdown(context.Background())
	defer b.Shutdown(context.Background())
	ctx := context.Background()
	if _, err := ecsClient(a).CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("shared")}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, err := ecsClient(b).DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"shared"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Clusters) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("cluster created through server a never visible through server b")
		}
		time.Sleep(10 * time.Millisecond)
	}
	var ha, hb health
	for time.Now().Before(deadline) {
		ha, hb = getHealth(t, a), getHealth(t, b)
		if ha.Leader != hb.Leader {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if ha.Leader == hb.Leader || ha.Store != "external" {
		t.Fatalf("leaders a=%v b=%v store %s", ha.Leader, hb.Leader, ha.Store)
	}
	if !ha.Leader {
		a, b = b, a // make a the leader
	}
	a.Shutdown(context.Background())
	deadline = time.Now().Add(15 * time.Second)
	for !getHealth(t, b).Leader {
		if time.Now().After(deadline) {
			t.Fatal("follower did not take over within 15s of the leader stopping")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
