package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/rand"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// ecrClient is an AWS SDK for Go v2 ECR client for the server, with the
// test credentials and no retries.
func (s *tideServer) ecrClient() *ecr.Client {
	cfg := aws.Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider(testAccessKeyID, testSecretAccessKey, ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
		HTTPClient:  ownBodyClient{&http.Client{}},
	}
	return ecr.NewFromConfig(cfg, func(o *ecr.Options) { o.BaseEndpoint = aws.String(s.url) })
}

// registryAuth is docker login's user and password from GetAuthorizationToken.
func registryAuth(t *testing.T, c *ecr.Client) (user, password string) {
	t.Helper()
	out := must[*ecr.GetAuthorizationTokenOutput](t)(c.GetAuthorizationToken(context.Background(), &ecr.GetAuthorizationTokenInput{}))
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(out.AuthorizationData[0].AuthorizationToken))
	if err != nil {
		t.Fatal(err)
	}
	user, password, _ = strings.Cut(string(raw), ":")
	return user, password
}

// TestECRAWSCLI drives Tide's ECR API with the aws CLI v2: cli/ecr.sh.
func TestECRAWSCLI(t *testing.T) {
	needBinary(t)
	if _, err := os.Stat("/usr/bin/aws"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("/usr/bin/aws is needed and CI is set: %v", err)
		}
		t.Skipf("/usr/bin/aws not installed: %v", err)
	}
	needTool(t, "jq")
	needTool(t, "bash")
	s := startServer(t, t.TempDir())
	runScript(t, s, 3*time.Minute, "bash", "cli/ecr.sh")
}

// TestECRPushPull pushes an image to a server process with
// go-containerregistry, logged in with GetAuthorizationToken's token, sees
// it through the ECR API and pulls it back.
func TestECRPushPull(t *testing.T) {
	needBinary(t)
	s := startServer(t, t.TempDir())
	c := s.ecrClient()
	ctx := context.Background()
	must[*ecr.CreateRepositoryOutput](t)(c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("e2e/random")}))
	img, err := random.Image(1024, 2, random.WithSource(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	user, pw := registryAuth(t, c)
	auth := remote.WithAuth(&authn.Basic{Username: user, Password: pw})
	ref, err := name.NewTag(s.addr+"/e2e/random:v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, auth); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	det := must[*ecr.DescribeImagesOutput](t)(c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("e2e/random")})).ImageDetails
	if len(det) != 1 || aws.ToString(det[0].ImageDigest) != d.String() || len(det[0].ImageTags) != 1 || det[0].ImageTags[0] != "v1" {
		t.Fatalf("DescribeImages after the push: %s", jsonString(det))
	}
	pulled, err := remote.Image(ref, auth)
	if err != nil {
		t.Fatal(err)
	}
	if pd, _ := pulled.Digest(); pd != d {
		t.Fatalf("pulled %s, pushed %s", pd, d)
	}
	if _, err := remote.Image(ref); err == nil {
		t.Fatal("an anonymous pull succeeded on a server without --anonymous-pull")
	}
}

// TestECRDocker logs docker in with `aws ecr get-login-password`, pushes an
// image built FROM scratch around a static Go program, removes it locally,
// pulls it back and runs it.
func TestECRDocker(t *testing.T) {
	needDockerEngine(t)
	if _, err := os.Stat("/usr/bin/aws"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("/usr/bin/aws is needed and CI is set: %v", err)
		}
		t.Skipf("/usr/bin/aws not installed: %v", err)
	}
	useWebImage(t)
	s := startServer(t, t.TempDir())
	c := s.ecrClient()
	ctx := context.Background()
	repo := fmt.Sprintf("e2e/web-%d", time.Now().UnixNano())
	created := must[*ecr.CreateRepositoryOutput](t)(c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(repo)})).Repository
	image := aws.ToString(created.RepositoryUri) + ":v1"
	if !strings.HasPrefix(image, s.addr+"/") {
		t.Fatalf("repositoryUri %s is not on the server's address %s", image, s.addr)
	}
	dockerEnv := []string{"DOCKER_CONFIG=" + t.TempDir()}
	t.Cleanup(func() { dockerRun(nil, "rmi", "-f", image) })

	// aws ecr get-login-password | docker login --username AWS --password-stdin
	login := exec.Command("bash", "-c", `set -o pipefail; /usr/bin/aws ecr get-login-password --endpoint-url "$AWS_ENDPOINT_URL" | docker login --username AWS --password-stdin "$1"`, "login", s.addr)
	login.Env = append(s.awsEnv(t), dockerEnv...)
	if out, err := login.CombinedOutput(); err != nil || !strings.Contains(string(out), "Login Succeeded") {
		t.Fatalf("docker login: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(filepath.Join(strings.TrimPrefix(dockerEnv[0], "DOCKER_CONFIG="), "config.json")); err != nil || !strings.Contains(string(b), s.addr) {
		t.Fatalf("docker's config after the login: %v\n%s", err, b)
	}

	if _, err := dockerRun(dockerEnv, "tag", webImage, image); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out, err := dockerRun(dockerEnv, "push", image)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`digest: (sha256:[0-9a-f]{64})`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("docker push printed no digest:\n%s", out)
	}
	t.Logf("docker push in %s: %s", time.Since(start).Round(time.Millisecond), m[1])
	det := must[*ecr.DescribeImagesOutput](t)(c.DescribeImages(ctx, &ecr.DescribeImagesInput{
		RepositoryName: aws.String(repo), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("v1")}},
	})).ImageDetails
	if len(det) != 1 || aws.ToString(det[0].ImageDigest) != m[1] || aws.ToInt64(det[0].ImageSizeInBytes) <= 0 {
		t.Fatalf("DescribeImages of the pushed image (docker push said %s): %s", m[1], jsonString(det))
	}

	if _, err := dockerRun(dockerEnv, "rmi", image); err != nil {
		t.Fatal(err)
	}
	if _, err := dockerRun(dockerEnv, "pull", image); err != nil {
		t.Fatal(err)
	}
	run := exec.Command("docker", "run", "--rm", "--network", "none", image, "crash")
	run.Env = append(os.Environ(), dockerEnv...)
	got, _ := run.CombinedOutput() // "crash" exits 1 after it prints
	if !strings.Contains(string(got), "webapp crashing") {
		t.Fatalf("docker run of the pulled image: %s", got)
	}
	if _, err := dockerRun(dockerEnv, "logout", s.addr); err != nil {
		t.Fatal(err)
	}
	if _, err := dockerRun(dockerEnv, "pull", image); err == nil {
		t.Fatal("docker pull succeeded after docker logout")
	}
}
