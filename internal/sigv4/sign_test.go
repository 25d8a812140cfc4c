package sigv4

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSignVerifies(t *testing.T) {
	now := time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)
	v := &Verifier{Secret: func(id string) (string, bool) { return "s3cr3t", id == "AKIDTEST" }, Region: "us-east-1", Now: func() time.Time { return now }}
	for _, target := range []string{"http://127.0.0.1:4566/_tide/agent/v1/poll", "http://h:1/a%20b/c?x=1&y=two%2Fthree&x=0"} {
		body := []byte(`{"cluster":"default"}`)
		r, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(string(body)))
		if err := Sign(r, body, "AKIDTEST", "s3cr3t", "us-east-1", "tide", now); err != nil {
			t.Fatal(err)
		}
		id, err := v.Verify(r, body)
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		if id.AccessKeyID != "AKIDTEST" || id.Service != "tide" {
			t.Fatalf("identity %+v", id)
		}
		if _, err := v.Verify(r, []byte(`{"cluster":"other"}`)); err == nil {
			t.Fatal("tampered body verified")
		}
	}
}
