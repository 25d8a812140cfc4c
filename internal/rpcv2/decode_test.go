package rpcv2_test

import (
	"bytes"
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"tide/internal/awserr"
	"tide/internal/awsjson"
	"tide/internal/rpcv2"
)

// Helpers that write CBOR by hand, for inputs the encoder never produces.

func hd(major byte, n uint64) []byte {
	switch {
	case n < 24:
		return []byte{major<<5 | byte(n)}
	case n < 1<<8:
		return []byte{major<<5 | 24, byte(n)}
	case n < 1<<16:
		return []byte{major<<5 | 25, byte(n >> 8), byte(n)}
	case n < 1<<32:
		return []byte{major<<5 | 26, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	}
	return append([]byte{major<<5 | 27}, byteOrder(n)...)
}

func tx(s string) []byte { return append(hd(3, uint64(len(s))), s...) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func f64(f float64) []byte { return append([]byte{0xfb}, byteOrder(math.Float64bits(f))...) }

var (
	indefMap  = []byte{0xbf}
	indefList = []byte{0x9f}
	brk       = []byte{0xff}
	null      = []byte{0xf6}
)

// TestDecodeAccepts decodes what clients may send beyond what this encoder
// writes: indefinite lengths (the Go SDK's), other number widths, tags,
// nulls, unknown and repeated members.
func TestDecodeAccepts(t *testing.T) {
	when := awsjson.Time{Time: time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC)}
	whenMs := awsjson.Time{Time: when.Add(250 * time.Millisecond)}
	cases := []struct {
		name string
		in   []byte
		want putInput
	}{
		{"go sdk style", cat(indefMap, tx("Namespace"), tx("ns"), tx("MetricData"), indefList,
			indefMap, tx("MetricName"), tx("m"), tx("Value"), f64(2.5), tx("Timestamp"), []byte{0xc1}, f64(1700000000.25),
			tx("Dimensions"), indefList, indefMap, tx("Name"), tx("a"), tx("Value"), tx("b"), brk, brk, brk, brk, brk),
			putInput{Namespace: ptr("ns"), MetricData: []datum{{MetricName: ptr("m"), Value: ptr(2.5), Timestamp: &whenMs,
				Dimensions: []dimension{{Name: ptr("a"), Value: ptr("b")}}}}}},
		{"botocore style", cat(hd(5, 1), tx("MetricData"), hd(4, 1), hd(5, 3), tx("Timestamp"), []byte{0xc1}, hd(0, 1700000000),
			tx("Values"), hd(4, 2), f64(1), []byte{0xf9, 0x7c, 0x00}, tx("StorageResolution"), hd(0, 60)),
			putInput{MetricData: []datum{{Timestamp: &when, Values: []float64{1, math.Inf(1)}, StorageResolution: ptr(int32(60))}}}},
		{"numbers of other widths", cat(hd(5, 1), tx("MetricData"), hd(4, 1), hd(5, 3),
			tx("Value"), hd(1, 4), tx("StorageResolution"), []byte{0xf9, 0x3c, 0x00}, tx("Counts"), hd(4, 2), []byte{0xfa, 0x3f, 0xc0, 0, 0}, hd(0, 1000)),
			putInput{MetricData: []datum{{Value: ptr(-5.0), StorageResolution: ptr(int32(1)), Counts: []float64{1.5, 1000}}}}},
		{"untagged and tagged timestamps", cat(hd(5, 1), tx("MetricData"), hd(4, 3),
			hd(5, 1), tx("Timestamp"), hd(0, 1700000000),
			hd(5, 1), tx("Timestamp"), []byte{0xc1, 0xfa}, byteOrder(uint64(math.Float32bits(1e9)) << 32)[:4],
			hd(5, 1), tx("Timestamp"), []byte{0xc1}, hd(1, 0)),
			putInput{MetricData: []datum{{Timestamp: &when}, {Timestamp: &awsjson.Time{Time: time.Unix(1e9, 0).UTC()}},
				{Timestamp: &awsjson.Time{Time: time.Unix(-1, 0).UTC()}}}}},
		{"nulls and undefined are absent", cat(hd(5, 2), tx("Namespace"), null, tx("MetricData"), hd(4, 2), null, hd(5, 1), tx("Value"), []byte{0xf7}),
			putInput{MetricData: []datum{{}, {}}}},
		{"unknown members are skipped", cat(hd(5, 3), tx("Bogus"), indefMap, tx("x"), indefList, hd(0, 1), hd(5, 1), tx("y"), hd(2, 0), brk, brk,
			tx("Other"), []byte{0xc2, 0x42, 1, 2}, tx("Namespace"), tx("n")),
			putInput{Namespace: ptr("n")}},
		{"repeated members: the last wins", cat(hd(5, 2), tx("Namespace"), tx("a"), tx("Namespace"), tx("b")), putInput{Namespace: ptr("b")}},
		{"tags before values are skipped", cat(hd(5, 1), tx("Namespace"), []byte{0xd8, 0x20}, tx("n")), putInput{Namespace: ptr("n")}},
		{"chunked strings", cat(hd(5, 1), tx("Namespace"), []byte{0x7f}, tx("ab"), tx(""), tx("c"), brk), putInput{Namespace: ptr("abc")}},
		{"chunked key", cat(hd(5, 1), []byte{0x7f}, tx("Name"), tx("space"), brk, tx("n")), putInput{Namespace: ptr("n")}},
		{"empty map", []byte{0xa0}, putInput{}},
		{"null", null, putInput{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got putInput
			if err := rpcv2.Unmarshal(tc.in, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

type scalars struct {
	Count int32
	Big   int64
	Small uint8
	Ratio float32
	Flag  bool
	Name  string
	Blob  []byte
	When  *awsjson.Time
	List  []int
	Map   map[string]int
	Inner *struct{ Deep []string }
	Doc   any
}

func member(name string, v []byte) []byte { return cat(hd(5, 1), tx(name), v) }

// TestDecodeErrors checks that bad input is a SerializationException that
// says what is wrong and where.
func TestDecodeErrors(t *testing.T) {
	deep := cat(bytes.Repeat([]byte{0x81}, 200), hd(0, 1))
	cases := []struct {
		name string
		in   []byte
		msg  string
	}{
		{"empty", nil, "unexpected end of CBOR data"},
		{"truncated head", []byte{0x19, 0x01}, "unexpected end"},
		{"truncated map", []byte{0xa1, 0x61, 'a'}, "unexpected end"},
		{"truncated string", member("Name", []byte{0x65, 'a'}), "unexpected end"},
		{"unterminated indefinite map", []byte{0xbf, 0x61, 'a', 0x01}, "unexpected end"},
		{"reserved additional information", member("Count", []byte{0x1c}), "reserved additional information 28"},
		{"indefinite integer", member("Count", []byte{0x1f}), "indefinite length on major type 0"},
		{"indefinite tag", member("Other", []byte{0xdf}), "indefinite length on major type 6"},
		{"bad chunk", member("Blob", cat([]byte{0x5f}, tx("a"), brk)), "chunk of an indefinite-length string"},
		{"nested chunk", member("Name", []byte{0x7f, 0x7f, 0xff, 0xff}), "chunk of an indefinite-length string"},
		{"stray break", []byte{0xff}, "break can not be converted to Structure"},
		{"stray break in skipped member", member("Other", []byte{0xff}), "unexpected break"},
		{"two-byte simple value", member("Other", []byte{0xf8, 0x10}), "simple value 16 in two bytes"},
		{"too deep", member("Other", deep), "nesting deeper than 100 levels"},
		{"too deep in a document", member("Doc", deep), "nesting deeper than 100 levels"},
		{"trailing bytes", []byte{0xa0, 0x00}, "unexpected data after the CBOR item at byte 1"},
		{"not a map", []byte{0x80}, "array can not be converted to Structure"},
		{"integer key", []byte{0xa1, 0x01, 0x02}, "unsigned integer can not be a map key"},
		{"string for integer", member("Count", tx("x")), "text string can not be converted to Integer at Count"},
		{"fraction for integer", member("Count", f64(1.5)), "1.5 can not be converted to Integer at Count"},
		{"integer out of range", member("Count", hd(0, 1<<31)), "2147483648 is out of range for Integer at Count"},
		{"negative out of range", member("Big", []byte{0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), "is out of range for Long at Big"},
		{"unsigned out of range", member("Small", hd(0, 256)), "256 is out of range for Integer at Small"},
		{"negative for unsigned", member("Small", hd(1, 0)), "-1 is out of range for Integer at Small"},
		{"float out of range", member("Ratio", f64(1e300)), "1e+300 is out of range for Float at Ratio"},
		{"number for boolean", member("Flag", hd(0, 1)), "unsigned integer can not be converted to Boolean at Flag"},
		{"bytes for string", member("Name", hd(2, 0)), "byte string can not be converted to String at Name"},
		{"invalid UTF-8", member("Name", []byte{0x61, 0xff}), "text string is not valid UTF-8 at Name"},
		{"string for blob", member("Blob", tx("x")), "text string can not be converted to Blob at Blob"},
		{"wrong tag for time", member("When", []byte{0xc0, 0x61, 'x'}), "tag 0 can not be converted to Timestamp at When"},
		{"string for time", member("When", tx("2024")), "text string can not be converted to Timestamp at When"},
		{"time out of range", member("When", []byte{0xc1, 0x1b, 0, 0, 0x10, 0, 0, 0, 0, 0}), "out of range for Timestamp at When"},
		{"NaN time", member("When", []byte{0xc1, 0xf9, 0x7e, 0x00}), "NaN is out of range for Timestamp at When"},
		{"bad list item", member("List", cat(hd(4, 2), hd(0, 1), tx("x"))), "text string can not be converted to Integer at List[1]"},
		{"map for list", member("List", hd(5, 0)), "map can not be converted to List at List"},
		{"bad map value", member("Map", cat(hd(5, 1), tx("k"), tx("v"))), `text string can not be converted to Integer at Map["k"]`},
		{"deep path", member("Inner", member("Deep", cat(hd(4, 1), hd(0, 1)))), "unsigned integer can not be converted to String at Inner.Deep[0]"},
		{"huge array claim", member("List", []byte{0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), "unexpected end"},
		{"huge map claim", member("Map", []byte{0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), "unexpected end"},
		{"huge string claim", member("Name", []byte{0x7b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), "unexpected end"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got scalars
			err := rpcv2.Unmarshal(tc.in, &got)
			var ae *awserr.Error
			if !errors.As(err, &ae) {
				t.Fatalf("error %v (%T), want *awserr.Error", err, err)
			}
			if ae.Code != "SerializationException" || ae.Status != http.StatusBadRequest || !strings.Contains(ae.Message, tc.msg) {
				t.Fatalf("error %s %d %q, want SerializationException 400 containing %q", ae.Code, ae.Status, ae.Message, tc.msg)
			}
		})
	}
}
