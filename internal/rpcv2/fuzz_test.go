package rpcv2_test

import (
	"bytes"
	"errors"
	"testing"

	"tide/internal/awserr"
	"tide/internal/rpcv2"
)

// FuzzUnmarshal feeds arbitrary bytes to the decoder, into a typed shape
// and into any: it never panics, fails only with SerializationException,
// and what it accepts encodes and decodes again.
func FuzzUnmarshal(f *testing.F) {
	k := fullKitchen()
	full, err := rpcv2.Marshal(&k)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(full)
	f.Add([]byte{0xa0})
	f.Add(cat(indefMap, tx("Put"), indefMap, tx("MetricData"), indefList, indefMap, tx("Value"), f64(1), brk, brk, brk, brk))
	f.Add(cat(hd(5, 1), tx("Doc"), bytes.Repeat([]byte{0x9f}, 150)))
	f.Add(cat(hd(5, 1), tx("Nested"), bytes.Repeat(cat(hd(5, 1), tx("Nested")), 120), []byte{0xa0}))
	f.Add([]byte{0x5f, 0x41, 0x00, 0xff})
	f.Add([]byte{0xc1, 0xf9, 0x7c, 0x00})
	f.Add([]byte{0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		var typed kitchen
		check(t, data, &typed)
		var doc any
		check(t, data, &doc)
	})
}

func check[T any](t *testing.T, data []byte, v *T) {
	err := rpcv2.Unmarshal(data, v)
	if err != nil {
		var ae *awserr.Error
		if !errors.As(err, &ae) || ae.Code != "SerializationException" {
			t.Fatalf("error %v (%T), want a SerializationException", err, err)
		}
		return
	}
	again, err := rpcv2.Marshal(v)
	if err != nil {
		t.Fatalf("decoded %x but cannot encode the result: %v", data, err)
	}
	var back T
	if err := rpcv2.Unmarshal(again, &back); err != nil {
		t.Fatalf("decoded %x, encoded it as %x, which does not decode: %v", data, again, err)
	}
}
