package logs

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// A record on disk, little endian:
//
//	0     uint32  message length n
//	4     int64   event timestamp, ms
//	12    int64   ingestion time, ms
//	20    [n]byte message
//	20+n  uint32  CRC-32C of bytes 0 to 20+n
//
// A stream's records live in segment files named after the logical offset
// of their first byte (%020d.seg), so that a record keeps its logical
// offset, and with it its event ID and its place in pagination tokens,
// when older segments are deleted.
const (
	recHeader   = 20
	recOverhead = recHeader + 4
	// maxMessage bounds a record's message: AWS's batch limit less one
	// event's overhead.
	maxMessage = maxBatchBytes - eventOverhead
	// segmentBytes and segmentAge decide when appends start a new segment;
	// retention deletes whole segments.
	segmentBytes = 64 << 20
	segmentAge   = 24 * 3600 * 1000 // ms
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// segment is one file of a stream's records.
type segment struct {
	base, size   int64
	path         string
	f            *os.File
	count        int
	minTS, maxTS int64
	created      int64 // ingestion time of its first record
	lastIngest   int64
}

// note counts a record of the segment.
func (s *segment) note(ts, ingest int64) {
	if s.count == 0 || ts < s.minTS {
		s.minTS = ts
	}
	if s.count == 0 || ts > s.maxTS {
		s.maxTS = ts
	}
	if s.count == 0 {
		s.created = ingest
	}
	s.lastIngest = max(s.lastIngest, ingest)
	s.count++
}

// appendRecord encodes an event stored at ingest.
func appendRecord(buf []byte, e inputEvent, ingest int64) []byte {
	start := len(buf)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(e.msg)))
	buf = binary.LittleEndian.AppendUint64(buf, uint64(e.ts))
	buf = binary.LittleEndian.AppendUint64(buf, uint64(ingest))
	buf = append(buf, e.msg...)
	return binary.LittleEndian.AppendUint32(buf, crc32.Checksum(buf[start:], castagnoli))
}

// decodeRecord reads back a whole record found at logical offset off.
func decodeRecord(rec []byte, off int64) event {
	n := binary.LittleEndian.Uint32(rec)
	return event{
		ts:     int64(binary.LittleEndian.Uint64(rec[4:])),
		ingest: int64(binary.LittleEndian.Uint64(rec[12:])),
		off:    off,
		msg:    string(rec[recHeader : recHeader+n]),
	}
}

func openSegments(dir string) ([]*segment, error) {
	names, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var segs []*segment
	for _, de := range names {
		base, err := strconv.ParseInt(strings.TrimSuffix(de.Name(), ".seg"), 10, 64)
		if err != nil || !strings.HasSuffix(de.Name(), ".seg") {
			continue
		}
		path := filepath.Join(dir, de.Name())
		f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0o644)
		if err != nil {
			closeSegments(segs)
			return nil, err
		}
		segs = append(segs, &segment{base: base, path: path, f: f})
	}
	slices.SortFunc(segs, func(a, b *segment) int { return int(a.base - b.base) })
	return segs, nil
}

func closeSegments(segs []*segment) {
	for _, s := range segs {
		s.f.Close()
	}
}

var errTorn = errors.New("torn record")

// scanSegment calls fn for each whole record of f and returns the length
// of the valid prefix, truncating anything after it.
func scanSegment(f *os.File, base int64, fn func(e entry, ingest int64)) (int64, error) {
	r := bufio.NewReaderSize(io.NewSectionReader(f, 0, math.MaxInt64), 1<<20)
	var hdr [recHeader]byte
	var buf []byte
	var off int64
	for {
		err := readRecord(r, hdr[:], &buf)
		if errors.Is(err, io.EOF) {
			return off, nil
		}
		if errors.Is(err, errTorn) || errors.Is(err, io.ErrUnexpectedEOF) {
			if terr := f.Truncate(off); terr != nil {
				return 0, fmt.Errorf("truncate torn segment %s: %w", f.Name(), terr)
			}
			return off, nil
		}
		if err != nil {
			return 0, fmt.Errorf("read segment %s: %w", f.Name(), err)
		}
		n := uint32(recOverhead + len(buf) - 4)
		fn(entry{ts: int64(binary.LittleEndian.Uint64(hdr[4:])), off: base + off, n: n}, int64(binary.LittleEndian.Uint64(hdr[12:])))
		off += int64(n)
	}
}

func readRecord(r *bufio.Reader, hdr []byte, buf *[]byte) error {
	if _, err := io.ReadFull(r, hdr); err != nil {
		return err
	}
	n := binary.LittleEndian.Uint32(hdr)
	if n > maxMessage {
		return errTorn
	}
	if cap(*buf) < int(n)+4 {
		*buf = make([]byte, n+4)
	}
	*buf = (*buf)[:n+4]
	if _, err := io.ReadFull(r, *buf); err != nil {
		if errors.Is(err, io.EOF) {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	sum := crc32.Update(crc32.Checksum(hdr, castagnoli), castagnoli, (*buf)[:n])
	if sum != binary.LittleEndian.Uint32((*buf)[n:]) {
		return errTorn
	}
	return nil
}
