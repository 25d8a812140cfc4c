package rpcv2

import (
	"bytes"
	"math"
	"reflect"
	"strconv"
	"time"

	"tide/internal/awsjson"
)

// The decoders of scalar members: booleans, numbers, text, blobs and
// timestamps.

func decBool(d *decoder, v reflect.Value) error {
	major, ai, _, err := d.untagged()
	if err != nil {
		return err
	}
	if major != majorSimple || ai != aiFalse && ai != aiTrue {
		return d.mismatch(major, ai, "Boolean")
	}
	v.SetBool(ai == aiTrue)
	return nil
}

// integer reads an integer item, or a float with an integral value.
func (d *decoder) integer(t reflect.Type) (int64, error) {
	major, ai, arg, err := d.untagged()
	if err != nil {
		return 0, err
	}
	switch {
	case major == majorUint && arg <= math.MaxInt64:
		return int64(arg), nil
	case major == majorNeg && arg <= math.MaxInt64:
		return ^int64(arg), nil
	case major == majorUint:
		return 0, d.fail("%d is out of range for %s", arg, awsType(t))
	case major == majorNeg:
		return 0, d.fail("-1-%d is out of range for %s", arg, awsType(t))
	case isFloat(major, ai):
		f := floatOf(ai, arg)
		if f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
			return 0, d.fail("%s can not be converted to %s", strconv.FormatFloat(f, 'g', -1, 64), awsType(t))
		}
		return int64(f), nil
	}
	return 0, d.mismatch(major, ai, awsType(t))
}

func decInt(d *decoder, v reflect.Value) error {
	n, err := d.integer(v.Type())
	if err != nil {
		return err
	}
	if v.OverflowInt(n) {
		return d.fail("%d is out of range for %s", n, awsType(v.Type()))
	}
	v.SetInt(n)
	return nil
}

func decUint(d *decoder, v reflect.Value) error {
	at := d.off
	major, _, arg, err := d.untagged()
	if err != nil {
		return err
	}
	if major != majorUint {
		d.off = at
		n, err := d.integer(v.Type())
		if err != nil {
			return err
		}
		if n < 0 {
			return d.fail("%d is out of range for %s", n, awsType(v.Type()))
		}
		arg = uint64(n)
	}
	if v.OverflowUint(arg) {
		return d.fail("%d is out of range for %s", arg, awsType(v.Type()))
	}
	v.SetUint(arg)
	return nil
}

func decFloat(d *decoder, v reflect.Value) error {
	major, ai, arg, err := d.untagged()
	if err != nil {
		return err
	}
	var f float64
	switch {
	case major == majorUint:
		f = float64(arg)
	case major == majorNeg:
		f = -1 - float64(arg)
	case isFloat(major, ai):
		f = floatOf(ai, arg)
	default:
		return d.mismatch(major, ai, awsType(v.Type()))
	}
	if v.Kind() == reflect.Float32 && !math.IsInf(f, 0) && v.OverflowFloat(f) {
		return d.fail("%g is out of range for %s", f, awsType(v.Type()))
	}
	v.SetFloat(f)
	return nil
}

func decString(d *decoder, v reflect.Value) error {
	s, err := d.text()
	if err != nil {
		return err
	}
	v.SetString(string(s))
	return nil
}

func decBytes(d *decoder, v reflect.Value) error {
	major, ai, arg, err := d.untagged()
	if err != nil {
		return err
	}
	if major != majorBytes {
		return d.mismatch(major, ai, "Blob")
	}
	s, err := d.str(major, ai, arg)
	if err != nil {
		return err
	}
	v.SetBytes(bytes.Clone(s))
	return nil
}

// decTime reads a timestamp: tag 1 over epoch seconds, an integer or a
// float. An untagged number is taken as epoch seconds too.
func decTime(d *decoder, v reflect.Value) error {
	major, ai, arg, err := d.head()
	if err == nil && major == majorTag {
		if arg != 1 {
			return d.fail("tag %d can not be converted to Timestamp", arg)
		}
		major, ai, arg, err = d.head()
	}
	if err != nil {
		return err
	}
	t, err := d.epoch(major, ai, arg)
	if err != nil {
		return err
	}
	if v.Type() == awsTimeType {
		v.Addr().Interface().(*awsjson.Time).Time = t
	} else {
		*v.Addr().Interface().(*time.Time) = t
	}
	return nil
}

// epoch converts the number in a head to a UTC time. Floats are rounded
// to microseconds, as awsjson does: epoch seconds in a float64 carry no
// more.
func (d *decoder) epoch(major, ai byte, arg uint64) (time.Time, error) {
	switch {
	case major == majorUint && arg <= maxEpoch:
		return time.Unix(int64(arg), 0).UTC(), nil
	case major == majorNeg && arg < maxEpoch:
		return time.Unix(^int64(arg), 0).UTC(), nil
	case major == majorUint || major == majorNeg:
		return time.Time{}, d.fail("%s is out of range for Timestamp", kind(major, ai))
	case isFloat(major, ai):
		f := floatOf(ai, arg)
		if math.IsNaN(f) || math.Abs(f) > maxEpoch {
			return time.Time{}, d.fail("%s is out of range for Timestamp", strconv.FormatFloat(f, 'g', -1, 64))
		}
		return time.UnixMicro(int64(math.Round(f * 1e6))).UTC(), nil
	}
	return time.Time{}, d.mismatch(major, ai, "Timestamp")
}
