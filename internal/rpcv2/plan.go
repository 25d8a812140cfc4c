package rpcv2

import (
	"reflect"
	"strings"
	"sync"
	"time"

	"tide/internal/awsjson"
)

type (
	encFunc func(b []byte, v reflect.Value) ([]byte, error)
	decFunc func(d *decoder, v reflect.Value) error
)

// codec encodes and decodes one Go type. Codecs of container types hold
// the *codec of their elements, not its functions, so that recursive types
// work.
type codec struct {
	enc encFunc
	dec decFunc
}

var (
	timeType    = reflect.TypeFor[time.Time]()
	awsTimeType = reflect.TypeFor[awsjson.Time]()
)

func isTime(t reflect.Type) bool { return t == timeType || t == awsTimeType }

var (
	// codecs caches a *codec per reflect.Type; a codec is stored only once
	// complete.
	codecs sync.Map
	// building serializes building codecs, so that a half-built recursive
	// codec is never seen by another goroutine.
	building sync.Mutex
)

func codecOf(t reflect.Type) *codec {
	if c, ok := codecs.Load(t); ok {
		return c.(*codec)
	}
	building.Lock()
	defer building.Unlock()
	b := builder{pending: map[reflect.Type]*codec{}}
	c := b.codec(t)
	for t, c := range b.pending {
		codecs.Store(t, c)
	}
	return c
}

type builder struct{ pending map[reflect.Type]*codec }

func (b *builder) codec(t reflect.Type) *codec {
	if c, ok := codecs.Load(t); ok {
		return c.(*codec)
	}
	if c := b.pending[t]; c != nil {
		return c
	}
	c := &codec{}
	b.pending[t] = c
	switch k := t.Kind(); {
	case isTime(t):
		c.enc, c.dec = encTime, decTime
	case k == reflect.Bool:
		c.enc, c.dec = encBool, decBool
	case k >= reflect.Int && k <= reflect.Int64:
		c.enc, c.dec = encInt, decInt
	case k >= reflect.Uint && k <= reflect.Uintptr:
		c.enc, c.dec = encUint, decUint
	case k == reflect.Float32 || k == reflect.Float64:
		c.enc, c.dec = encFloat, decFloat
	case k == reflect.String:
		c.enc, c.dec = encString, decString
	case k == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		c.enc, c.dec = encBytes, decBytes
	case k == reflect.Slice || k == reflect.Array:
		elem := b.codec(t.Elem())
		c.enc, c.dec = listEnc(elem), listDec(elem)
	case k == reflect.Map && t.Key().Kind() == reflect.String:
		elem := b.codec(t.Elem())
		c.enc, c.dec = mapEnc(elem), mapDec(elem)
	case k == reflect.Struct:
		p := b.plan(t)
		c.enc, c.dec = p.encode, p.decode
	case k == reflect.Pointer:
		elem := b.codec(t.Elem())
		c.enc, c.dec = ptrEnc(elem), ptrDec(elem)
	case k == reflect.Interface:
		c.enc, c.dec = encInterface, decInterface
	default:
		c.enc, c.dec = unsupportedEnc(t), unsupportedDec(t)
	}
	return c
}

// field is one struct member.
type field struct {
	name      string
	key       []byte // name as a CBOR text string
	index     []int  // reflect.Value.FieldByIndex path; length 1 unless promoted
	omitEmpty bool
	omitZero  bool
	nilable   bool // pointer, interface, map, slice, chan or func: left out when nil
	codec     *codec
}

// value returns f's field of the struct v.
func (f *field) value(v reflect.Value) reflect.Value {
	if len(f.index) == 1 {
		return v.Field(f.index[0])
	}
	for _, i := range f.index {
		v = v.Field(i)
	}
	return v
}

// omit reports whether f is left out of the encoding of a struct holding v.
func (f *field) omit(v reflect.Value) bool {
	if f.nilable && v.IsNil() {
		return true
	}
	if f.omitEmpty && isEmpty(v) {
		return true
	}
	return f.omitZero && v.IsZero()
}

// isEmpty is encoding/json's notion of an empty value for omitempty.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// structPlan is how one struct type is encoded and decoded.
type structPlan struct {
	fields []*field
	byName map[string]*field
}

func (b *builder) plan(t reflect.Type) *structPlan {
	p := &structPlan{byName: map[string]*field{}}
	b.addFields(p, t, nil)
	return p
}

// addFields adds t's members to p: its own fields first, then those of
// its embedded structs, so that an outer name wins over a promoted one.
func (b *builder) addFields(p *structPlan, t reflect.Type, prefix []int) {
	var embedded []int
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct && !isTime(sf.Type) {
			embedded = append(embedded, i)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if _, dup := p.byName[name]; dup {
			continue
		}
		k := sf.Type.Kind()
		f := &field{
			name:    name,
			key:     appendText(nil, name),
			index:   append(append([]int(nil), prefix...), i),
			nilable: k == reflect.Pointer || k == reflect.Interface || k == reflect.Map || k == reflect.Slice || k == reflect.Chan || k == reflect.Func,
			codec:   b.codec(sf.Type),
		}
		for opt := range strings.SplitSeq(opts, ",") {
			f.omitEmpty = f.omitEmpty || opt == "omitempty"
			f.omitZero = f.omitZero || opt == "omitzero"
		}
		p.fields = append(p.fields, f)
		p.byName[name] = f
	}
	for _, i := range embedded {
		b.addFields(p, t.Field(i).Type, append(append([]int(nil), prefix...), i))
	}
}

// awsType names t as the AWS error messages do.
func awsType(t reflect.Type) string {
	if isTime(t) {
		return "Timestamp"
	}
	switch t.Kind() {
	case reflect.Pointer:
		if t.Elem().Kind() != reflect.Pointer {
			return awsType(t.Elem())
		}
	case reflect.String:
		return "String"
	case reflect.Bool:
		return "Boolean"
	case reflect.Int64, reflect.Uint64:
		return "Long"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uintptr:
		return "Integer"
	case reflect.Float32:
		return "Float"
	case reflect.Float64:
		return "Double"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "Blob"
		}
		return "List"
	case reflect.Array:
		return "List"
	case reflect.Map:
		return "Map"
	case reflect.Struct:
		return "Structure"
	case reflect.Interface:
		return "Document"
	}
	return t.String()
}
