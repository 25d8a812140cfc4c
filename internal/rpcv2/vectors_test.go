package rpcv2_test

import (
	"encoding/hex"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"tide/internal/rpcv2"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func oneTo25() []any {
	out := make([]any, 25)
	for i := range out {
		out[i] = int64(i + 1)
	}
	return out
}

// TestDecodeAppendixA decodes the examples of RFC 8949 appendix A into
// any. Tags other than 1 are skipped (their content is decoded), maps with
// non-text keys are refused (Smithy keys are text).
func TestDecodeAppendixA(t *testing.T) {
	cases := []struct {
		hex  string
		want any
	}{
		{"00", int64(0)}, {"01", int64(1)}, {"0a", int64(10)}, {"17", int64(23)}, {"1818", int64(24)},
		{"1819", int64(25)}, {"1864", int64(100)}, {"1903e8", int64(1000)}, {"1a000f4240", int64(1000000)},
		{"1b000000e8d4a51000", int64(1000000000000)}, {"1bffffffffffffffff", uint64(math.MaxUint64)},
		{"c249010000000000000000", []byte{1, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"20", int64(-1)}, {"29", int64(-10)}, {"3863", int64(-100)}, {"3903e7", int64(-1000)},
		{"f90000", 0.0}, {"f98000", math.Copysign(0, -1)}, {"f93c00", 1.0}, {"fb3ff199999999999a", 1.1},
		{"f93e00", 1.5}, {"f97bff", 65504.0}, {"fa47c35000", 100000.0}, {"fa7f7fffff", 3.4028234663852886e+38},
		{"fb7e37e43c8800759c", 1.0e+300}, {"f90001", 5.960464477539063e-8}, {"f90400", 0.00006103515625},
		{"f9c400", -4.0}, {"fbc010666666666666", -4.1},
		{"f97c00", math.Inf(1)}, {"f97e00", math.NaN()}, {"f9fc00", math.Inf(-1)},
		{"fa7f800000", math.Inf(1)}, {"fa7fc00000", math.NaN()}, {"faff800000", math.Inf(-1)},
		{"fb7ff0000000000000", math.Inf(1)}, {"fb7ff8000000000000", math.NaN()}, {"fbfff0000000000000", math.Inf(-1)},
		{"f4", false}, {"f5", true}, {"f6", nil}, {"f7", nil},
		{"c074323031332d30332d32315432303a30343a30305a", "2013-03-21T20:04:00Z"},
		{"c11a514b67b0", time.Unix(1363896240, 0).UTC()},
		{"c1fb41d452d9ec200000", time.Unix(1363896240, 5e8).UTC()},
		{"d74401020304", []byte{1, 2, 3, 4}},
		{"d818456449455446", []byte("dIETF")},
		{"d82076687474703a2f2f7777772e6578616d706c652e636f6d", "http://www.example.com"},
		{"40", []byte{}}, {"4401020304", []byte{1, 2, 3, 4}},
		{"60", ""}, {"6161", "a"}, {"6449455446", "IETF"}, {"62225c", "\"\\"}, {"62c3bc", "ü"},
		{"63e6b0b4", "水"}, {"64f0908591", "𐅑"},
		{"80", []any{}}, {"83010203", []any{int64(1), int64(2), int64(3)}},
		{"8301820203820405", []any{int64(1), []any{int64(2), int64(3)}, []any{int64(4), int64(5)}}},
		{"98190102030405060708090a0b0c0d0e0f101112131415161718181819", oneTo25()},
		{"a0", map[string]any{}},
		{"a26161016162820203", map[string]any{"a": int64(1), "b": []any{int64(2), int64(3)}}},
		{"826161a161626163", []any{"a", map[string]any{"b": "c"}}},
		{"a56161614161626142616361436164614461656145", map[string]any{"a": "A", "b": "B", "c": "C", "d": "D", "e": "E"}},
		{"5f42010243030405ff", []byte{1, 2, 3, 4, 5}},
		{"7f657374726561646d696e67ff", "streaming"},
		{"9fff", []any{}},
		{"9f018202039f0405ffff", []any{int64(1), []any{int64(2), int64(3)}, []any{int64(4), int64(5)}}},
		{"9f01820203820405ff", []any{int64(1), []any{int64(2), int64(3)}, []any{int64(4), int64(5)}}},
		{"83018202039f0405ff", []any{int64(1), []any{int64(2), int64(3)}, []any{int64(4), int64(5)}}},
		{"83019f0203ff820405", []any{int64(1), []any{int64(2), int64(3)}, []any{int64(4), int64(5)}}},
		{"9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff", oneTo25()},
		{"bf61610161629f0203ffff", map[string]any{"a": int64(1), "b": []any{int64(2), int64(3)}}},
		{"826161bf61626163ff", []any{"a", map[string]any{"b": "c"}}},
		{"bf6346756ef563416d7421ff", map[string]any{"Fun": true, "Amt": int64(-2)}},
	}
	for _, tc := range cases {
		t.Run(tc.hex, func(t *testing.T) {
			var got any
			if err := rpcv2.Unmarshal(unhex(t, tc.hex), &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateNaNs()); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
			if f, ok := tc.want.(float64); ok && f == 0 && math.Signbit(f) != math.Signbit(got.(float64)) {
				t.Fatalf("sign of zero lost: %v", got)
			}
		})
	}
}

// TestDecodeAppendixARefused are appendix A examples Smithy has no value
// for: integers below -2^63, non-text map keys, unassigned simple values.
func TestDecodeAppendixARefused(t *testing.T) {
	for _, h := range []string{"3bffffffffffffffff", "a201020304", "f0", "f818", "f8ff"} {
		var got any
		if err := rpcv2.Unmarshal(unhex(t, h), &got); err == nil {
			t.Errorf("%s decoded to %#v", h, got)
		}
	}
}

// TestEncodeAppendixA encodes the appendix A examples whose preferred
// serialization is what this encoder writes (it never writes half floats).
func TestEncodeAppendixA(t *testing.T) {
	cases := []struct {
		v   any
		hex string
	}{
		{0, "00"}, {1, "01"}, {10, "0a"}, {23, "17"}, {24, "1818"}, {25, "1819"}, {100, "1864"},
		{1000, "1903e8"}, {1000000, "1a000f4240"}, {int64(1000000000000), "1b000000e8d4a51000"},
		{uint64(math.MaxUint64), "1bffffffffffffffff"}, {int64(math.MinInt64), "3b7fffffffffffffff"},
		{-1, "20"}, {-10, "29"}, {-100, "3863"}, {-1000, "3903e7"},
		{1.1, "fb3ff199999999999a"}, {100000.0, "fa47c35000"}, {3.4028234663852886e+38, "fa7f7fffff"},
		{1.0e+300, "fb7e37e43c8800759c"}, {-4.1, "fbc010666666666666"}, {math.Inf(1), "fa7f800000"},
		{false, "f4"}, {true, "f5"}, {nil, "f6"},
		{time.Unix(1363896240, 0), "c11a514b67b0"}, {time.Unix(1363896240, 5e8), "c1fb41d452d9ec200000"},
		{[]byte{}, "40"}, {[]byte{1, 2, 3, 4}, "4401020304"},
		{"", "60"}, {"a", "6161"}, {"IETF", "6449455446"}, {"\"\\", "62225c"}, {"ü", "62c3bc"},
		{"水", "63e6b0b4"}, {"𐅑", "64f0908591"},
		{[]int{}, "80"}, {[]int{1, 2, 3}, "83010203"},
		{[]any{1, []int{2, 3}, []int{4, 5}}, "8301820203820405"},
		{oneTo25(), "98190102030405060708090a0b0c0d0e0f101112131415161718181819"},
		{map[string]int{}, "a0"},
		{map[string]any{"a": 1, "b": []int{2, 3}}, "a26161016162820203"},
		{[]any{"a", map[string]string{"b": "c"}}, "826161a161626163"},
		{map[string]string{"e": "E", "d": "D", "c": "C", "b": "B", "a": "A"}, "a56161614161626142616361436164614461656145"},
	}
	for _, tc := range cases {
		got, err := rpcv2.Marshal(tc.v)
		if err != nil {
			t.Fatalf("%#v: %v", tc.v, err)
		}
		if hex.EncodeToString(got) != tc.hex {
			t.Errorf("%#v: %x, want %s", tc.v, got, tc.hex)
		}
	}
}
