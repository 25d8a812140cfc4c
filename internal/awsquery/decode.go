// Package awsquery is AWS's query protocol (awsquery), which ELBv2, SNS,
// CloudWatch, IAM and STS speak: requests are form-encoded parameters with
// lists, maps and structures flattened into dotted names, responses are XML.
//
// Decode fills a Go struct from the parameters, Encode writes a struct as
// the elements of a response, and WriteResult and WriteError wrap them in
// AWS's response and error envelopes. Go fields carry the AWS member names
// (a `query:"Name"` tag overrides); the serialization rules are botocore's
// and the AWS SDKs' (aws-sdk-go-v2/aws/protocol/query):
//
//	Name=web                                  a string, number, bool or timestamp
//	Names.member.1=a&Names.member.2=b         a list (1-based, no gaps)
//	Names=                                    an empty list
//	Matcher.HttpCode=200                      a structure member
//	Attributes.entry.1.key=k&...value=v       a map
//	Tags.1.Key=k                              a flattened list (tag option "flat")
//
// Timestamps are time.Time or awsjson.Time (the type the JSON protocols
// share), so that one struct serves every protocol: ISO 8601 in responses,
// ISO 8601 or epoch seconds in requests.
//
// It depends on the standard library and awsjson only; it knows no service.
package awsquery

import (
	"encoding/base64"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"tide/internal/awsjson"
)

// Error is a request parameter that does not fit the operation's input: a
// name the input has no member for, or a value of the wrong type. Services
// report it as their validation error (ELBv2's ValidationError).
type Error struct {
	Param  string // the parameter as sent: "Tags.member.1.Key"
	Value  string
	Reason string
}

func (e *Error) Error() string {
	if e.Value == "" && strings.HasPrefix(e.Reason, "is ") {
		return "The parameter " + e.Param + " " + e.Reason
	}
	return fmt.Sprintf("Invalid value '%s' for parameter %s: %s", clip(e.Value), e.Param, e.Reason)
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// envelope are the parameters that address the operation rather than fill
// its input.
var envelope = map[string]bool{"Action": true, "Version": true}

// node is one dotted name segment with the value sent for it (if any) and
// the segments below it.
type node struct {
	path   string
	values []string
	kids   map[string]*node
}

func (n *node) kid(name string) *node {
	if n.kids == nil {
		n.kids = map[string]*node{}
	}
	k := n.kids[name]
	if k == nil {
		p := name
		if n.path != "" {
			p = n.path + "." + name
		}
		k = &node{path: p}
		n.kids[name] = k
	}
	return k
}

// Decode fills the struct v points to from values. Action and Version are
// the envelope and are skipped. Any other parameter that names no member,
// a value that does not parse as its member's type, a repeated parameter
// and a list with gaps in its numbering give an *Error.
func Decode(values url.Values, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("awsquery: Decode needs a pointer to a struct, not %T", v)
	}
	root := &node{}
	for key, vals := range values {
		if envelope[key] {
			continue
		}
		n := root
		for seg := range strings.SplitSeq(key, ".") {
			if seg == "" {
				return &Error{Param: key, Reason: "is not recognized"}
			}
			n = n.kid(seg)
		}
		n.values = vals
	}
	return decodeStruct(root, rv.Elem())
}

var (
	timeType    = reflect.TypeFor[time.Time]()
	awsTimeType = reflect.TypeFor[awsjson.Time]()
)

// isTime reports whether t is a timestamp type: time.Time or awsjson.Time.
func isTime(t reflect.Type) bool { return t == timeType || t == awsTimeType }

// timeOf returns the time.Time inside the timestamp v, settable when v is.
func timeOf(v reflect.Value) reflect.Value {
	if v.Type() == awsTimeType {
		return v.Field(0)
	}
	return v
}

func decodeValue(n *node, v reflect.Value, f *field) error {
	if v.Kind() == reflect.Pointer {
		e := reflect.New(v.Type().Elem())
		if err := decodeValue(n, e.Elem(), f); err != nil {
			return err
		}
		v.Set(e)
		return nil
	}
	switch {
	case isTime(v.Type()):
		return decodeScalar(n, v)
	case v.Kind() == reflect.Struct:
		if len(n.values) > 0 {
			return &Error{Param: n.path, Value: n.values[0], Reason: "a structure takes members, not a value"}
		}
		return decodeStruct(n, v)
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() != reflect.Uint8:
		return decodeList(n, v, f)
	case v.Kind() == reflect.Map:
		return decodeMap(n, v, f)
	}
	return decodeScalar(n, v)
}

func decodeStruct(n *node, v reflect.Value) error {
	fields := fieldsOf(v.Type())
	// Sorted, so that the error for several bad parameters is always the same.
	for _, name := range slices.Sorted(mapKeys(n.kids)) {
		f, ok := fields.byName[name]
		if !ok {
			return &Error{Param: firstLeaf(n.kids[name]), Reason: "is not recognized"}
		}
		if err := decodeValue(n.kids[name], v.Field(f.index), f); err != nil {
			return err
		}
	}
	return nil
}

// items returns the numbered children of a list or map node in order,
// checking that they run 1, 2, ... n.
func items(n *node, wrapper string, flat bool) ([]*node, error) {
	if len(n.values) > 0 {
		if len(n.kids) > 0 || n.values[0] != "" || len(n.values) > 1 {
			return nil, &Error{Param: n.path, Value: n.values[0], Reason: "a list or map takes members, not a value"}
		}
		return nil, nil // "Names=": the empty list
	}
	parent := n
	if !flat {
		for name, k := range n.kids {
			if name != wrapper {
				return nil, &Error{Param: firstLeaf(k), Reason: "is not recognized"}
			}
		}
		parent = n.kids[wrapper]
		if parent == nil {
			return nil, nil
		}
		if len(parent.values) > 0 {
			return nil, &Error{Param: parent.path, Value: parent.values[0], Reason: "list members must be numbered"}
		}
	}
	out := make([]*node, len(parent.kids))
	for name, k := range parent.kids {
		i, err := strconv.Atoi(name)
		if err != nil || i < 1 || strconv.Itoa(i) != name {
			return nil, &Error{Param: firstLeaf(k), Reason: "is not recognized"}
		}
		if i > len(out) {
			return nil, &Error{Param: k.path, Reason: "is out of sequence: members are numbered from 1 without gaps"}
		}
		out[i-1] = k
	}
	return out, nil
}

func decodeList(n *node, v reflect.Value, f *field) error {
	its, err := items(n, f.member, f.flat)
	if err != nil {
		return err
	}
	s := reflect.MakeSlice(v.Type(), len(its), len(its))
	for i, it := range its {
		if err := decodeValue(it, s.Index(i), nil); err != nil {
			return err
		}
	}
	v.Set(s)
	return nil
}

func decodeMap(n *node, v reflect.Value, f *field) error {
	keyName, valueName, wrapper, flat := "key", "value", "entry", false
	if f != nil {
		keyName, valueName, wrapper, flat = f.key, f.value, f.entry, f.flat
	}
	its, err := items(n, wrapper, flat)
	if err != nil {
		return err
	}
	m := reflect.MakeMapWithSize(v.Type(), len(its))
	for _, it := range its {
		for name, k := range it.kids {
			if name != keyName && name != valueName {
				return &Error{Param: firstLeaf(k), Reason: "is not recognized"}
			}
		}
		if len(it.values) > 0 {
			return &Error{Param: it.path, Value: it.values[0], Reason: "a map entry takes a key and a value"}
		}
		kn, vn := it.kids[keyName], it.kids[valueName]
		if kn == nil {
			return &Error{Param: it.path + "." + keyName, Reason: "is missing"}
		}
		key := reflect.New(v.Type().Key()).Elem()
		if err := decodeValue(kn, key, nil); err != nil {
			return err
		}
		if m.MapIndex(key).IsValid() {
			return &Error{Param: kn.path, Value: kn.values[0], Reason: "the key is repeated"}
		}
		val := reflect.New(v.Type().Elem()).Elem()
		if vn != nil {
			if err := decodeValue(vn, val, nil); err != nil {
				return err
			}
		}
		m.SetMapIndex(key, val)
	}
	v.Set(m)
	return nil
}

// timeLayouts are the timestamp forms accepted: ISO 8601 as the SDKs send
// it, with or without fractional seconds and zone.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"}

func decodeScalar(n *node, v reflect.Value) error {
	for _, name := range slices.Sorted(mapKeys(n.kids)) {
		return &Error{Param: firstLeaf(n.kids[name]), Reason: "is not recognized"}
	}
	if len(n.values) != 1 {
		return &Error{Param: n.path, Value: strings.Join(n.values, ","), Reason: "the parameter is repeated"}
	}
	s := n.values[0]
	bad := func(reason string) error { return &Error{Param: n.path, Value: s, Reason: reason} }
	if isTime(v.Type()) {
		for _, layout := range timeLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				timeOf(v).Set(reflect.ValueOf(t.UTC()))
				return nil
			}
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && math.Abs(f) < 1e11 {
			sec, frac := math.Modf(f)
			timeOf(v).Set(reflect.ValueOf(time.Unix(int64(sec), int64(frac*1e9)).UTC()))
			return nil
		}
		return bad("must be an ISO 8601 timestamp")
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		switch strings.ToLower(s) {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			return bad("must be true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return bad(fmt.Sprintf("must be an integer of %d bits", v.Type().Bits()))
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		i, err := strconv.ParseUint(s, 10, v.Type().Bits())
		if err != nil {
			return bad("must be a non-negative integer")
		}
		v.SetUint(i)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, v.Type().Bits())
		if err != nil {
			return bad("must be a number")
		}
		v.SetFloat(f)
	case reflect.Slice: // []byte: a blob
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return bad("must be base64")
		}
		v.SetBytes(b)
	default:
		return bad("has a type this service cannot decode")
	}
	return nil
}

// firstLeaf is the name of the first parameter sent under n, for errors
// that name a parameter as the client sent it.
func firstLeaf(n *node) string {
	for len(n.values) == 0 && len(n.kids) > 0 {
		n = n.kids[slices.Min(slices.Collect(mapKeys(n.kids)))]
	}
	return n.path
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// field is how one struct field is named and serialized.
type field struct {
	index     int
	name      string
	flat      bool   // a flattened list or map: Name.1 rather than Name.member.1
	member    string // the list member name, "member"
	entry     string // the map entry name, "entry"
	key       string // the map key name, "key"
	value     string // the map value name, "value"
	omitEmpty bool   // Encode skips the zero value
}

type fields struct {
	list   []*field
	byName map[string]*field
}

var fieldCache sync.Map // reflect.Type -> *fields

// fieldsOf parses the query tags of t's exported fields:
// `query:"Name,flat,omitempty,member=M,entry=E,key=K,value=V"`; "-" skips
// the field.
func fieldsOf(t reflect.Type) *fields {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.(*fields)
	}
	fs := &fields{byName: map[string]*field{}}
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("query")
		if tag == "-" {
			continue
		}
		parts := strings.Split(tag, ",")
		f := &field{index: i, name: sf.Name, member: "member", entry: "entry", key: "key", value: "value"}
		if parts[0] != "" {
			f.name = parts[0]
		}
		for _, opt := range parts[1:] {
			k, val, _ := strings.Cut(opt, "=")
			switch k {
			case "flat":
				f.flat = true
			case "omitempty":
				f.omitEmpty = true
			case "member":
				f.member = val
			case "entry":
				f.entry = val
			case "key":
				f.key = val
			case "value":
				f.value = val
			}
		}
		fs.list = append(fs.list, f)
		fs.byName[f.name] = f
	}
	got, _ := fieldCache.LoadOrStore(t, fs)
	return got.(*fields)
}
