package awsquery

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TimeFormat is how responses write timestamps: ISO 8601 in UTC with
// milliseconds, as AWS does ("2024-05-01T12:00:00.000Z").
const TimeFormat = "2006-01-02T15:04:05.000Z"

// Encode writes the fields of the struct v (or *struct) as XML elements,
// in field order: a nil pointer, slice or map is left out, an empty slice
// or map is an empty element, list items are <member> elements and map
// entries <entry><key/><value/></entry> (tag options as for Decode).
// Scalars are always written unless tagged omitempty and zero.
func Encode(buf *bytes.Buffer, v any) error {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return fmt.Errorf("awsquery: Encode needs a struct, not %T", v)
	}
	encodeStruct(buf, rv)
	return nil
}

func encodeStruct(buf *bytes.Buffer, v reflect.Value) {
	for _, f := range fieldsOf(v.Type()).list {
		encodeElem(buf, f.name, v.Field(f.index), f)
	}
}

func encodeElem(buf *bytes.Buffer, name string, v reflect.Value, f *field) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			encodeElem(buf, name, v.Elem(), f)
		}
		return
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			break
		}
		member := "member"
		flat := f != nil && f.flat
		if f != nil {
			member = f.member
		}
		if flat {
			for i := range v.Len() {
				encodeElem(buf, name, v.Index(i), nil)
			}
			return
		}
		open(buf, name)
		for i := range v.Len() {
			encodeElem(buf, member, v.Index(i), nil)
		}
		closeTag(buf, name)
		return
	case reflect.Map:
		if v.IsNil() {
			return
		}
		entry, key, value := "entry", "key", "value"
		if f != nil {
			entry, key, value = f.entry, f.key, f.value
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(scalarText(a), scalarText(b)) })
		open(buf, name)
		for _, k := range keys {
			open(buf, entry)
			encodeElem(buf, key, k, nil)
			encodeElem(buf, value, v.MapIndex(k), nil)
			closeTag(buf, entry)
		}
		closeTag(buf, name)
		return
	case reflect.Struct:
		if !isTime(v.Type()) {
			open(buf, name)
			encodeStruct(buf, v)
			closeTag(buf, name)
			return
		}
	}
	if f != nil && f.omitEmpty && v.IsZero() {
		return
	}
	open(buf, name)
	xml.EscapeText(buf, []byte(scalarText(v)))
	closeTag(buf, name)
}

func open(buf *bytes.Buffer, name string) {
	buf.WriteByte('<')
	buf.WriteString(name)
	buf.WriteByte('>')
}

func closeTag(buf *bytes.Buffer, name string) {
	buf.WriteString("</")
	buf.WriteString(name)
	buf.WriteByte('>')
}

// scalarText is the wire form of a scalar value.
func scalarText(v reflect.Value) string {
	if isTime(v.Type()) {
		return timeOf(v).Interface().(time.Time).UTC().Format(TimeFormat)
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, v.Type().Bits())
	case reflect.Slice:
		return base64.StdEncoding.EncodeToString(v.Bytes())
	}
	return fmt.Sprint(v.Interface())
}

// WriteResult writes a successful response:
//
//	<{action}Response xmlns="{namespace}">
//	  <{action}Result>…result's fields…</{action}Result>
//	  <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>
//	</{action}Response>
func WriteResult(w io.Writer, namespace, action, requestID string, result any) error {
	var buf bytes.Buffer
	buf.WriteString(`<` + action + `Response xmlns="`)
	xml.EscapeText(&buf, []byte(namespace))
	buf.WriteString(`"><` + action + `Result>`)
	if err := Encode(&buf, result); err != nil {
		return err
	}
	buf.WriteString(`</` + action + `Result><ResponseMetadata><RequestId>`)
	xml.EscapeText(&buf, []byte(requestID))
	buf.WriteString(`</RequestId></ResponseMetadata></` + action + `Response>`)
	_, err := w.Write(buf.Bytes())
	return err
}

// WriteError writes AWS's query error envelope; fault is "Sender" for a
// client's error and "Receiver" for the server's:
//
//	<ErrorResponse xmlns="{namespace}">
//	  <Error><Type>Sender</Type><Code>…</Code><Message>…</Message></Error>
//	  <RequestId>…</RequestId>
//	</ErrorResponse>
func WriteError(w io.Writer, namespace, fault, code, message, requestID string) error {
	var buf bytes.Buffer
	buf.WriteString(`<ErrorResponse xmlns="`)
	xml.EscapeText(&buf, []byte(namespace))
	buf.WriteString(`"><Error><Type>`)
	xml.EscapeText(&buf, []byte(fault))
	buf.WriteString(`</Type><Code>`)
	xml.EscapeText(&buf, []byte(code))
	buf.WriteString(`</Code><Message>`)
	xml.EscapeText(&buf, []byte(message))
	buf.WriteString(`</Message></Error><RequestId>`)
	xml.EscapeText(&buf, []byte(requestID))
	buf.WriteString(`</RequestId></ErrorResponse>`)
	_, err := w.Write(buf.Bytes())
	return err
}
