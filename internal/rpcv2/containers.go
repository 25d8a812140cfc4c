package rpcv2

import (
	"bytes"
	"math"
	"reflect"
	"strconv"
	"unicode/utf8"
)

// decode reads a map into the struct v: members it knows by name, nulls
// left as they are, unknown members skipped, a repeated member overwriting
// the earlier one.
func (p *structPlan) decode(d *decoder, v reflect.Value) error {
	major, ai, arg, err := d.untagged()
	if err != nil {
		return err
	}
	if major != majorMap {
		return d.mismatch(major, ai, "Structure")
	}
	if err := d.enter(); err != nil {
		return err
	}
	for i := 0; d.more(ai, arg, i); i++ {
		key, err := d.key()
		if err != nil {
			return err
		}
		f := p.byName[string(key)]
		if f == nil {
			if err := d.skip(); err != nil {
				return within(err, string(key))
			}
			continue
		}
		if d.null() {
			continue
		}
		if err := f.codec.dec(d, f.value(v)); err != nil {
			return within(err, f.name)
		}
	}
	d.depth--
	return nil
}

// key reads a map key, which Smithy requires to be a text string.
func (d *decoder) key() ([]byte, error) {
	major, ai, arg, err := d.untagged()
	if err != nil {
		return nil, err
	}
	if major != majorText {
		return nil, d.fail("%s can not be a map key: keys are text strings", kind(major, ai))
	}
	return d.str(major, ai, arg)
}

// listDec reads an array into a slice (a new one; null items are zero
// values) or an array (items beyond its length are skipped).
func listDec(elem *codec) decFunc {
	return func(d *decoder, v reflect.Value) error {
		major, ai, arg, err := d.untagged()
		if err != nil {
			return err
		}
		if major != majorArray {
			return d.mismatch(major, ai, "List")
		}
		if err := d.enter(); err != nil {
			return err
		}
		isSlice := v.Kind() == reflect.Slice
		if isSlice {
			v.Set(reflect.MakeSlice(v.Type(), 0, d.hint(ai, arg)))
		}
		for i := 0; d.more(ai, arg, i); i++ {
			if isSlice {
				if v.Len() == v.Cap() {
					v.Grow(1)
				}
				v.SetLen(i + 1)
			} else if i >= v.Len() {
				if err := d.skip(); err != nil {
					return within(err, "["+strconv.Itoa(i)+"]")
				}
				continue
			}
			if d.null() {
				continue
			}
			if err := elem.dec(d, v.Index(i)); err != nil {
				return within(err, "["+strconv.Itoa(i)+"]")
			}
		}
		d.depth--
		return nil
	}
}

// mapDec reads a map with text keys into a map; a null value is stored as
// the zero value.
func mapDec(elem *codec) decFunc {
	return func(d *decoder, v reflect.Value) error {
		major, ai, arg, err := d.untagged()
		if err != nil {
			return err
		}
		if major != majorMap {
			return d.mismatch(major, ai, "Map")
		}
		if err := d.enter(); err != nil {
			return err
		}
		t := v.Type()
		if v.IsNil() {
			v.Set(reflect.MakeMapWithSize(t, d.hint(ai, arg)/2))
		}
		for i := 0; d.more(ai, arg, i); i++ {
			kb, err := d.key()
			if err != nil {
				return err
			}
			if !utf8.Valid(kb) {
				return d.fail("text string is not valid UTF-8")
			}
			key := reflect.ValueOf(string(kb)).Convert(t.Key())
			val := reflect.New(t.Elem()).Elem()
			if !d.null() {
				if err := elem.dec(d, val); err != nil {
					return within(err, "["+strconv.Quote(string(kb))+"]")
				}
			}
			v.SetMapIndex(key, val)
		}
		d.depth--
		return nil
	}
}

func ptrDec(elem *codec) decFunc {
	return func(d *decoder, v reflect.Value) error {
		if d.null() {
			v.SetZero()
			return nil
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return elem.dec(d, v.Elem())
	}
}

// decInterface decodes into an empty interface the generic value of the
// item (see any).
func decInterface(d *decoder, v reflect.Value) error {
	if v.NumMethod() != 0 {
		return d.fail("can not decode into %s", v.Type())
	}
	x, err := d.any()
	if err != nil {
		return err
	}
	if x == nil {
		v.SetZero()
	} else {
		v.Set(reflect.ValueOf(x))
	}
	return nil
}

// any reads an item as a generic Go value: map[string]any, []any, string,
// []byte, int64 (uint64 above MaxInt64), float64, bool, time.Time for tag
// 1, nil for null and undefined. Other tags are skipped.
func (d *decoder) any() (any, error) {
	major, ai, arg, err := d.head()
	for err == nil && major == majorTag && arg != 1 {
		major, ai, arg, err = d.head()
	}
	if err != nil {
		return nil, err
	}
	switch major {
	case majorUint:
		if arg > math.MaxInt64 {
			return arg, nil
		}
		return int64(arg), nil
	case majorNeg:
		if arg > math.MaxInt64 {
			return nil, d.fail("-1-%d is out of range for Long", arg)
		}
		return ^int64(arg), nil
	case majorBytes:
		s, err := d.str(major, ai, arg)
		return bytes.Clone(s), err
	case majorText:
		s, err := d.str(major, ai, arg)
		if err == nil && !utf8.Valid(s) {
			err = d.fail("text string is not valid UTF-8")
		}
		return string(s), err
	case majorArray:
		return d.anyList(ai, arg)
	case majorMap:
		return d.anyMap(ai, arg)
	case majorTag: // tag 1
		major, ai, arg, err := d.head()
		if err != nil {
			return nil, err
		}
		return d.epoch(major, ai, arg)
	}
	switch {
	case isFloat(major, ai):
		return floatOf(ai, arg), nil
	case ai == aiFalse || ai == aiTrue:
		return ai == aiTrue, nil
	case ai == aiNull || ai == aiUndefined:
		return nil, nil
	}
	if err := d.simple(ai, arg); err != nil {
		return nil, err
	}
	return nil, d.fail("simple value %d can not be decoded", arg)
}

func (d *decoder) anyList(ai byte, arg uint64) (any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	out := make([]any, 0, d.hint(ai, arg))
	for i := 0; d.more(ai, arg, i); i++ {
		x, err := d.any()
		if err != nil {
			return nil, within(err, "["+strconv.Itoa(i)+"]")
		}
		out = append(out, x)
	}
	d.depth--
	return out, nil
}

func (d *decoder) anyMap(ai byte, arg uint64) (any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	out := make(map[string]any, d.hint(ai, arg)/2)
	for i := 0; d.more(ai, arg, i); i++ {
		kb, err := d.key()
		if err != nil {
			return nil, err
		}
		if !utf8.Valid(kb) {
			return nil, d.fail("text string is not valid UTF-8")
		}
		x, err := d.any()
		if err != nil {
			return nil, within(err, string(kb))
		}
		out[string(kb)] = x
	}
	d.depth--
	return out, nil
}

func unsupportedDec(t reflect.Type) decFunc {
	return func(d *decoder, v reflect.Value) error {
		return d.fail("can not decode into a value of type %s", t)
	}
}
