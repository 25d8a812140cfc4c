package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/client"

	"tide/internal/runtime"
)

// The tests run against the real Docker Engine. They build their own image
// (FROM scratch + the static testdata/app binary), since the engine may
// have no image and no way to pull one, and remove every container,
// network and image they create.
var (
	runID       = fmt.Sprintf("%x", time.Now().UnixNano()&0xffffffffff)
	testImage   = "tide-test-app:" + runID
	testNetwork = "tide-awsvpc-test-" + runID
	testCli     *client.Client
	engineErr   error // the engine is unreachable: skip, unless CI is set
	setupErr    error // the engine answered but the image could not be built
	arnSeq      atomic.Int64
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx := context.Background()
	cli, err := client.New(client.FromEnv)
	if err == nil {
		pctx, cancel := context.WithTimeout(ctx, connectTimeout)
		_, err = cli.Ping(pctx, client.PingOptions{NegotiateAPIVersion: true})
		cancel()
	}
	if err != nil {
		engineErr = err
		return m.Run()
	}
	testCli = cli
	defer cli.Close()
	bctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	setupErr = buildImage(bctx, cli, testImage)
	cancel()
	defer cleanupRun(ctx, cli)
	return m.Run()
}

// needEngine skips t when there is no Docker Engine, or fails it when CI
// is set, since CI must run these tests.
func needEngine(t *testing.T) {
	t.Helper()
	if engineErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("docker engine unreachable in CI: %v", engineErr)
		}
		t.Skipf("docker engine unreachable: %v", engineErr)
	}
	if setupErr != nil {
		t.Fatalf("build test image: %v", setupErr)
	}
}

// buildImage compiles testdata/app statically and builds tag from it,
// FROM scratch, with the engine's classic builder.
func buildImage(ctx context.Context, cli *client.Client, tag string) error {
	dir, err := os.MkdirTemp("", "tide-docker-test")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "app")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./testdata/app")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build testdata/app: %v\n%s", err, out)
	}
	app, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	var tarball bytes.Buffer
	tw := tar.NewWriter(&tarball)
	files := []struct {
		name string
		mode int64
		body []byte
	}{
		{"Dockerfile", 0o644, []byte("FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\"]\n")},
		{"app", 0o755, app},
	}
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.body))}); err != nil {
			return err
		}
		if _, err := tw.Write(f.body); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	res, err := cli.ImageBuild(ctx, &tarball, client.ImageBuildOptions{
		Tags: []string{tag}, Remove: true, ForceRemove: true, Version: build.BuilderV1,
	})
	if err != nil {
		return err
	}
	defer res.Body.Close()
	dec := json.NewDecoder(res.Body)
	for {
		var msg struct {
			Error string `json:"error"`
		}
		if err := dec.Decode(&msg); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if msg.Error != "" {
			return errors.New(msg.Error)
		}
	}
}

// cleanupRun removes what this run left behind: containers of its tasks,
// its awsvpc network and its image.
func cleanupRun(ctx context.Context, cli *client.Client) {
	res, err := cli.ContainerList(ctx, client.ContainerListOptions{
		All: true, Filters: make(client.Filters).Add("label", labelManaged+"=true"),
	})
	if err == nil {
		for _, c := range res.Items {
			if strings.Contains(c.Labels[labelTaskArn], runID) {
				cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true})
			}
		}
	}
	cli.NetworkRemove(ctx, testNetwork, client.NetworkRemoveOptions{})
	cli.ImageRemove(ctx, testImage, client.ImageRemoveOptions{Force: true, PruneChildren: true})
}

// newRuntime returns a Runtime that the test closes when it ends.
func newRuntime(t *testing.T, opts ...Option) *Runtime {
	t.Helper()
	needEngine(t)
	opts = append([]Option{WithNetworkName(testNetwork)}, opts...)
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	r, err := New(t.Context(), log, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// newArn returns a fresh task ARN whose containers are removed when the
// test ends, whatever the runtime did.
func newArn(t *testing.T) string {
	t.Helper()
	needEngine(t)
	arn := fmt.Sprintf("arn:aws:ecs:us-east-1:000000000000:task/test/%s%04d", runID, arnSeq.Add(1))
	t.Cleanup(func() {
		ctx := context.Background()
		res, err := testCli.ContainerList(ctx, client.ContainerListOptions{
			All: true, Filters: make(client.Filters).Add("label", labelTaskArn+"="+arn),
		})
		if err != nil {
			t.Errorf("list containers of %s: %v", arn, err)
			return
		}
		for _, c := range res.Items {
			testCli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true})
		}
	})
	return arn
}

// app is a container of the test image, run with args.
func app(name string, args ...string) runtime.ContainerSpec {
	return runtime.ContainerSpec{
		Name: name, Image: testImage, Command: args, Essential: true, StopTimeout: 2 * time.Second,
	}
}

// task is a task spec of the given containers.
func task(arn, mode string, cs ...runtime.ContainerSpec) runtime.TaskSpec {
	return runtime.TaskSpec{TaskArn: arn, Cluster: "test", Family: "app", Revision: 1, NetworkMode: mode, Containers: cs}
}

// startTask starts spec and fails the test if it cannot.
func startTask(t *testing.T, r *Runtime, spec runtime.TaskSpec) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := r.Start(ctx, spec); err != nil {
		t.Fatalf("Start: %v", err)
	}
}

// lookup returns the status of task arn, if the runtime lists it.
func lookup(t *testing.T, r *Runtime, arn string) (runtime.TaskStatus, bool) {
	t.Helper()
	tasks, err := r.List(t.Context())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	for _, ts := range tasks {
		if ts.TaskArn == arn {
			return ts, true
		}
	}
	return runtime.TaskStatus{}, false
}

// waitTask polls List until task arn satisfies ok, and returns it.
func waitTask(t *testing.T, r *Runtime, arn string, timeout time.Duration, ok func(runtime.TaskStatus) bool) runtime.TaskStatus {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ts, found := lookup(t, r, arn)
		if found && ok(ts) {
			return ts
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s did not reach the expected state in %v; last: %+v", arn, timeout, ts)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// allIn reports whether every container of a task is in state.
func allIn(state string) func(runtime.TaskStatus) bool {
	return func(ts runtime.TaskStatus) bool {
		for _, c := range ts.Containers {
			if c.State != state {
				return false
			}
		}
		return len(ts.Containers) > 0
	}
}

// get fetches url until it answers 200 or timeout passes.
func get(t *testing.T, url string, timeout time.Duration) string {
	t.Helper()
	c := http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for {
		resp, err := c.Get(url)
		if err == nil {
			body, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr == nil && resp.StatusCode == http.StatusOK {
				return string(body)
			}
			err = fmt.Errorf("status %d, %v", resp.StatusCode, rerr)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
