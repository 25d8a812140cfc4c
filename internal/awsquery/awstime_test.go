package awsquery_test

import (
	"bytes"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"tide/internal/awsjson"
	"tide/internal/awsquery"
)

// datum is a shape shared by every protocol: its timestamps are
// awsjson.Time, which awsquery must treat exactly as time.Time.
type datum struct {
	Timestamp *awsjson.Time
	Plain     *time.Time
	Value     awsjson.Time
	Points    []awsjson.Time
}

func TestAWSJSONTimeDecode(t *testing.T) {
	when := time.Date(2024, 5, 1, 12, 0, 0, 250e6, time.UTC)
	cases := []struct {
		name  string
		query string
		want  datum
	}{
		{"iso with millis", "Timestamp=2024-05-01T12:00:00.250Z&Plain=2024-05-01T12:00:00.250Z",
			datum{Timestamp: &awsjson.Time{Time: when}, Plain: &when}},
		{"iso with zone", "Timestamp=2024-05-01T14:00:00.250%2B02:00", datum{Timestamp: &awsjson.Time{Time: when}}},
		{"epoch seconds", "Timestamp=1714564800.25", datum{Timestamp: &awsjson.Time{Time: when}}},
		{"not a pointer", "Value=2024-05-01T12:00:00.250Z", datum{Value: awsjson.Time{Time: when}}},
		{"list", "Points.member.1=2024-05-01T12:00:00.250Z&Points.member.2=1714564800.25",
			datum{Points: []awsjson.Time{{Time: when}, {Time: when}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vals, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			var got datum
			if err := awsquery.Decode(vals, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("decode (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAWSJSONTimeErrors checks that a bad timestamp is refused with the
// same error whichever type holds it.
func TestAWSJSONTimeErrors(t *testing.T) {
	for _, q := range []string{"Timestamp=yesterday", "Plain=yesterday"} {
		vals, _ := url.ParseQuery(q)
		var got datum
		var qe *awsquery.Error
		if err := awsquery.Decode(vals, &got); !errors.As(err, &qe) {
			t.Fatalf("%s: error %v, want *awsquery.Error", q, err)
		}
		if qe.Reason != "must be an ISO 8601 timestamp" {
			t.Fatalf("%s: reason %q", q, qe.Reason)
		}
	}
}

func TestAWSJSONTimeEncode(t *testing.T) {
	when := time.Date(2024, 5, 1, 14, 0, 0, 123456789, time.FixedZone("x", 7200))
	in := datum{Timestamp: &awsjson.Time{Time: when}, Plain: &when, Value: awsjson.Time{Time: when}, Points: []awsjson.Time{{Time: when}}}
	var buf bytes.Buffer
	if err := awsquery.Encode(&buf, in); err != nil {
		t.Fatal(err)
	}
	const ts = "2024-05-01T12:00:00.123Z"
	want := "<Timestamp>" + ts + "</Timestamp><Plain>" + ts + "</Plain><Value>" + ts + "</Value><Points><member>" + ts + "</member></Points>"
	if buf.String() != want {
		t.Fatalf("encode\n%s\nwant\n%s", buf.String(), want)
	}

	// Values (the client side) writes them the same way, and Decode reads
	// that back.
	vals := awsquery.Values(in)
	if got := vals.Get("Timestamp"); got != ts {
		t.Fatalf("Values Timestamp = %q", got)
	}
	var back datum
	if err := awsquery.Decode(vals, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Timestamp.Equal(when.Truncate(time.Millisecond)) || !back.Value.Equal(when.Truncate(time.Millisecond)) {
		t.Fatalf("round trip: %v %v", back.Timestamp, back.Value)
	}
}
