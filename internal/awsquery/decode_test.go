package awsquery_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"tide/internal/awsquery"
)

type tag struct {
	Key   *string
	Value *string
}

type condition struct {
	Field             *string
	Values            []string
	PathPatternConfig *struct{ Values []string }
}

type input struct {
	Name       *string
	Port       *int32
	Big        *int64
	Ratio      *float64
	Enabled    *bool
	When       *time.Time
	Blob       []byte
	Names      []string
	Tags       []tag
	Conditions []condition
	Attributes map[string]string
	Flat       []string       `query:"Item,flat"`
	Renamed    *string        `query:"Other"`
	Counts     map[string]int `query:"Counts,entry=e,key=k,value=v"`
	Nested     *struct{ Inner *struct{ Deep *string } }
	Skipped    string `query:"-"`
	Plain      string
	Number     int
}

func s(v string) *string { return &v }

func TestDecode(t *testing.T) {
	when := time.Date(2024, 5, 1, 12, 0, 0, 250e6, time.UTC)
	i32 := int32(80)
	i64 := int64(1) << 40
	f := 0.5
	yes := true
	cases := []struct {
		name  string
		query string
		want  input
	}{
		{"empty", "", input{}},
		{"envelope is skipped", "Action=X&Version=2015-12-01", input{}},
		{"scalars", "Name=web&Port=80&Big=1099511627776&Ratio=0.5&Enabled=true&When=2024-05-01T12:00:00.250Z&Blob=aGk%3D&Plain=p&Number=-3",
			input{Name: s("web"), Port: &i32, Big: &i64, Ratio: &f, Enabled: &yes, When: &when, Blob: []byte("hi"), Plain: "p", Number: -3}},
		{"bool is case-insensitive", "Enabled=True", input{Enabled: &yes}},
		{"time without fraction or zone", "When=2024-05-01T12:00:00.25", input{When: &when}},
		{"time as epoch seconds", "When=1714564800.25", input{When: &when}},
		{"empty string", "Name=", input{Name: s("")}},
		{"list", "Names.member.2=b&Names.member.1=a&Names.member.3=c", input{Names: []string{"a", "b", "c"}}},
		{"empty list", "Names=", input{Names: []string{}}},
		{"list of structures", "Tags.member.1.Key=k1&Tags.member.1.Value=v1&Tags.member.2.Key=k2",
			input{Tags: []tag{{Key: s("k1"), Value: s("v1")}, {Key: s("k2")}}}},
		{"nested lists", "Conditions.member.1.Field=path-pattern&Conditions.member.1.PathPatternConfig.Values.member.1=/a&Conditions.member.1.PathPatternConfig.Values.member.2=/b",
			input{Conditions: []condition{{Field: s("path-pattern"), PathPatternConfig: &struct{ Values []string }{Values: []string{"/a", "/b"}}}}}},
		{"map", "Attributes.entry.1.key=a&Attributes.entry.1.value=1&Attributes.entry.2.key=b&Attributes.entry.2.value=2",
			input{Attributes: map[string]string{"a": "1", "b": "2"}}},
		{"map entry without value", "Attributes.entry.1.key=a", input{Attributes: map[string]string{"a": ""}}},
		{"map with renamed parts", "Counts.e.1.k=x&Counts.e.1.v=7", input{Counts: map[string]int{"x": 7}}},
		{"empty map", "Attributes=", input{Attributes: map[string]string{}}},
		{"flat list", "Item.1=a&Item.2=b", input{Flat: []string{"a", "b"}}},
		{"renamed", "Other=x", input{Renamed: s("x")}},
		{"deep", "Nested.Inner.Deep=d", input{Nested: &struct{ Inner *struct{ Deep *string } }{Inner: &struct{ Deep *string }{Deep: s("d")}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vals, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			var got input
			if err := awsquery.Decode(vals, &got); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Fatalf("-want +got:\n%s", d)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct{ query, param, msg string }{
		{"Unknown=1", "Unknown", "The parameter Unknown is not recognized"},
		{"name=web", "name", "not recognized"}, // names are case-sensitive
		{"Port=abc", "Port", "Invalid value 'abc' for parameter Port: must be an integer of 32 bits"},
		{"Port=99999999999", "Port", "32 bits"},
		{"Port=1.5", "Port", "integer"},
		{"Ratio=x", "Ratio", "must be a number"},
		{"Enabled=yes", "Enabled", "must be true or false"},
		{"When=yesterday", "When", "ISO 8601"},
		{"Blob=!!", "Blob", "base64"},
		{"Name=a&Name=b", "Name", "repeated"},
		{"Name.x=a", "Name.x", "not recognized"},
		{"Names.member.2=b", "Names.member.2", "out of sequence"},
		{"Names.member.1=a&Names.member.3=c", "Names.member.3", "out of sequence"},
		{"Names.member.0=a", "Names.member.0", "not recognized"},
		{"Names.member.01=a", "Names.member.01", "not recognized"},
		{"Names.member.-1=a", "Names.member.-1", "not recognized"},
		{"Names.member.x=a", "Names.member.x", "not recognized"},
		{"Names.1=a", "Names.1", "not recognized"},
		{"Names.member=a", "Names.member", "numbered"},
		{"Names=a", "Names", "takes members"},
		{"Names=&Names.member.1=a", "Names", "takes members"},
		{"Tags.member.1.Nope=x", "Tags.member.1.Nope", "not recognized"},
		{"Tags.member.1=x", "Tags.member.1", "a structure takes members"},
		{"Attributes.entry.1.value=v", "Attributes.entry.1.key", "is missing"},
		{"Attributes.entry.1.key=a&Attributes.entry.2.key=a", "Attributes.entry.2.key", "repeated"},
		{"Attributes.entry.1.other=a", "Attributes.entry.1.other", "not recognized"},
		{"Attributes.member.1.key=a", "Attributes.member.1.key", "not recognized"},
		{"Nested.Inner=x", "Nested.Inner", "a structure takes members"},
		{"Name..x=1", "Name..x", "not recognized"},
		{".=1", ".", "not recognized"},
		{"Skipped=1", "Skipped", "not recognized"},
		{"Item.member.1=a", "Item.member.1", "not recognized"},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			vals, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			var got input
			err = awsquery.Decode(vals, &got)
			var qe *awsquery.Error
			if !errors.As(err, &qe) {
				t.Fatalf("err = %v, want *awsquery.Error", err)
			}
			if qe.Param != tc.param || !strings.Contains(qe.Error(), tc.msg) {
				t.Fatalf("error %q on %q, want on %q containing %q", qe.Error(), qe.Param, tc.param, tc.msg)
			}
		})
	}
}

func TestDecodeNeedsStructPointer(t *testing.T) {
	var x input
	for _, v := range []any{x, nil, new(int), (*input)(nil)} {
		if err := awsquery.Decode(url.Values{}, v); err == nil {
			t.Errorf("Decode(%T) = nil error", v)
		}
	}
}

// TestValuesRoundTrip checks that Values flattens as Decode expects: the
// SDKs' serialization and ours agree.
func TestValuesRoundTrip(t *testing.T) {
	when := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	in := input{
		Name: s("web"), When: &when, Names: []string{"a", "b"}, Tags: []tag{{Key: s("k"), Value: s("")}},
		Conditions: []condition{{Field: s("host-header"), Values: []string{}}},
		Attributes: map[string]string{"x": "1", "y": "2"}, Flat: []string{"f"}, Counts: map[string]int{"c": 1},
		Plain: "p", Number: 4, Blob: []byte{0, 1},
	}
	vals := awsquery.Values(&in)
	want := url.Values{
		"Name": {"web"}, "When": {"2024-05-01T12:00:00.000Z"}, "Names.member.1": {"a"}, "Names.member.2": {"b"},
		"Tags.member.1.Key": {"k"}, "Tags.member.1.Value": {""}, "Conditions.member.1.Field": {"host-header"},
		"Conditions.member.1.Values": {""}, "Attributes.entry.1.key": {"x"}, "Attributes.entry.1.value": {"1"},
		"Attributes.entry.2.key": {"y"}, "Attributes.entry.2.value": {"2"}, "Item.1": {"f"},
		"Counts.e.1.k": {"c"}, "Counts.e.1.v": {"1"}, "Plain": {"p"}, "Number": {"4"}, "Blob": {"AAE="},
	}
	if d := cmp.Diff(want, vals); d != "" {
		t.Fatalf("Values -want +got:\n%s", d)
	}
	var out input
	if err := awsquery.Decode(vals, &out); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(in, out); d != "" {
		t.Fatalf("round trip -want +got:\n%s", d)
	}
}

// FuzzDecode feeds arbitrary query strings to Decode: it returns nil or an
// *Error, never panics, and whatever it accepts survives a round trip
// through Values.
func FuzzDecode(f *testing.F) {
	for _, q := range []string{
		"", "Name=x&Port=1", "Names.member.1=a&Names.member.2=b", "Tags.member.1.Key=k&Tags.member.1.Value=v",
		"Attributes.entry.1.key=a&Attributes.entry.1.value=b", "Conditions.member.1.PathPatternConfig.Values.member.1=/",
		"Item.1=x", "Names=", "When=2024-01-01T00:00:00Z", "Nested.Inner.Deep=1", "Port=x", "Names.member.9=a",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		vals, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		var in input
		err = awsquery.Decode(vals, &in)
		if err != nil {
			var qe *awsquery.Error
			if !errors.As(err, &qe) {
				t.Fatalf("error %v is not an *awsquery.Error", err)
			}
			return
		}
		var again input
		if err := awsquery.Decode(awsquery.Values(&in), &again); err != nil {
			t.Fatalf("re-decoding %q: %v", q, err)
		}
	})
}
