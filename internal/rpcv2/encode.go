package rpcv2

import (
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"tide/internal/awsjson"
)

func encBool(b []byte, v reflect.Value) ([]byte, error) {
	if v.Bool() {
		return append(b, cborTrue), nil
	}
	return append(b, cborFalse), nil
}

func encInt(b []byte, v reflect.Value) ([]byte, error) { return appendInt(b, v.Int()), nil }

func encUint(b []byte, v reflect.Value) ([]byte, error) {
	return appendHead(b, majorUint, v.Uint()), nil
}

func appendInt(b []byte, n int64) []byte {
	if n >= 0 {
		return appendHead(b, majorUint, uint64(n))
	}
	return appendHead(b, majorNeg, uint64(^n)) // -1 - n
}

func encFloat(b []byte, v reflect.Value) ([]byte, error) {
	f := v.Float()
	if v.Kind() == reflect.Float32 {
		return binary.BigEndian.AppendUint32(append(b, cborFloat32), math.Float32bits(float32(f))), nil
	}
	return appendFloat(b, f), nil
}

// appendFloat writes f as a float32 when that is exact (half the bytes of
// a float64, and what most metric values fit in), else as a float64.
func appendFloat(b []byte, f float64) []byte {
	if f32 := float32(f); float64(f32) == f {
		return binary.BigEndian.AppendUint32(append(b, cborFloat32), math.Float32bits(f32))
	}
	return binary.BigEndian.AppendUint64(append(b, cborFloat64), math.Float64bits(f))
}

func encString(b []byte, v reflect.Value) ([]byte, error) { return appendText(b, v.String()), nil }

func appendText(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return append(appendHead(b, majorText, uint64(len(s))), s...)
}

func encBytes(b []byte, v reflect.Value) ([]byte, error) {
	if v.IsNil() {
		return append(b, cborNull), nil
	}
	return append(appendHead(b, majorBytes, uint64(v.Len())), v.Bytes()...), nil
}

// encTime writes tag 1 over epoch seconds: an integer when the time is a
// whole second, else a float64 of its milliseconds, as AWS JSON does.
func encTime(b []byte, v reflect.Value) ([]byte, error) {
	ms := timeOf(v).UnixMilli()
	b = append(b, majorTag<<5|1)
	if ms%1000 == 0 {
		return appendInt(b, ms/1000), nil
	}
	return binary.BigEndian.AppendUint64(append(b, cborFloat64), math.Float64bits(float64(ms)/1000)), nil
}

// timeOf returns the time.Time in v, a time.Time or an awsjson.Time,
// without copying it into an interface when v is addressable.
func timeOf(v reflect.Value) time.Time {
	if v.CanAddr() {
		if v.Type() == awsTimeType {
			return v.Addr().Interface().(*awsjson.Time).Time
		}
		return *v.Addr().Interface().(*time.Time)
	}
	if v.Type() == awsTimeType {
		return v.Interface().(awsjson.Time).Time
	}
	return v.Interface().(time.Time)
}

func listEnc(elem *codec) encFunc {
	return func(b []byte, v reflect.Value) ([]byte, error) {
		if v.Kind() == reflect.Slice && v.IsNil() {
			return append(b, cborNull), nil
		}
		n := v.Len()
		b = appendHead(b, majorArray, uint64(n))
		var err error
		for i := range n {
			if b, err = elem.enc(b, v.Index(i)); err != nil {
				return b, err
			}
		}
		return b, nil
	}
}

// mapEnc writes a map with its keys sorted, so that equal maps encode
// equally.
func mapEnc(elem *codec) encFunc {
	return func(b []byte, v reflect.Value) ([]byte, error) {
		if v.IsNil() {
			return append(b, cborNull), nil
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(x, y reflect.Value) int { return strings.Compare(x.String(), y.String()) })
		b = appendHead(b, majorMap, uint64(len(keys)))
		var err error
		for _, k := range keys {
			b = appendText(b, k.String())
			if b, err = elem.enc(b, v.MapIndex(k)); err != nil {
				return b, err
			}
		}
		return b, nil
	}
}

// encode writes the struct v as a map of its members. It writes a one-byte
// head, counts the members it writes, and widens the head if there are 24
// or more.
func (p *structPlan) encode(b []byte, v reflect.Value) ([]byte, error) {
	at := len(b)
	b = append(b, majorMap<<5)
	n := 0
	var err error
	for _, f := range p.fields {
		fv := f.value(v)
		if f.omit(fv) {
			continue
		}
		b = append(b, f.key...)
		if b, err = f.codec.enc(b, fv); err != nil {
			return b, err
		}
		n++
	}
	if n < 24 {
		b[at] = majorMap<<5 | byte(n)
		return b, nil
	}
	var h [9]byte
	head := appendHead(h[:0], majorMap, uint64(n))
	extra := len(head) - 1
	b = append(b, head[:extra]...) // room for the wider head
	copy(b[at+len(head):], b[at+1:len(b)-extra])
	copy(b[at:], head)
	return b, nil
}

func ptrEnc(elem *codec) encFunc {
	return func(b []byte, v reflect.Value) ([]byte, error) {
		if v.IsNil() {
			return append(b, cborNull), nil
		}
		return elem.enc(b, v.Elem())
	}
}

func encInterface(b []byte, v reflect.Value) ([]byte, error) {
	if v.IsNil() {
		return append(b, cborNull), nil
	}
	e := v.Elem()
	return codecOf(e.Type()).enc(b, e)
}

func unsupportedEnc(t reflect.Type) encFunc {
	return func(b []byte, v reflect.Value) ([]byte, error) {
		return b, fmt.Errorf("rpcv2: cannot encode a value of type %s", t)
	}
}
