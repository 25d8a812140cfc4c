// Package rpcv2 is the CBOR codec (RFC 8949) of Smithy RPC v2 CBOR, the
// protocol the AWS SDK for Go v2 speaks to CloudWatch by default. It encodes
// and decodes the Go structs the AWS JSON protocols use, by reflection, so
// that one struct serves awsquery, AWS JSON and CBOR:
//
//	struct            map; members named by their `json` tag name, else the
//	                  Go field name; `json:"-"` skips a field; embedded
//	                  structs without a tag name are flattened
//	nil member        left out (Smithy: null members are absent); omitempty
//	                  and omitzero leave out empty and zero values as in JSON
//	string            text string (invalid UTF-8 is replaced on encoding,
//	                  refused on decoding)
//	[]byte            byte string
//	bool              true/false
//	int*, uint*       the smallest integer head
//	float64, float32  float32 when that is exact, else float64
//	time.Time,        tag 1 over epoch seconds: an integer when whole,
//	awsjson.Time      else a float64 with millisecond precision
//	slice, array      array
//	map[string]T      map, keys sorted
//	pointer           the value it points to; nil is null
//	interface         its dynamic value; decoding into any gives
//	                  map[string]any, []any, string, []byte, int64, uint64,
//	                  float64, bool, time.Time or nil
//
// Encoding writes definite lengths only. Decoding accepts every well-formed
// item: definite and indefinite lengths, half, single and double floats,
// tags (tag 1 is read as a timestamp; others are skipped), null and
// undefined as absent, integers for floats and integral floats for
// integers, unknown members (skipped). It refuses what is not well-formed,
// values of the wrong type, numbers out of range for their field, text
// that is not UTF-8, nesting deeper than 100 and bytes after the item, with
// an *awserr.Error of code SerializationException. No input makes it panic
// or allocate much beyond its size.
//
// Type plans (how each struct's members are named, found and encoded) are
// built once per type and cached, so a call does no per-field reflection
// look-ups.
//
// It depends on the standard library, awserr and awsjson only; it knows no
// service and no HTTP.
package rpcv2

import (
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"strings"

	"tide/internal/awserr"
)

// CBOR major types (RFC 8949 section 3.1).
const (
	majorUint   = 0
	majorNeg    = 1
	majorBytes  = 2
	majorText   = 3
	majorArray  = 4
	majorMap    = 5
	majorTag    = 6
	majorSimple = 7
)

// Initial bytes of major type 7 and the additional-information values that
// have a meaning of their own.
const (
	cborFalse     = 0xf4
	cborTrue      = 0xf5
	cborNull      = 0xf6
	cborUndefined = 0xf7
	cborFloat32   = 0xfa
	cborFloat64   = 0xfb
	cborBreak     = 0xff

	aiFalse      = 20
	aiTrue       = 21
	aiNull       = 22
	aiUndefined  = 23
	aiSimple8    = 24
	aiFloat16    = 25
	aiFloat32    = 26
	aiFloat64    = 27
	aiIndefinite = 31
)

// maxDepth bounds the nesting of arrays, maps and structures a decoder
// follows.
const maxDepth = 100

// maxEpoch bounds timestamps, in seconds either side of 1970: beyond year
// 33658 is no time any client sends (as in awsjson).
const maxEpoch = 1e12

// Marshal returns the CBOR encoding of v.
func Marshal(v any) ([]byte, error) { return Append(nil, v) }

// Append appends the CBOR encoding of v to b.
func Append(b []byte, v any) ([]byte, error) {
	if v == nil {
		return append(b, cborNull), nil
	}
	rv := reflect.ValueOf(v)
	return codecOf(rv.Type()).enc(b, rv)
}

// Unmarshal decodes the single CBOR item in data into the value v points
// to. A null item leaves it unchanged. Errors in the data are
// *awserr.Error values with code SerializationException.
func Unmarshal(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("rpcv2: Unmarshal needs a non-nil pointer, not %T", v)
	}
	d := &decoder{data: data}
	var err error
	if !d.null() {
		err = codecOf(rv.Type().Elem()).dec(d, rv.Elem())
	}
	if err == nil && d.off < len(d.data) {
		err = &decodeError{msg: fmt.Sprintf("unexpected data after the CBOR item at byte %d", d.off)}
	}
	if de, ok := err.(*decodeError); ok {
		return awserr.Serialization("%s", de.message())
	}
	return err
}

// decodeError is what the decoder fails with; path names the member it was
// in, innermost first ("Value", "[0]", "MetricData").
type decodeError struct {
	msg  string
	path []string
}

func (e *decodeError) Error() string { return e.message() }

func (e *decodeError) message() string {
	if len(e.path) == 0 {
		return e.msg
	}
	var sb strings.Builder
	for i := len(e.path) - 1; i >= 0; i-- {
		p := e.path[i]
		if i < len(e.path)-1 && !strings.HasPrefix(p, "[") {
			sb.WriteByte('.')
		}
		sb.WriteString(p)
	}
	return e.msg + " at " + sb.String()
}

// within adds a path segment to err if it is a decodeError.
func within(err error, segment string) error {
	if de, ok := err.(*decodeError); ok {
		de.path = append(de.path, segment)
	}
	return err
}

// appendHead appends an initial byte of the given major type with its
// argument n, in the shortest form.
func appendHead(b []byte, major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return append(b, m|byte(n))
	case n <= math.MaxUint8:
		return append(b, m|24, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, m|25), uint16(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, m|26), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, m|27), n)
}

// float16 converts IEEE 754 half-precision bits to a float64 (RFC 8949
// appendix D), subnormals, infinities and NaN included.
func float16(h uint16) float64 {
	exp := int(h>>10) & 0x1f
	mant := float64(h & 0x3ff)
	var f float64
	switch exp {
	case 0:
		f = math.Ldexp(mant, -24)
	case 0x1f:
		if mant == 0 {
			f = math.Inf(1)
		} else {
			f = math.NaN()
		}
	default:
		f = math.Ldexp(mant+1024, exp-25)
	}
	if h&0x8000 != 0 {
		return -f
	}
	return f
}
