package rpcv2_test

import (
	"encoding/hex"
	"fmt"
	"math"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"tide/internal/awsjson"
	"tide/internal/rpcv2"
)

// The shapes of a PutMetricData-like input, tagged as the services' shapes
// are (json tags with omitempty).

type dimension struct {
	Name  *string `json:"Name,omitempty"`
	Value *string `json:"Value,omitempty"`
}

type statistics struct {
	SampleCount *float64 `json:"SampleCount,omitempty"`
	Sum         *float64 `json:"Sum,omitempty"`
	Minimum     *float64 `json:"Minimum,omitempty"`
	Maximum     *float64 `json:"Maximum,omitempty"`
}

type datum struct {
	MetricName        *string       `json:"MetricName,omitempty"`
	Dimensions        []dimension   `json:"Dimensions,omitempty"`
	Timestamp         *awsjson.Time `json:"Timestamp,omitempty"`
	Value             *float64      `json:"Value,omitempty"`
	StatisticValues   *statistics   `json:"StatisticValues,omitempty"`
	Values            []float64     `json:"Values,omitempty"`
	Counts            []float64     `json:"Counts,omitempty"`
	Unit              *string       `json:"Unit,omitempty"`
	StorageResolution *int32        `json:"StorageResolution,omitempty"`
}

type putInput struct {
	Namespace  *string `json:"Namespace,omitempty"`
	MetricData []datum `json:"MetricData,omitempty"`
}

type Embedded struct {
	Inner  string
	Shadow string
}

// kitchen has a member of every kind the codec handles.
type kitchen struct {
	Put        *putInput
	Blob       []byte
	Attributes map[string]string
	Counts     map[string]*int64
	Plain      time.Time
	PlainPtr   *time.Time
	Small      int8
	Big        int64
	Unsigned   uint16
	Single     float32
	Flag       bool
	Text       string
	Renamed    string       `json:"other"`
	Skipped    string       `json:"-"`
	Empty      string       `json:",omitempty"`
	ZeroTime   awsjson.Time `json:",omitzero"`
	Doc        any
	Fixed      [2]string
	Nested     *kitchen
	Shadow     string
	Embedded
	unexported int
}

func ptr[T any](v T) *T { return &v }

func fullKitchen() kitchen {
	when := awsjson.Time{Time: time.Date(2026, 11, 22, 10, 0, 0, 123e6, time.UTC)}
	return kitchen{
		Put: &putInput{Namespace: ptr("Tide/Test"), MetricData: []datum{
			{MetricName: ptr("Latency"), Dimensions: []dimension{{Name: ptr("Service"), Value: ptr("web")}},
				Timestamp: &when, Value: ptr(0.1), Unit: ptr("Seconds"), StorageResolution: ptr(int32(1))},
			{MetricName: ptr("Requests"), Values: []float64{1, 2.5, math.MaxFloat64}, Counts: []float64{3, 1, 1},
				StatisticValues: &statistics{SampleCount: ptr(5.0), Sum: ptr(-7.25), Minimum: ptr(-1e300), Maximum: ptr(1e300)}},
		}},
		Blob:       []byte{0, 1, 0xff},
		Attributes: map[string]string{"b": "2", "a": "1", "": "empty key"},
		Counts:     map[string]*int64{"n": ptr(int64(math.MinInt64)), "nil": nil},
		Plain:      time.Unix(-1, 0).UTC(),
		PlainPtr:   ptr(time.Unix(1700000000, 0).UTC()),
		Small:      -128,
		Big:        math.MaxInt64,
		Unsigned:   65535,
		Single:     1.5,
		Flag:       true,
		Text:       "héllo, 水",
		Renamed:    "renamed",
		Doc:        map[string]any{"list": []any{int64(1), "two", 3.5, true, nil}},
		Fixed:      [2]string{"x", "y"},
		Nested:     &kitchen{Text: "inner", Doc: []any{}},
		Shadow:     "outer",
		Embedded:   Embedded{Inner: "promoted"},
	}
}

func TestRoundTrip(t *testing.T) {
	in := fullKitchen()
	b, err := rpcv2.Marshal(&in)
	if err != nil {
		t.Fatal(err)
	}
	var out kitchen
	if err := rpcv2.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	// The shadowed embedded member is not on the wire (the outer name wins);
	// a nil map value comes back as nil.
	if diff := cmp.Diff(in, out, cmpopts.IgnoreUnexported(kitchen{})); diff != "" {
		t.Fatalf("round trip (-in +out):\n%s", diff)
	}
}

// TestEncodeMembers checks member names and which members are left out,
// by reading the encoding back as a generic map.
func TestEncodeMembers(t *testing.T) {
	b, err := rpcv2.Marshal(kitchen{Text: "t", Skipped: "s", Embedded: Embedded{Inner: "i", Shadow: "lost"}, Fixed: [2]string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	var got any
	if err := rpcv2.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"Plain": time.Time{}.UTC(), "Small": int64(0), "Big": int64(0), "Unsigned": int64(0),
		"Single": 0.0, "Flag": false, "Text": "t", "other": "", "Fixed": []any{"a", "b"},
		"Shadow": "", "Inner": "i",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("members (-want +got):\n%s", diff)
	}
}

func TestEncodeScalars(t *testing.T) {
	cases := []struct {
		v   any
		hex string
	}{
		// Doubles are float32 when exact.
		{1.5, "fa3fc00000"}, {0.1, "fb3fb999999999999a"}, {float32(0.1), "fa3dcccccd"},
		{math.NaN(), "fb7ff8000000000001"},
		// Timestamps: whole seconds are integers, else milliseconds in a float64.
		{awsjson.Time{Time: time.Unix(1700000000, 0)}, "c11a6553f100"},
		{awsjson.Time{Time: time.Unix(1700000000, 123456789)}, "c1fb" + hex.EncodeToString(byteOrder(math.Float64bits(1700000000.123)))},
		{time.Unix(-1, 0), "c120"},
		{&awsjson.Time{Time: time.Unix(0, 0)}, "c100"},
		// Invalid UTF-8 is replaced, as encoding/json does.
		{"a\xffb", "6561efbfbd62"},
		{[]byte(nil), "f6"}, {(*int)(nil), "f6"}, {map[string]int(nil), "f6"}, {[]int(nil), "f6"},
		{[]*int{nil, ptr(1)}, "82f601"},
	}
	for _, tc := range cases {
		got, err := rpcv2.Marshal(tc.v)
		if err != nil {
			t.Fatalf("%#v: %v", tc.v, err)
		}
		want := tc.hex
		if f, ok := tc.v.(float64); ok && math.IsNaN(f) {
			want = hex.EncodeToString(append([]byte{0xfb}, byteOrder(math.Float64bits(f))...))
		}
		if hex.EncodeToString(got) != want {
			t.Errorf("%#v: %x, want %s", tc.v, got, want)
		}
	}
}

func byteOrder(u uint64) []byte {
	b := make([]byte, 8)
	for i := range b {
		b[i] = byte(u >> (56 - 8*i))
	}
	return b
}

// TestEncodeMemberCount checks the map head of structs around the limits
// of each head size, where the encoder widens the head it reserved.
func TestEncodeMemberCount(t *testing.T) {
	for _, n := range []int{0, 1, 23, 24, 255, 256, 300} {
		fields := make([]reflect.StructField, n)
		want := map[string]any{}
		for i := range fields {
			name := fmt.Sprintf("F%d", i)
			fields[i] = reflect.StructField{Name: name, Type: reflect.TypeFor[int]()}
			want[name] = int64(i)
		}
		v := reflect.New(reflect.StructOf(fields)).Elem()
		for i := range n {
			v.Field(i).SetInt(int64(i))
		}
		b, err := rpcv2.Marshal(v.Interface())
		if err != nil {
			t.Fatal(err)
		}
		var got any
		if err := rpcv2.Unmarshal(b, &got); err != nil {
			t.Fatalf("%d members: %v", n, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%d members (-want +got):\n%s", n, diff)
		}
	}
}

func TestUnsupportedTypes(t *testing.T) {
	if _, err := rpcv2.Marshal(struct{ C chan int }{make(chan int)}); err == nil {
		t.Fatal("encoding a channel did not fail")
	}
	if _, err := rpcv2.Marshal(map[int]string{1: "x"}); err == nil {
		t.Fatal("encoding a map with integer keys did not fail")
	}
	// A nil channel member is left out like any nil member.
	if _, err := rpcv2.Marshal(struct{ C chan int }{}); err != nil {
		t.Fatal(err)
	}
	if err := rpcv2.Unmarshal([]byte{0xa1, 0x61, 'C', 0x01}, &struct{ C chan int }{}); err == nil {
		t.Fatal("decoding into a channel did not fail")
	}
	if err := rpcv2.Unmarshal([]byte{0xa0}, struct{}{}); err == nil {
		t.Fatal("decoding into a non-pointer did not fail")
	}
}

// TestConcurrentFirstUse builds the plan of a recursive type from many
// goroutines at once (run with -race).
func TestConcurrentFirstUse(t *testing.T) {
	type node struct {
		Name string
		Kids []node
	}
	in := node{Name: "a", Kids: []node{{Name: "b", Kids: []node{{Name: "c"}}}}}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			b, err := rpcv2.Marshal(in)
			if err != nil {
				t.Error(err)
				return
			}
			var out node
			if err := rpcv2.Unmarshal(b, &out); err != nil {
				t.Error(err)
				return
			}
			if diff := cmp.Diff(in, out, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-in +out):\n%s", diff)
			}
		})
	}
	wg.Wait()
}
