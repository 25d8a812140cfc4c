package awsquery

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Values flattens v (a struct or a pointer to one) into query parameters
// as an AWS SDK would: the inverse of Decode, for tests and clients.
func Values(v any) url.Values {
	out := url.Values{}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return out
		}
		rv = rv.Elem()
	}
	flattenStruct(out, "", rv)
	return out
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func flattenStruct(out url.Values, prefix string, v reflect.Value) {
	for _, f := range fieldsOf(v.Type()).list {
		flatten(out, join(prefix, f.name), v.Field(f.index), f)
	}
}

func flatten(out url.Values, key string, v reflect.Value, f *field) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			flatten(out, key, v.Elem(), f)
		}
		return
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			out.Set(key, base64.StdEncoding.EncodeToString(v.Bytes()))
			return
		}
		if v.Len() == 0 {
			out.Set(key, "")
			return
		}
		base := key + ".member"
		if f != nil && f.flat {
			base = key
		} else if f != nil {
			base = key + "." + f.member
		}
		for i := range v.Len() {
			flatten(out, base+"."+strconv.Itoa(i+1), v.Index(i), nil)
		}
		return
	case reflect.Map:
		if v.IsNil() {
			return
		}
		if v.Len() == 0 {
			out.Set(key, "")
			return
		}
		keyName, valueName, base := "key", "value", key+".entry"
		if f != nil {
			keyName, valueName, base = f.key, f.value, key+"."+f.entry
			if f.flat {
				base = key
			}
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		for i, k := range keys {
			p := base + "." + strconv.Itoa(i+1)
			flatten(out, p+"."+keyName, k, nil)
			flatten(out, p+"."+valueName, v.MapIndex(k), nil)
		}
		return
	case reflect.Struct:
		if !isTime(v.Type()) {
			flattenStruct(out, key, v)
			return
		}
	}
	if f != nil && f.omitEmpty && v.IsZero() {
		return
	}
	out.Set(key, scalarText(v))
}
