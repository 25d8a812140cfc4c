package rpcv2

import (
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf8"
)

// decoder reads CBOR items from data. Every method either consumes a
// whole well-formed item or fails.
type decoder struct {
	data  []byte
	off   int
	depth int
}

func (d *decoder) fail(format string, args ...any) error {
	return &decodeError{msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) eof() error { return d.fail("unexpected end of CBOR data") }

// head reads an initial byte and its argument. For major type 7 the
// argument of a float is its bits; for an indefinite length (additional
// information 31) it is 0.
func (d *decoder) head() (major, ai byte, arg uint64, err error) {
	if d.off >= len(d.data) {
		return 0, 0, 0, d.eof()
	}
	ib := d.data[d.off]
	d.off++
	major, ai = ib>>5, ib&0x1f
	switch {
	case ai < 24:
		return major, ai, uint64(ai), nil
	case ai <= 27:
		n := 1 << (ai - 24)
		if len(d.data)-d.off < n {
			return 0, 0, 0, d.eof()
		}
		p := d.data[d.off : d.off+n]
		d.off += n
		switch n {
		case 1:
			arg = uint64(p[0])
		case 2:
			arg = uint64(binary.BigEndian.Uint16(p))
		case 4:
			arg = uint64(binary.BigEndian.Uint32(p))
		default:
			arg = binary.BigEndian.Uint64(p)
		}
		return major, ai, arg, nil
	case ai == aiIndefinite:
		if major == majorUint || major == majorNeg || major == majorTag {
			return 0, 0, 0, d.fail("malformed CBOR: indefinite length on major type %d at byte %d", major, d.off-1)
		}
		return major, ai, 0, nil
	}
	return 0, 0, 0, d.fail("malformed CBOR: reserved additional information %d at byte %d", ai, d.off-1)
}

// untagged reads a head, skipping any tags before it.
func (d *decoder) untagged() (major, ai byte, arg uint64, err error) {
	for {
		major, ai, arg, err = d.head()
		if err != nil || major != majorTag {
			return
		}
	}
}

// null consumes a null or undefined item, reporting whether there was one.
func (d *decoder) null() bool {
	if d.off < len(d.data) && (d.data[d.off] == cborNull || d.data[d.off] == cborUndefined) {
		d.off++
		return true
	}
	return false
}

// more reports whether a container with the given head has another item
// after i items, consuming the break of an indefinite one.
func (d *decoder) more(ai byte, arg uint64, i int) bool {
	if ai != aiIndefinite {
		return uint64(i) < arg
	}
	if d.off < len(d.data) && d.data[d.off] == cborBreak {
		d.off++
		return false
	}
	return true
}

// enter counts one level of nesting.
func (d *decoder) enter() error {
	d.depth++
	if d.depth > maxDepth {
		return d.fail("CBOR nesting deeper than %d levels", maxDepth)
	}
	return nil
}

// hint is a safe initial capacity for a container of arg items: each item
// takes at least one byte, and a length in the head is only a claim, so
// larger containers grow as their items arrive.
func (d *decoder) hint(ai byte, arg uint64) int {
	if ai == aiIndefinite {
		return 0
	}
	return int(min(arg, uint64(len(d.data)-d.off), 1024))
}

// str reads the content of a byte or text string whose head was read: a
// slice of data for a definite length, a new slice for chunks.
func (d *decoder) str(major, ai byte, arg uint64) ([]byte, error) {
	if ai != aiIndefinite {
		if arg > uint64(len(d.data)-d.off) {
			return nil, d.eof()
		}
		s := d.data[d.off : d.off+int(arg)]
		d.off += int(arg)
		return s, nil
	}
	var out []byte
	for i := 0; d.more(ai, 0, i); i++ {
		m, cai, n, err := d.head()
		if err != nil {
			return nil, err
		}
		if m != major || cai == aiIndefinite {
			return nil, d.fail("malformed CBOR: a chunk of an indefinite-length string must be a definite string of the same type")
		}
		chunk, err := d.str(m, cai, n)
		if err != nil {
			return nil, err
		}
		out = append(out, chunk...)
	}
	if out == nil {
		out = []byte{}
	}
	return out, nil
}

// text reads a text string item, which must be UTF-8.
func (d *decoder) text() ([]byte, error) {
	major, ai, arg, err := d.untagged()
	if err != nil {
		return nil, err
	}
	if major != majorText {
		return nil, d.mismatch(major, ai, "String")
	}
	s, err := d.str(major, ai, arg)
	if err == nil && !utf8.Valid(s) {
		err = d.fail("text string is not valid UTF-8")
	}
	return s, err
}

// kind names an item by its head for error messages.
func kind(major, ai byte) string {
	switch major {
	case majorUint:
		return "unsigned integer"
	case majorNeg:
		return "negative integer"
	case majorBytes:
		return "byte string"
	case majorText:
		return "text string"
	case majorArray:
		return "array"
	case majorMap:
		return "map"
	case majorTag:
		return "tag"
	}
	switch ai {
	case aiFalse, aiTrue:
		return "boolean"
	case aiNull:
		return "null"
	case aiUndefined:
		return "undefined"
	case aiFloat16, aiFloat32, aiFloat64:
		return "float"
	case aiIndefinite:
		return "break"
	}
	return "simple value"
}

func (d *decoder) mismatch(major, ai byte, want string) error {
	return d.fail("%s can not be converted to %s", kind(major, ai), want)
}

// floatOf returns the value of a float head.
func floatOf(ai byte, arg uint64) float64 {
	switch ai {
	case aiFloat16:
		return float16(uint16(arg))
	case aiFloat32:
		return float64(math.Float32frombits(uint32(arg)))
	}
	return math.Float64frombits(arg)
}

func isFloat(major, ai byte) bool {
	return major == majorSimple && ai >= aiFloat16 && ai <= aiFloat64
}

// skip consumes one item of any type, checking that it is well-formed.
func (d *decoder) skip() error {
	major, ai, arg, err := d.untagged()
	if err != nil {
		return err
	}
	switch major {
	case majorBytes, majorText:
		_, err := d.str(major, ai, arg)
		return err
	case majorArray, majorMap:
		if err := d.enter(); err != nil {
			return err
		}
		for i := 0; d.more(ai, arg, i); i++ {
			if err := d.skip(); err != nil {
				return err
			}
			if major == majorMap {
				if err := d.skip(); err != nil {
					return err
				}
			}
		}
		d.depth--
	case majorSimple:
		return d.simple(ai, arg)
	}
	return nil
}

// simple checks a major type 7 head that is not a float.
func (d *decoder) simple(ai byte, arg uint64) error {
	switch {
	case ai == aiIndefinite:
		return d.fail("malformed CBOR: unexpected break at byte %d", d.off-1)
	case ai == aiSimple8 && arg < 32:
		return d.fail("malformed CBOR: simple value %d in two bytes", arg)
	}
	return nil
}
