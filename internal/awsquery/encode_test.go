package awsquery_test

import (
	"bytes"
	"testing"
	"time"

	"tide/internal/awsquery"
)

type state struct {
	Code   string
	Reason *string
}

type balancer struct {
	LoadBalancerName *string
	CreatedTime      *time.Time
	State            *state
	SecurityGroups   []string
	Zones            []string
	Port             int32
	Weight           int32 `query:",omitempty"`
	Enabled          bool
	Attrs            map[string]string
	Flat             []string `query:"Item,flat"`
	Ratio            float64
}

func TestEncode(t *testing.T) {
	when := time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.FixedZone("x", 3600))
	out := struct {
		LoadBalancers []balancer
		NextMarker    *string
		Empty         []balancer
	}{
		LoadBalancers: []balancer{{
			LoadBalancerName: s("a<&>b"), CreatedTime: &when, State: &state{Code: "active"},
			SecurityGroups: []string{"sg-1", "sg-2"}, Zones: []string{}, Port: 80, Enabled: true,
			Attrs: map[string]string{"b": "2", "a": "1"}, Flat: []string{"x", "y"}, Ratio: 0.25,
		}},
		Empty: []balancer{},
	}
	var buf bytes.Buffer
	if err := awsquery.Encode(&buf, &out); err != nil {
		t.Fatal(err)
	}
	want := `<LoadBalancers><member><LoadBalancerName>a&lt;&amp;&gt;b</LoadBalancerName>` +
		`<CreatedTime>2024-05-01T11:00:00.123Z</CreatedTime><State><Code>active</Code></State>` +
		`<SecurityGroups><member>sg-1</member><member>sg-2</member></SecurityGroups><Zones></Zones>` +
		`<Port>80</Port><Enabled>true</Enabled>` +
		`<Attrs><entry><key>a</key><value>1</value></entry><entry><key>b</key><value>2</value></entry></Attrs>` +
		`<Item>x</Item><Item>y</Item><Ratio>0.25</Ratio></member></LoadBalancers><Empty></Empty>`
	if got := buf.String(); got != want {
		t.Fatalf("Encode =\n%s\nwant\n%s", got, want)
	}
}

func TestEnvelopes(t *testing.T) {
	var buf bytes.Buffer
	if err := awsquery.WriteResult(&buf, "http://ns/", "DeleteThing", "req-1", &struct{}{}); err != nil {
		t.Fatal(err)
	}
	want := `<DeleteThingResponse xmlns="http://ns/"><DeleteThingResult></DeleteThingResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></DeleteThingResponse>`
	if buf.String() != want {
		t.Fatalf("WriteResult =\n%s\nwant\n%s", buf.String(), want)
	}
	buf.Reset()
	awsquery.WriteError(&buf, "http://ns/", "Sender", "ThingNotFound", `no "thing" <here>`, "req-2")
	want = `<ErrorResponse xmlns="http://ns/"><Error><Type>Sender</Type><Code>ThingNotFound</Code><Message>no &#34;thing&#34; &lt;here&gt;</Message></Error><RequestId>req-2</RequestId></ErrorResponse>`
	if buf.String() != want {
		t.Fatalf("WriteError =\n%s\nwant\n%s", buf.String(), want)
	}
}
