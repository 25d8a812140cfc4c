package lb

import (
	"bufio"
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRequest(t *testing.T) {
	type want struct {
		Method, Target, Host, Path, Query string
		Length                            int64
		Close                             bool
		Headers                           int
		Trace                             string
		Tokens                            []string
	}
	for _, tc := range []struct {
		name string
		in   string
		res  parseResult
		want want
	}{
		{"plain", "GET /a/b?x=1&y HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: t\r\n\r\n", parseOK,
			want{Method: "GET", Target: "/a/b?x=1&y", Host: "example.com:8080", Path: "/a/b", Query: "x=1&y", Length: -1, Headers: 2}},
		{"body length", "POST /p HTTP/1.1\r\nhost: h\r\ncontent-LENGTH: 12\r\n\r\nhello", parseOK,
			want{Method: "POST", Target: "/p", Host: "h", Path: "/p", Length: 12, Headers: 2}},
		{"escaped path", "GET /a%20b/%2F?q=%20 HTTP/1.1\r\nHost: h\r\n\r\n", parseOK,
			want{Method: "GET", Target: "/a%20b/%2F?q=%20", Host: "h", Path: "/a b//", Query: "q=%20", Length: -1, Headers: 1}},
		{"connection tokens", "GET / HTTP/1.1\r\nHost: h\r\nConnection: close, X-Secret\r\nX-Secret: 1\r\nX-Amzn-Trace-Id: Root=1-2-3\r\n\r\n", parseOK,
			want{Method: "GET", Target: "/", Host: "h", Path: "/", Length: -1, Close: true, Headers: 4, Trace: "Root=1-2-3", Tokens: []string{"X-Secret"}}},
		{"value whitespace", "GET / HTTP/1.1\r\nHost:   h \t\r\n\r\n", parseOK,
			want{Method: "GET", Target: "/", Host: "h", Path: "/", Length: -1, Headers: 1}},
		{"incomplete", "GET / HTTP/1.1\r\nHost: h\r\n", parseIncomplete, want{}},
		{"incomplete line", "GET / HTT", parseIncomplete, want{}},
		{"length and chunked", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", parseReject, want{}},
		{"chunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", parseFallback, want{}},
		{"expect", "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n", parseFallback, want{}},
		{"upgrade", "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", parseFallback, want{}},
		{"http/1.0", "GET / HTTP/1.0\r\n\r\n", parseFallback, want{}},
		{"http/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", parseFallback, want{}},
		{"absolute form", "GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n", parseFallback, want{}},
		{"asterisk", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", parseFallback, want{}},
		{"no host", "GET / HTTP/1.1\r\n\r\n", parseFallback, want{}},
		{"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", parseFallback, want{}},
		{"bad host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", parseFallback, want{}},
		{"two lengths", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", parseFallback, want{}},
		{"bad length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\n", parseFallback, want{}},
		{"bare LF", "GET / HTTP/1.1\nHost: h\n\n", parseFallback, want{}},
		{"bare LF later", "GET / HTTP/1.1\r\nHost: h\n\r\n", parseFallback, want{}},
		{"space before colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", parseFallback, want{}},
		{"obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", parseFallback, want{}},
		{"control byte", "GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n", parseFallback, want{}},
		{"control in target", "GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n", parseFallback, want{}},
		{"bad escape", "GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n", parseFallback, want{}},
		{"bad method", "G(T / HTTP/1.1\r\nHost: h\r\n\r\n", parseFallback, want{}},
		{"empty line first", "\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", parseFallback, want{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var req h1req
			res := parseRequest([]byte(tc.in), &req)
			if res != tc.res {
				t.Fatalf("result %d, want %d", res, tc.res)
			}
			if res != parseOK {
				return
			}
			got := want{req.method, req.target, req.host, req.path, req.rawQuery, req.contentLength, req.close, len(req.headers), req.trace, req.connTokens}
			if len(got.Tokens) == 0 {
				got.Tokens = nil
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
			if body := strings.Index(tc.in, "\r\n\r\n") + 4; req.headLen != body {
				t.Errorf("head length %d, want %d", req.headLen, body)
			}
		})
	}
}

// TestParseRequestAllocs: parsing a plain request allocates nothing.
func TestParseRequestAllocs(t *testing.T) {
	in := []byte("GET /api/users?id=7 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: wrk\r\nAccept: */*\r\nCookie: a=b\r\n\r\n")
	var req h1req
	parseRequest(in, &req)
	if n := testing.AllocsPerRun(1000, func() { parseRequest(in, &req) }); n != 0 {
		t.Fatalf("%v allocations per parse", n)
	}
}

// FuzzParseRequest checks the parser against net/http's: whatever it
// accepts, net/http reads the same way; what it calls incomplete, net/http
// cannot read either.
func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST /a?b=c HTTP/1.1\r\nHost: h:80\r\nContent-Length: 5\r\nConnection: keep-alive, X-A\r\nX-A: 1\r\n\r\nhello",
		"GET /%41%2f HTTP/1.1\r\nHost: [::1]:8080\r\nX-Forwarded-For: 1.2.3.4\r\nx-forwarded-for: 5.6.7.8\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX: \x80\xff\t v\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 00\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var req h1req
		res := parseRequest(in, &req)
		rd := bytes.NewReader(in)
		br := bufio.NewReaderSize(rd, len(in)+16)
		std, err := http.ReadRequest(br)
		switch res {
		case parseIncomplete:
			if err == nil {
				t.Fatalf("incomplete for us, net/http read %s %s", std.Method, std.RequestURI)
			}
			return
		case parseReject:
			if !bytes.Contains(bytes.ToLower(in), []byte("transfer-encoding")) || !bytes.Contains(bytes.ToLower(in), []byte("content-length")) {
				t.Fatalf("rejected without both framing headers")
			}
			return
		case parseFallback:
			return
		}
		if err != nil {
			t.Fatalf("we accepted what net/http rejects: %v", err)
		}
		if consumed := len(in) - br.Buffered() - rd.Len(); consumed != req.headLen {
			t.Fatalf("head is %d bytes, net/http read %d", req.headLen, consumed)
		}
		if std.Method != req.method || std.RequestURI != req.target || std.Host != req.host || std.URL.Path != req.path || std.URL.RawQuery != req.rawQuery {
			t.Fatalf("request %q %q %q %q %q, net/http %q %q %q %q %q", req.method, req.target, req.host, req.path, req.rawQuery,
				std.Method, std.RequestURI, std.Host, std.URL.Path, std.URL.RawQuery)
		}
		wantLen := std.ContentLength
		if std.Header.Get("Content-Length") == "" && wantLen == 0 {
			wantLen = -1
		}
		if req.contentLength != wantLen {
			t.Fatalf("content length %d, net/http %d", req.contentLength, std.ContentLength)
		}
		got := http.Header{}
		for _, h := range req.headers {
			if !asciiEqualFold(h.name, "host") {
				got.Add(h.name, h.value)
			}
		}
		if d := cmp.Diff(std.Header, got); d != "" {
			t.Fatalf("headers (-net/http +ours)\n%s", d)
		}
	})
}
