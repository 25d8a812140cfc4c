package lb

import (
	"bytes"
	"net/url"
	"unsafe"
)

// The data plane's own HTTP/1.1 request parser. It accepts only the plain
// requests that make up nearly all load-balancer traffic — origin-form
// target, HTTP/1.1, CRLF line ends, one Host, at most one Content-Length,
// no Transfer-Encoding, Expect or Upgrade — and hands anything else to
// net/http (parseFallback), which answers errors and odd requests exactly
// as it always has. The one request it refuses itself is a smuggling
// attempt: Content-Length and Transfer-Encoding together.

// header is one header field as received. Its strings point into a
// connection's read buffer: they are valid until the buffer is read into
// again, which happens only once the request's head has been used.
type header struct{ name, value string }

// h1req is one request parsed by parseRequest.
type h1req struct {
	method, target, host string
	path, rawQuery       string
	headers              []header
	contentLength        int64 // -1: no Content-Length header
	head                 bool  // a HEAD request: answers have no body
	close                bool  // the client asked to close the connection after the answer
	connTokens           []string
	trace                string // X-Amzn-Trace-Id
	headLen              int    // bytes of the head, blank line included
}

// parseResult says what parseRequest found.
type parseResult int

const (
	parseOK         parseResult = iota
	parseIncomplete             // the head has not fully arrived
	parseFallback               // a request net/http must handle (or reject)
	parseReject                 // Content-Length with Transfer-Encoding: 400 and close
)

const (
	maxHeaders    = 100
	maxConnTokens = 8
)

// bstr returns b as a string without copying; see header for how long it lives.
func bstr(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// parseRequest parses the request head at the start of b into req. It
// reuses req's slices, so it allocates nothing except when the path has
// percent escapes to decode.
func parseRequest(b []byte, req *h1req) parseResult {
	*req = h1req{headers: req.headers[:0], connTokens: req.connTokens[:0], contentLength: -1}
	line, rest, res := nextLine(b)
	if res != parseOK {
		return res
	}
	if !parseRequestLine(line, req) {
		return parseFallback
	}
	hosts, lengths, te := 0, 0, false
	for {
		if line, rest, res = nextLine(rest); res != parseOK {
			return res
		}
		if len(line) == 0 {
			break
		}
		name, value, ok := splitHeader(line)
		if !ok || len(req.headers) == maxHeaders {
			return parseFallback
		}
		switch len(name) {
		case 4:
			if asciiEqualFold(name, "host") {
				hosts++
				req.host = value
			}
		case 6:
			if asciiEqualFold(name, "expect") {
				return parseFallback
			}
		case 7:
			if asciiEqualFold(name, "upgrade") {
				return parseFallback
			}
		case 10:
			if asciiEqualFold(name, "connection") && !req.parseConnection(value) {
				return parseFallback
			}
		case 14:
			if asciiEqualFold(name, "content-length") {
				lengths++
				if req.contentLength = parseLength(value); req.contentLength < 0 {
					return parseFallback
				}
			}
		case 15:
			if asciiEqualFold(name, "x-amzn-trace-id") && req.trace == "" {
				req.trace = value
			}
		case 17:
			if asciiEqualFold(name, "transfer-encoding") {
				te = true
			}
		}
		req.headers = append(req.headers, header{name, value})
	}
	switch {
	case te && lengths > 0:
		return parseReject
	case te, hosts != 1, lengths > 1, !validHost(req.host):
		return parseFallback
	}
	req.headLen = len(b) - len(rest)
	return parseOK
}

// nextLine returns b's first CRLF-terminated line and what follows it.
// A bare LF is left to net/http.
func nextLine(b []byte) (line, rest []byte, res parseResult) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return nil, nil, parseIncomplete
	}
	if i == 0 || b[i-1] != '\r' {
		return nil, nil, parseFallback
	}
	return b[:i-1], b[i+1:], parseOK
}

// parseRequestLine parses "METHOD /target HTTP/1.1".
func parseRequestLine(line []byte, req *h1req) bool {
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 || !isToken(line[:sp]) {
		return false
	}
	method, line := line[:sp], line[sp+1:]
	sp = bytes.IndexByte(line, ' ')
	if sp <= 0 || line[0] != '/' || string(line[sp+1:]) != "HTTP/1.1" {
		return false
	}
	target := line[:sp]
	for _, c := range target {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	req.method, req.target = bstr(method), bstr(target)
	req.head = string(method) == "HEAD"
	path := target
	if q := bytes.IndexByte(target, '?'); q >= 0 {
		path, req.rawQuery = target[:q], bstr(target[q+1:])
	}
	req.path = bstr(path)
	if bytes.IndexByte(path, '%') >= 0 {
		p, err := url.PathUnescape(req.path)
		if err != nil {
			return false
		}
		req.path = p
	}
	return true
}

// splitHeader splits "Name: value", trimming the value's optional
// whitespace; ok is false for anything net/http should judge (an invalid
// name or value byte, obsolete line folding).
func splitHeader(line []byte) (name, value string, ok bool) {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 || !isToken(line[:colon]) {
		return "", "", false
	}
	v := line[colon+1:]
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
		v = v[1:]
	}
	for len(v) > 0 && (v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
		v = v[:len(v)-1]
	}
	for _, c := range v {
		if c < ' ' && c != '\t' || c == 0x7f {
			return "", "", false
		}
	}
	return bstr(line[:colon]), bstr(v), true
}

// parseConnection reads a Connection header's tokens: "close", and the
// names of further hop-by-hop headers not to forward.
func (req *h1req) parseConnection(v string) bool {
	for v != "" {
		var tok string
		tok, v = cutComma(v)
		switch {
		case tok == "":
		case asciiEqualFold(tok, "close"):
			req.close = true
		case asciiEqualFold(tok, "keep-alive"):
		case len(req.connTokens) == maxConnTokens:
			return false
		default:
			req.connTokens = append(req.connTokens, tok)
		}
	}
	return true
}

// parseLength parses a Content-Length value; -1 if it is not one.
func parseLength[S string | []byte](v S) int64 {
	if len(v) == 0 || len(v) > 18 {
		return -1
	}
	var n int64
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int64(c-'0')
	}
	return n
}
