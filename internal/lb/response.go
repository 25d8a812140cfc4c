package lb

import (
	"bytes"
	"io"
)

// The data plane's parser of targets' HTTP/1.x responses: the head, and
// the body in any of its framings (length, chunked, until the connection
// closes). It accepts what net/http's client accepts, and is fuzzed
// against it.

// respHead is a target's response head; its strings point into the
// connection's buffer until the body is read.
type respHead struct {
	status     int
	reason     string
	headers    []header
	length     int64 // body bytes; -1 when unknown
	chunked    bool
	noBody     bool // HEAD, 1xx, 204, 304
	close      bool // the connection ends with this response
	connTokens []string
}

// readHead reads the response head for a request (a HEAD request when
// head is true). Informational responses other than 101 are skipped.
func (bc *backendConn) readHead(h *respHead, head bool) error {
	for {
		n, err := bc.parseHead(h)
		for n == 0 && err == nil {
			if err = bc.fill(); err == nil {
				n, err = bc.parseHead(h)
			}
		}
		if err != nil {
			return err
		}
		bc.r += n
		if h.status >= 200 || h.status == 101 {
			break
		}
	}
	if h.status == 101 {
		return errBadResponse // no upgrade was asked for
	}
	h.noBody = head || h.status == 204 || h.status == 304
	if !h.noBody && !h.chunked && h.length < 0 {
		h.close = true // the body ends when the connection does
	}
	return nil
}

// parseHead parses a complete head at the start of the buffer, returning
// its size; 0 if it is not complete yet.
func (bc *backendConn) parseHead(h *respHead) (int, error) {
	b := bc.buf[bc.r:bc.w]
	*h = respHead{headers: h.headers[:0], connTokens: h.connTokens[:0], length: -1}
	line, rest, ok := respLine(b)
	if !ok {
		return 0, nil
	}
	// HTTP/1.x NNN reason
	if len(line) < 12 || string(line[:7]) != "HTTP/1." || line[7] < '0' || line[7] > '9' || line[8] != ' ' || len(line) > 12 && line[12] != ' ' {
		return 0, errBadResponse
	}
	http10 := line[7] == '0'
	keepAlive := !http10
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return 0, errBadResponse
		}
		h.status = h.status*10 + int(c-'0')
	}
	if h.status < 100 {
		return 0, errBadResponse
	}
	if len(line) > 13 {
		h.reason = bstr(line[13:])
		for _, c := range line[13:] {
			if c < ' ' && c != '\t' || c == 0x7f {
				return 0, errBadResponse
			}
		}
	}
	lengths := ""
	for {
		if line, rest, ok = respLine(rest); !ok {
			return 0, nil
		}
		if len(line) == 0 {
			break
		}
		name, value, valid := splitHeader(line)
		if !valid {
			return 0, errBadResponse
		}
		switch {
		case asciiEqualFold(name, "content-length"):
			if lengths != "" && lengths != value || parseLength(value) < 0 {
				return 0, errBadResponse
			}
			lengths = value
			h.length = parseLength(value)
		case asciiEqualFold(name, "transfer-encoding") && !http10: // HTTP/1.0 has none (net/http ignores it too)
			if h.chunked || !asciiEqualFold(value, "chunked") {
				return 0, errBadResponse // like net/http: chunked, once, or nothing
			}
			h.chunked = true
		case asciiEqualFold(name, "connection"):
			for v := value; v != ""; {
				var tok string
				tok, v = cutComma(v)
				switch {
				case asciiEqualFold(tok, "close"):
					h.close = true
				case asciiEqualFold(tok, "keep-alive"):
					keepAlive = true
				case tok != "" && len(h.connTokens) < maxConnTokens:
					h.connTokens = append(h.connTokens, tok)
				}
			}
		}
		h.headers = append(h.headers, header{name, value})
	}
	if !keepAlive {
		h.close = true // HTTP/1.0 without keep-alive
	}
	if h.chunked {
		h.length = -1
	}
	return len(b) - len(rest), nil
}

// respLine returns the first line of b, with its LF or CRLF removed.
func respLine(b []byte) (line, rest []byte, ok bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return nil, nil, false
	}
	line = b[:i]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, b[i+1:], true
}

// respBody reads a response body out of its connection's buffer.
type respBody struct {
	bc      *backendConn
	chunked bool
	eof     bool  // the body ends with the connection
	rem     int64 // bytes left: of the body, or of the current chunk
	started bool  // chunked: some chunk has been read
	excess  int64 // chunked: framing bytes beyond an allowance, as net/http counts them
	done    bool
}

func (bc *backendConn) body(h *respHead) respBody {
	b := respBody{bc: bc, chunked: h.chunked, rem: h.length}
	switch {
	case h.noBody:
		b.done = true
	case h.chunked:
		b.rem = 0
	case h.length < 0:
		b.eof = true
	case h.length == 0:
		b.done = true
	}
	return b
}

// next returns the next piece of the body, in the connection's buffer:
// it is valid until the next call. At the end it returns io.EOF.
func (b *respBody) next() ([]byte, error) {
	bc := b.bc
	for !b.done {
		if b.chunked && b.rem == 0 {
			if err := b.chunkHeader(); err != nil {
				return nil, err
			}
			continue
		}
		if bc.r == bc.w {
			if err := bc.fill(); err != nil {
				if b.eof && err == io.EOF {
					b.done = true
					break
				}
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return nil, err
			}
		}
		p := bc.buf[bc.r:bc.w]
		if !b.eof && int64(len(p)) > b.rem {
			p = p[:b.rem]
		}
		bc.r += len(p)
		if !b.eof {
			b.rem -= int64(len(p))
			if b.rem == 0 && !b.chunked {
				b.done = true
			}
		}
		return p, nil
	}
	return nil, io.EOF
}

// chunkHeader reads the CRLF ending the previous chunk and the next chunk's
// size line; after the last chunk, the trailer (dropped). Like net/http,
// it wants CRLF line ends in the framing and bounds the bytes spent on it.
func (b *respBody) chunkHeader() error {
	if b.started {
		line, err := b.line(true)
		if err != nil {
			return err
		}
		if len(line) != 0 {
			return errBadResponse
		}
	}
	b.started = true
	line, err := b.line(true)
	if err != nil {
		return err
	}
	b.excess += int64(len(line)) + 2
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimRight(line, " \t")
	n, ok := parseHex(line)
	if !ok {
		return errBadResponse
	}
	if b.excess = max(b.excess-16-2*int64(n), 0); b.excess > maxChunkOverhead {
		return errBadResponse
	}
	if n > 0 {
		b.rem = int64(n)
		return nil
	}
	for trailer := 0; ; trailer++ {
		line, err := b.line(true)
		if err != nil {
			return err
		}
		if len(line) == 0 {
			b.done = true
			return nil
		}
		if _, _, ok := splitHeader(line); !ok || trailer == maxHeaders {
			return errBadResponse
		}
	}
}

// parseHex parses a chunk size: 1 to 16 hex digits, below 2^63.
func parseHex(v []byte) (uint64, bool) {
	if len(v) == 0 || len(v) > 16 {
		return 0, false
	}
	var n uint64
	for _, c := range v {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		n = n<<4 | uint64(c)
	}
	return n, n < 1<<63
}

// line reads one line of chunked framing or trailer, without its line end.
// strict: it must end in CRLF, with no other CR.
func (b *respBody) line(strict bool) ([]byte, error) {
	bc := b.bc
	for {
		if i := bytes.IndexByte(bc.buf[bc.r:bc.w], '\n'); i >= 0 {
			line := bc.buf[bc.r : bc.r+i]
			bc.r += i + 1
			cr := bytes.IndexByte(line, '\r')
			switch {
			case cr == len(line)-1 && cr >= 0:
				line = line[:cr]
			case strict:
				return nil, errBadResponse
			}
			if len(line) >= maxChunkLine {
				return nil, errBadResponse
			}
			return line, nil
		}
		if bc.w-bc.r >= maxChunkLine {
			return nil, errBadResponse
		}
		if err := bc.fill(); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
}
