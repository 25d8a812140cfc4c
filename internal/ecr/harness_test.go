package ecr_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"tide/internal/clocktest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsecr "github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"tide/internal/ecr"
	"tide/internal/edge"
	"tide/internal/registry"
	"tide/internal/sigv4"
	"tide/internal/store"
)

const (
	testKey    = "AKIAECRTEST000000001"
	testSecret = "ecrTestSecret/0123456789abcdefghijklmnopq"
	testRegion = "us-east-1"
	testAcct   = "000000000000"
)

// harness is the ECR API and the OCI registry over a real embedded etcd,
// behind a real edge that verifies signatures, on a loopback HTTP server:
// the assembly server.Start makes, with an injected clock.
type harness struct {
	api   *ecr.API
	reg   *registry.Registry
	clock *clocktest.Clock
	url   string
	host  string // host:port, the registry's address
	sdk   *awsecr.Client
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	e, err := store.StartEmbedded(ctx, t.TempDir(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	st, err := store.Open(ctx, e.Client(), "/tide/", quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	h := &harness{clock: clocktest.New(time.Now().UTC())}
	secret := func(id string) (string, bool) { return testSecret, id == testKey }
	h.reg, err = registry.New(st, t.TempDir(), quiet, registry.Config{Region: testRegion, AccountID: testAcct, Secret: secret, Now: h.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	h.api = ecr.New(h.reg, quiet, ecr.Config{Region: testRegion, AccountID: testAcct, Now: h.clock.Now})
	ed := edge.New(quiet, &sigv4.Verifier{Region: testRegion, Secret: secret})
	ed.Register(h.api.Service())
	ed.Handle("/v2/", h.reg)
	srv := httptest.NewServer(ed)
	t.Cleanup(srv.Close)
	h.url = srv.URL
	h.host = strings.TrimPrefix(srv.URL, "http://")
	h.sdk = awsecr.NewFromConfig(aws.Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider(testKey, testSecret, ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *awsecr.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	return h
}

// createRepo creates repository name through the API.
func (h *harness) createRepo(t testing.TB, name string, mutability string) {
	t.Helper()
	in := &awsecr.CreateRepositoryInput{RepositoryName: aws.String(name)}
	if mutability != "" {
		in.ImageTagMutability = types.ImageTagMutability(mutability)
	}
	must[*awsecr.CreateRepositoryOutput](t)(h.sdk.CreateRepository(context.Background(), in))
}

// auth is docker login's credentials from GetAuthorizationToken.
func (h *harness) auth(t testing.TB) authn.Authenticator {
	t.Helper()
	out := must[*awsecr.GetAuthorizationTokenOutput](t)(h.sdk.GetAuthorizationToken(context.Background(), &awsecr.GetAuthorizationTokenInput{}))
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(out.AuthorizationData[0].AuthorizationToken))
	if err != nil {
		t.Fatal(err)
	}
	user, pass, _ := strings.Cut(string(raw), ":")
	return &authn.Basic{Username: user, Password: pass}
}

// ref is repo:tag (or repo@digest) on the harness's registry.
func (h *harness) ref(t testing.TB, repo, tagOrDigest string) name.Reference {
	t.Helper()
	sep := ":"
	if strings.Contains(tagOrDigest, ":") {
		sep = "@"
	}
	r, err := name.ParseReference(h.host+"/"+repo+sep+tagOrDigest, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// push writes img as repo:tag through the OCI API, as docker push does.
func (h *harness) push(t testing.TB, repo, tag string, img v1.Image) string {
	t.Helper()
	if err := remote.Write(h.ref(t, repo, tag), img, remote.WithAuth(h.auth(t))); err != nil {
		t.Fatalf("push %s:%s: %v", repo, tag, err)
	}
	d, _ := img.Digest()
	return d.String()
}

// pushIndex writes an index (and its images) as repo:tag.
func (h *harness) pushIndex(t testing.TB, repo, tag string, idx v1.ImageIndex) string {
	t.Helper()
	if err := remote.WriteIndex(h.ref(t, repo, tag), idx, remote.WithAuth(h.auth(t))); err != nil {
		t.Fatalf("push index %s:%s: %v", repo, tag, err)
	}
	d, _ := idx.Digest()
	return d.String()
}

type rawResult struct {
	Status        int
	Type, Message string
	Body          string
}

// raw sends a signed ECR request with an arbitrary body.
func (h *harness) raw(t testing.TB, op, body string) rawResult {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.url+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", ecr.TargetPrefix+"."+op)
	if err := sigv4.Sign(req, []byte(body), testKey, testSecret, testRegion, "ecr", time.Now()); err != nil {
		t.Fatal(err)
	}
	req.Body = io.NopCloser(bytes.NewReader([]byte(body)))
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
	return rawResult{Status: resp.StatusCode, Type: e.Type, Message: e.Message, Body: string(b)}
}

// errCode is the AWS error code of err ("" for nil).
func errCode(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return "not an API error: " + err.Error()
}

// errMessage is the AWS error message of err.
func errMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

func must[T any](t testing.TB) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
