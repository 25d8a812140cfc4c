package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsecr "github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// registryClient is an ECR client for s with the test credentials.
func registryClient(s *tideServer) *awsecr.Client {
	cfg := aws.Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider(testAccessKeyID, testSecretAccessKey, ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
		HTTPClient:  ownBodyClient{&http.Client{}},
	}
	return awsecr.NewFromConfig(cfg, func(o *awsecr.Options) { o.BaseEndpoint = aws.String(s.url) })
}

// registryPassword is the password half of an ECR authorization token.
func registryPassword(t *testing.T, s *tideServer) string {
	t.Helper()
	out := must[*awsecr.GetAuthorizationTokenOutput](t)(registryClient(s).GetAuthorizationToken(context.Background(), &awsecr.GetAuthorizationTokenInput{}))
	dec, err := base64.StdEncoding.DecodeString(aws.ToString(out.AuthorizationData[0].AuthorizationToken))
	if err != nil {
		t.Fatal(err)
	}
	user, pass, _ := strings.Cut(string(dec), ":")
	if user != "AWS" {
		t.Fatalf("token user %q", user)
	}
	return pass
}

// registryDo sends an authenticated registry request.
func registryDo(t *testing.T, s *tideServer, pass, method, path string, body io.Reader, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("AWS", pass)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, []byte(err.Error())
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

// TestRegistryKilledDuringUpload kills the server with SIGKILL in the
// middle of a blob upload: after a restart the partial blob is never
// served, every stored blob matches its digest, and the upload can resume
// from the offset the server acknowledged.
func TestRegistryKilledDuringUpload(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	must[*awsecr.CreateRepositoryOutput](t)(registryClient(s).CreateRepository(context.Background(), &awsecr.CreateRepositoryInput{RepositoryName: aws.String("crash/blob")}))
	pass := registryPassword(t, s)

	data := make([]byte, 48<<20)
	for i := range data {
		data[i] = byte(rand.IntN(256))
	}
	sum := sha256.Sum256(data)
	d := "sha256:" + hex.EncodeToString(sum[:])

	resp, body := registryDo(t, s, pass, "POST", "/v2/crash/blob/blobs/uploads/", nil)
	if resp == nil || resp.StatusCode != 202 {
		t.Fatalf("start upload: %v %s", resp, body)
	}
	loc := resp.Header.Get("Location")
	// A first chunk the server acknowledges, then a stream cut by the kill.
	first := 1 << 20
	resp, body = registryDo(t, s, pass, "PATCH", loc, bytes.NewReader(data[:first]), "Content-Range", fmt.Sprintf("0-%d", first-1))
	if resp == nil || resp.StatusCode != 202 {
		t.Fatalf("first chunk: %v %s", resp, body)
	}
	pr, pw := io.Pipe()
	go func() {
		rest := data[first:]
		for i := 0; i < len(rest); i += 256 << 10 {
			if _, err := pw.Write(rest[i:min(i+256<<10, len(rest))]); err != nil {
				return
			}
			if i == 8<<20 {
				s.kill9(t) // mid-stream
			}
		}
		pw.Close()
	}()
	// Finishing the upload with the stream: the kill must cut it short.
	resp, _ = registryDo(t, s, pass, "PUT", loc+"?digest="+d, pr, "Content-Type", "application/octet-stream")
	pr.CloseWithError(io.ErrClosedPipe)
	if resp != nil && resp.StatusCode == 201 {
		t.Fatal("the upload completed although the server was killed during it")
	}

	s2 := startServer(t, dir)
	pass = registryPassword(t, s2)
	resp, body = registryDo(t, s2, pass, "HEAD", "/v2/crash/blob/blobs/"+d, nil)
	if resp.StatusCode != 404 {
		t.Fatalf("partial blob is visible after the crash: HEAD %d %s", resp.StatusCode, body)
	}
	checkBlobFiles(t, filepath.Join(dir, "registry", "blobs"))

	// The upload resumes from what the server acknowledged.
	resp, body = registryDo(t, s2, pass, "GET", loc, nil)
	if resp.StatusCode != 204 || resp.Header.Get("Range") != fmt.Sprintf("0-%d", first-1) {
		t.Fatalf("upload status after restart: %d Range %q %s", resp.StatusCode, resp.Header.Get("Range"), body)
	}
	resp, body = registryDo(t, s2, pass, "PATCH", loc, bytes.NewReader(data[first:]), "Content-Range", fmt.Sprintf("%d-%d", first, len(data)-1))
	if resp.StatusCode != 202 {
		t.Fatalf("resume: %d %s", resp.StatusCode, body)
	}
	resp, body = registryDo(t, s2, pass, "PUT", loc+"?digest="+d, nil)
	if resp.StatusCode != 201 {
		t.Fatalf("complete: %d %s", resp.StatusCode, body)
	}
	resp, body = registryDo(t, s2, pass, "GET", "/v2/crash/blob/blobs/"+d, nil)
	if resp.StatusCode != 200 || !bytes.Equal(body, data) {
		t.Fatalf("blob after resume: %d, %d bytes, equal %v", resp.StatusCode, len(body), bytes.Equal(body, data))
	}
	checkBlobFiles(t, filepath.Join(dir, "registry", "blobs"))
}

// checkBlobFiles verifies that every file in the blob store hashes to its name.
func checkBlobFiles(t *testing.T, root string) {
	t.Helper()
	n := 0
	filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.Contains(path, "sha256") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != filepath.Base(path) {
			t.Errorf("blob file %s does not match its digest", path)
		}
		n++
		return nil
	})
	t.Logf("%d blob files verified", n)
}

// TestDockerPullFromTideRegistry runs a service whose image exists only in
// Tide's registry, pushed there by `tide image build`: the local agent logs
// in with an ECR token, pulls it, and DescribeTasks shows the pull. A
// second service of the same image created with no tasks makes the agent
// prefetch it, so its tasks start without pulling.
func TestDockerPullFromTideRegistry(t *testing.T) {
	needDockerEngine(t)
	s, _ := startDockerServer(t)
	ctx := context.Background()
	repo := fmt.Sprintf("e2e/web-%d", rand.IntN(1e9))
	must[*awsecr.CreateRepositoryOutput](t)(registryClient(s).CreateRepository(ctx, &awsecr.CreateRepositoryInput{RepositoryName: aws.String(repo)}))

	bin := filepath.Join(t.TempDir(), "webapp")
	gobuild := exec.Command(goTool(), "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./testdata/webapp")
	gobuild.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := gobuild.CombinedOutput(); err != nil {
		t.Fatalf("go build webapp: %v\n%s", err, out)
	}
	image := s.addr + "/" + repo + ":1"
	other := s.addr + "/" + repo + ":2"
	build := func(tag, buildEnv string) {
		cmd := exec.Command(tideBin, "image", "build", "--binary", bin, "--tag", tag, "--port", "8080", "--env", "BUILD="+buildEnv)
		cmd.Env = s.awsEnv(t)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("tide image build: %v\n%s", err, out)
		}
	}
	for _, tag := range []string{image, other} {
		build(tag, "1")
		t.Cleanup(func() { dockerRun(nil, "rmi", "-f", tag) })
	}
	if _, err := dockerRun(nil, "image", "inspect", image); err == nil {
		t.Fatalf("%s is already on the engine; the test needs it absent", image)
	}

	c := s.ecsClient()
	must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{}))
	def := func(family, img string) *string {
		in := webDef(family, "1")
		in.ContainerDefinitions[0].Image = aws.String(img)
		return must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, in)).TaskDefinition.TaskDefinitionArn
	}
	pullOf := func(tk types.Task) time.Duration {
		if tk.PullStartedAt == nil || tk.PullStoppedAt == nil {
			t.Fatalf("task %s has no pull times: %s", taskIDOf(tk), taskState(tk))
		}
		return tk.PullStoppedAt.Sub(*tk.PullStartedAt)
	}

	// Cold: the task pulls the image from Tide's registry.
	must[*ecs.CreateServiceOutput](t)(c.CreateService(ctx, &ecs.CreateServiceInput{
		ServiceName: aws.String("cold"), TaskDefinition: def("cold", image), DesiredCount: aws.Int32(1),
		LaunchType: types.LaunchTypeFargate, NetworkConfiguration: awsvpc,
	}))
	cold := waitHealthyTasks(t, c, "cold", 1, 90*time.Second)
	coldPull := pullOf(cold[0])
	if coldPull <= 0 {
		t.Fatalf("cold task pull took %s", coldPull)
	}

	// Warm: a service with no tasks yet; the agent prefetches its image.
	must[*ecs.CreateServiceOutput](t)(c.CreateService(ctx, &ecs.CreateServiceInput{
		ServiceName: aws.String("warm"), TaskDefinition: def("warm", other), DesiredCount: aws.Int32(0),
		LaunchType: types.LaunchTypeFargate, NetworkConfiguration: awsvpc,
	}))
	poll(t, 60*time.Second, 200*time.Millisecond, "prefetch of "+other, func() (bool, string) {
		_, err := dockerRun(nil, "image", "inspect", other)
		return err == nil, fmt.Sprint(err)
	})
	must[*ecs.UpdateServiceOutput](t)(c.UpdateService(ctx, &ecs.UpdateServiceInput{Service: aws.String("warm"), DesiredCount: aws.Int32(2)}))
	warm := waitHealthyTasks(t, c, "warm", 2, 90*time.Second)
	for _, tk := range warm {
		if p := pullOf(tk); p >= coldPull {
			t.Errorf("prefetched task %s pulled for %s, no faster than the cold pull (%s)", taskIDOf(tk), p, coldPull)
		}
	}
	t.Logf("pull time: cold %s, prefetched %s and %s", coldPull, pullOf(warm[0]), pullOf(warm[1]))

	// The same tag pushed again: a new deployment runs the new content,
	// as on ECS, where the agent pulls at every task start.
	build(image, "2")
	must[*ecs.UpdateServiceOutput](t)(c.UpdateService(ctx, &ecs.UpdateServiceInput{Service: aws.String("cold"), ForceNewDeployment: true}))
	poll(t, 90*time.Second, 300*time.Millisecond, "a task of the re-pushed tag", func() (bool, string) {
		tasks := runningTasks(t, c, "cold")
		for _, tk := range tasks {
			if tk.HealthStatus != types.HealthStatusHealthy || aws.ToString(tk.TaskArn) == aws.ToString(cold[0].TaskArn) {
				continue
			}
			if body := getBody(t, "http://"+taskIP(t, tk)+":8080/env/BUILD", 10*time.Second); body == "2\n" {
				return true, ""
			}
			return false, "new task answers BUILD=" + strings.TrimSpace(getBody(t, "http://"+taskIP(t, tk)+":8080/env/BUILD", time.Second))
		}
		return false, tasksState(tasks)
	})
	deleteServiceAndWait(t, c, "cold")
	deleteServiceAndWait(t, c, "warm")
}

// TestLifecyclePolicyApplied: a lifecycle policy put with the ECR API
// expires images on its own, without a preview or any other call.
func TestLifecyclePolicyApplied(t *testing.T) {
	s := startServer(t, t.TempDir(), "--local-agent=false", "--lifecycle-interval=500ms")
	c := registryClient(s)
	ctx := context.Background()
	must[*awsecr.CreateRepositoryOutput](t)(c.CreateRepository(ctx, &awsecr.CreateRepositoryInput{RepositoryName: aws.String("keep/two")}))
	pass := registryPassword(t, s)
	for i := range 4 {
		img, err := random.Image(512, 1)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := name.ParseReference(fmt.Sprintf("%s/keep/two:v%d", s.addr, i), name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(ref, img, remote.WithAuth(&authn.Basic{Username: "AWS", Password: pass})); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // distinct push times
	}
	policy := `{"rules":[{"rulePriority":1,"description":"keep the newest two","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":2},"action":{"type":"expire"}}]}`
	must[*awsecr.PutLifecyclePolicyOutput](t)(c.PutLifecyclePolicy(ctx, &awsecr.PutLifecyclePolicyInput{RepositoryName: aws.String("keep/two"), LifecyclePolicyText: aws.String(policy)}))
	var tags []string
	poll(t, 20*time.Second, 200*time.Millisecond, "lifecycle expiry", func() (bool, string) {
		out := must[*awsecr.DescribeImagesOutput](t)(c.DescribeImages(ctx, &awsecr.DescribeImagesInput{RepositoryName: aws.String("keep/two")}))
		tags = nil
		for _, d := range out.ImageDetails {
			tags = append(tags, d.ImageTags...)
		}
		slices.Sort(tags)
		return len(tags) == 2, fmt.Sprint(tags)
	})
	if !slices.Equal(tags, []string{"v2", "v3"}) {
		t.Fatalf("images left %v, want the newest two", tags)
	}
}
