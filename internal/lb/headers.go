package lb

import (
	"math/rand/v2"
	"strings"
	"time"
)

// Header helpers shared by the data plane's HTTP/1.1 loop and its net/http
// front: which headers are hop-by-hop, the trace ID, byte-level checks.

// skipHeader reports whether request header k (canonical) is not
// forwarded: hop-by-hop headers (RFC 9110 7.6.1) and the ones the load
// balancer sets itself.
func skipHeader(k string) bool {
	switch k {
	case "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
		"Te", "Trailer", "Transfer-Encoding", "Upgrade",
		"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Port", "X-Amzn-Trace-Id", "Content-Length":
		return true
	}
	return false
}

// skipRawHeader is skipHeader for a header name as received, plus Host,
// which the request line's writer puts first.
func skipRawHeader(k string) bool {
	switch len(k) {
	case 2:
		return asciiEqualFold(k, "te")
	case 4:
		return asciiEqualFold(k, "host")
	case 7:
		return asciiEqualFold(k, "trailer") || asciiEqualFold(k, "upgrade")
	case 10:
		return asciiEqualFold(k, "connection") || asciiEqualFold(k, "keep-alive")
	case 14:
		return asciiEqualFold(k, "content-length")
	case 15:
		return asciiEqualFold(k, "x-forwarded-for") || asciiEqualFold(k, "x-amzn-trace-id")
	case 16:
		return asciiEqualFold(k, "proxy-connection") || asciiEqualFold(k, "x-forwarded-port")
	case 17:
		return asciiEqualFold(k, "transfer-encoding") || asciiEqualFold(k, "x-forwarded-proto")
	case 18:
		return asciiEqualFold(k, "proxy-authenticate")
	case 19:
		return asciiEqualFold(k, "proxy-authorization")
	}
	return false
}

// skipRespHeader reports whether response header k (as received) is
// hop-by-hop.
func skipRespHeader(k string) bool {
	switch len(k) {
	case 2:
		return asciiEqualFold(k, "te")
	case 7:
		return asciiEqualFold(k, "trailer") || asciiEqualFold(k, "upgrade")
	case 10:
		return asciiEqualFold(k, "connection") || asciiEqualFold(k, "keep-alive")
	case 16:
		return asciiEqualFold(k, "proxy-connection")
	case 17:
		return asciiEqualFold(k, "transfer-encoding")
	}
	return false
}

// cutComma returns the first element of a comma-separated list, trimmed,
// and the rest.
func cutComma(v string) (tok, rest string) {
	i := 0
	for i < len(v) && v[i] != ',' {
		i++
	}
	tok, rest = v[:i], v[min(i+1, len(v)):]
	for len(tok) > 0 && (tok[0] == ' ' || tok[0] == '\t') {
		tok = tok[1:]
	}
	for len(tok) > 0 && (tok[len(tok)-1] == ' ' || tok[len(tok)-1] == '\t') {
		tok = tok[:len(tok)-1]
	}
	return tok, rest
}

// isConnToken reports whether name is one of a Connection header's tokens:
// a further hop-by-hop header, not forwarded.
func isConnToken(tokens []string, name string) bool {
	for _, t := range tokens {
		if strings.EqualFold(t, name) {
			return true
		}
	}
	return false
}

// asciiEqualFold compares s with lower, which must be lower case ASCII.
func asciiEqualFold[S string | []byte](s S, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func isToken[S string | []byte](s S) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenByte(s[i]) {
			return false
		}
	}
	return true
}

// tokenByte reports whether c may appear in an RFC 9110 token.
func tokenByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// validHost reports whether h may be a Host header: the bytes of a
// reg-name, IP literal or port (net/http's lenient rule).
func validHost(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			continue
		}
		switch c {
		case '!', '$', '%', '&', '(', ')', '*', '+', ',', '-', '.', ':', ';', '=', '[', '\'', ']', '_', '~':
			continue
		}
		return false
	}
	return true
}

// cookieValue finds cookie name in the request's Cookie headers.
func cookieValue(hs []header, name string) (string, bool) {
	for _, h := range hs {
		if len(h.name) != 6 || !asciiEqualFold(h.name, "cookie") {
			continue
		}
		for v := h.value; v != ""; {
			var part string
			part, v, _ = strings.Cut(v, ";")
			part = strings.TrimSpace(part)
			k, val, ok := strings.Cut(part, "=")
			if ok && k == name {
				if len(val) > 1 && val[0] == '"' && val[len(val)-1] == '"' {
					val = val[1 : len(val)-1]
				}
				return val, true
			}
		}
	}
	return "", false
}

// appendTraceID appends the X-Amzn-Trace-Id to send: the client's if it
// has a Root, else a new Root followed by what the client sent.
func appendTraceID(b []byte, in string, now time.Time) []byte {
	if strings.Contains(in, "Root=") {
		return append(b, in...)
	}
	b = append(b, "Root=1-"...)
	b = appendHex(b, uint64(now.Unix()), 8)
	b = append(b, '-')
	b = appendHex(b, uint64(rand.Uint32()), 8)
	b = appendHex(b, rand.Uint64(), 16)
	if in != "" {
		b = append(b, ';')
		b = append(b, in...)
	}
	return b
}

// appendHex appends the low digits hex digits of v, zero-padded.
func appendHex(b []byte, v uint64, digits int) []byte {
	const hex = "0123456789abcdef"
	for i := digits - 1; i >= 0; i-- {
		b = append(b, hex[(v>>(4*uint(i)))&0xf])
	}
	return b
}
