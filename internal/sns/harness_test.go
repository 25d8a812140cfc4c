package sns

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"tide/internal/clocktest"
	"tide/internal/edge"
	"tide/internal/store"
)

const (
	testRegion = "us-east-1"
	testAcct   = "000000000000"
)

var start = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// harness is the SNS API over a real embedded etcd, behind a real edge on
// a loopback HTTP server that also serves the /_tide/sns/ handlers, with
// the Go SDK as its client.
type harness struct {
	api   *API
	st    *store.Store
	clock *clocktest.Clock // nil when the harness runs on the wall clock
	url   string
	sdk   *sns.Client
	dir   string // etcd's data directory
	addr  string // the edge's listening address

	closeOnce sync.Once
	closers   []func()
}

// closeAll stops the edge, the store and etcd (a server's shutdown).
func (h *harness) closeAll(t testing.TB) {
	h.closeOnce.Do(func() {
		for i := len(h.closers) - 1; i >= 0; i-- {
			h.closers[i]()
		}
	})
}

type harnessOpts struct {
	fakeClock bool
	smtpAddr  string
	dir       string // reuse an etcd data directory (a restart)
	addr      string // listen on this address (a restart)
	client    *http.Client
}

func newHarness(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	h := &harness{dir: o.dir}
	if h.dir == "" {
		h.dir = t.TempDir()
	}
	e, err := store.StartEmbedded(ctx, h.dir, quiet)
	if err != nil {
		t.Fatal(err)
	}
	h.closers = append(h.closers, e.Close)
	t.Cleanup(func() { h.closeAll(t) })
	st, err := store.Open(ctx, e.Client(), "/tide/", quiet)
	if err != nil {
		t.Fatal(err)
	}
	h.closers = append(h.closers, st.Close)
	h.st = st
	cfg := Config{Region: testRegion, AccountID: testAcct, SMTPAddr: o.smtpAddr, HTTPClient: o.client}
	if o.fakeClock {
		h.clock = clocktest.New(start)
		cfg.Now = h.clock.Now
	}
	h.api = New(st, quiet, cfg)
	h.api.poll = 10 * time.Millisecond
	ed := edge.New(quiet, nil)
	ed.RegisterQuery(h.api.Service())
	ed.Handle(CertPath, h.api.CertHandler())
	ed.Handle(ConfirmPath, h.api.ConfirmHandler())
	ed.Handle(UnsubscribePath, h.api.UnsubscribeHandler())
	srv := httptest.NewUnstartedServer(ed)
	if o.addr != "" {
		l, err := net.Listen("tcp", o.addr)
		if err != nil {
			t.Fatal(err)
		}
		srv.Listener.Close()
		srv.Listener = l
	}
	srv.Start()
	h.closers = append(h.closers, srv.Close)
	h.url, h.addr = srv.URL, srv.Listener.Addr().String()
	h.sdk = sns.NewFromConfig(aws.Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *sns.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	return h
}

// run runs the delivery loop until the test ends or stop is called.
func (h *harness) run(t testing.TB) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		h.api.Run(ctx)
		close(done)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

type rawResult struct {
	Status        int
	Code, Message string
	Body          string
}

// raw sends an awsquery request with the given form parameters.
func (h *harness) raw(t testing.TB, action string, params url.Values) rawResult {
	t.Helper()
	vals := url.Values{}
	for k, v := range params {
		vals[k] = v
	}
	vals.Set("Action", action)
	vals.Set("Version", Version)
	resp, err := http.Post(h.url+"/", "application/x-www-form-urlencoded; charset=utf-8", strings.NewReader(vals.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e struct {
		Error struct{ Code, Message string }
	}
	xml.Unmarshal(b, &e)
	return rawResult{Status: resp.StatusCode, Code: e.Error.Code, Message: e.Error.Message, Body: string(b)}
}

func (h *harness) createTopic(t testing.TB, name string) string {
	t.Helper()
	out, err := h.sdk.CreateTopic(context.Background(), &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return *out.TopicArn
}

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

// eventually polls cond until it holds or five seconds pass.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ---------------------------------------------------------------- subscriber

// received is one POST a subscriber got.
type received struct {
	Header http.Header
	Body   string
	Msg    map[string]any // the JSON body, unless raw
}

// subscriber is an HTTP endpoint that behaves as an SNS subscriber
// should: it checks every message's signature against the certificate at
// SigningCertURL, and confirms subscriptions by visiting SubscribeURL.
type subscriber struct {
	t      testing.TB
	srv    *httptest.Server
	mu     sync.Mutex
	got    []received
	status int  // answer with this status (0: 200)
	manual bool // leave confirmations to the test
}

func newSubscriber(t testing.TB) *subscriber {
	s := &subscriber{t: t}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// newTLSSubscriber is a subscriber at an https URL; its server's Client
// trusts its certificate.
func newTLSSubscriber(t testing.TB) *subscriber {
	s := &subscriber{t: t}
	s.srv = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *subscriber) url() string { return s.srv.URL + "/sns" }

func (s *subscriber) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rec := received{Header: r.Header.Clone(), Body: string(b)}
	if r.Header.Get("x-amz-sns-rawdelivery") != "true" {
		if err := json.Unmarshal(b, &rec.Msg); err != nil {
			s.t.Errorf("subscriber got a body that is not JSON: %q", b)
		} else if err := verifySignature(rec.Msg); err != nil {
			s.t.Errorf("signature of %s does not verify: %v", rec.Msg["Type"], err)
		}
	}
	s.mu.Lock()
	s.got = append(s.got, rec)
	status, manual := s.status, s.manual
	s.mu.Unlock()
	if status != 0 {
		w.WriteHeader(status)
		return
	}
	if rec.Msg != nil && rec.Msg["Type"] == "SubscriptionConfirmation" && !manual {
		resp, err := http.Get(rec.Msg["SubscribeURL"].(string))
		if err != nil {
			s.t.Errorf("visit SubscribeURL: %v", err)
		} else {
			resp.Body.Close()
			if resp.StatusCode != 200 {
				s.t.Errorf("SubscribeURL answered %s", resp.Status)
			}
		}
	}
}

func (s *subscriber) setStatus(code int) {
	s.mu.Lock()
	s.status = code
	s.mu.Unlock()
}

func (s *subscriber) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

// ofType returns the messages of one type.
func (s *subscriber) ofType(typ string) []received {
	var out []received
	for _, m := range s.messages() {
		if m.Header.Get("x-amz-sns-message-type") == typ {
			out = append(out, m)
		}
	}
	return out
}

// verifySignature checks a message as AWS's documentation tells
// subscribers to: fetch the certificate, build the string to sign from
// the message's members, verify with SHA1 or SHA256 per SignatureVersion.
func verifySignature(m map[string]any) error {
	get := func(k string) (string, bool) {
		v, ok := m[k].(string)
		return v, ok
	}
	certURL, _ := get("SigningCertURL")
	resp, err := http.Get(certURL)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	pemBytes, _ := io.ReadAll(resp.Body)
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return fmt.Errorf("certificate at %s is not PEM", certURL)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return err
	}
	var keys []string
	if m["Type"] == "Notification" {
		keys = []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	} else {
		keys = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	}
	var sb strings.Builder
	for _, k := range keys {
		if v, ok := get(k); ok {
			sb.WriteString(k + "\n" + v + "\n")
		}
	}
	sig, err := base64.StdEncoding.DecodeString(m["Signature"].(string))
	if err != nil {
		return err
	}
	pub := cert.PublicKey.(*rsa.PublicKey)
	switch m["SignatureVersion"] {
	case "1":
		sum := sha1.Sum([]byte(sb.String()))
		return rsa.VerifyPKCS1v15(pub, crypto.SHA1, sum[:], sig)
	case "2":
		sum := sha256.Sum256([]byte(sb.String()))
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig)
	}
	return fmt.Errorf("unknown SignatureVersion %v", m["SignatureVersion"])
}
