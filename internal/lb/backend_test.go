package lb

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readerConn is a connection that reads from r (and must not be written to).
type readerConn struct {
	net.Conn
	r io.Reader
}

func (c readerConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// readResponse reads a response with the data plane's parser, whole.
func readResponse(in []byte, head bool, bufSize int) (respHead, []byte, error) {
	bc := &backendConn{c: readerConn{r: bytes.NewReader(in)}, buf: make([]byte, bufSize)}
	var h respHead
	if err := bc.readHead(&h, head); err != nil {
		return h, nil, err
	}
	h.headers = append([]header(nil), h.headers...)
	for i := range h.headers { // copy out of the buffer
		h.headers[i] = header{string([]byte(h.headers[i].name)), string([]byte(h.headers[i].value))}
	}
	body := bc.body(&h)
	var out []byte
	for {
		p, err := body.next()
		if err == io.EOF {
			return h, out, nil
		}
		if err != nil {
			return h, out, err
		}
		out = append(out, p...)
	}
}

func TestReadResponse(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     string
		head   bool
		status int
		body   string
		close  bool
		bad    bool
	}{
		{name: "length", in: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA", status: 200, body: "hello"},
		{name: "chunked", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n", status: 200, body: "hello world"},
		{name: "chunked, LF head", in: "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\r\nabc\r\n0\r\nT: 1\r\n\r\n", status: 200, body: "abc"},
		{name: "chunk line LF", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", bad: true},
		{name: "chunk line CR", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r;\r\nabc\r\n0\r\n\r\n", bad: true},
		{name: "http/1.0 chunked", in: "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 200, body: "0\r\n\r\n", close: true},
		{name: "until close", in: "HTTP/1.1 200 OK\r\n\r\nall of it", status: 200, body: "all of it", close: true},
		{name: "http/1.0", in: "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", status: 200, body: "hi", close: true},
		{name: "http/1.0 keep-alive", in: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi", status: 200, body: "hi"},
		{name: "connection close", in: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi", status: 200, body: "hi", close: true},
		{name: "no content", in: "HTTP/1.1 204 No Content\r\n\r\n", status: 204},
		{name: "not modified", in: "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", status: 304},
		{name: "head", in: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", head: true, status: 200},
		{name: "continue first", in: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx", status: 201, body: "x"},
		{name: "no reason", in: "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", status: 200},
		{name: "chunked wins", in: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n", status: 200, body: "a"},
		{name: "switching", in: "HTTP/1.1 101 Switching Protocols\r\n\r\n", bad: true},
		{name: "two lengths", in: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", bad: true},
		{name: "gzip coding", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", bad: true},
		{name: "bad status", in: "HTTP/1.1 20 OK\r\n\r\n", bad: true},
		{name: "not http", in: "SSH-2.0-OpenSSH\r\n\r\n", bad: true},
		{name: "bad header", in: "HTTP/1.1 200 OK\r\nX Y: z\r\n\r\n", bad: true},
		{name: "header control byte", in: "HTTP/1.1 200 OK\r\nX: a\x01\r\n\r\n", bad: true},
		{name: "bad chunk", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", bad: true},
		{name: "short body", in: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", bad: true},
		{name: "chunk without CRLF", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n", bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, body, err := readResponse([]byte(tc.in), tc.head, 64)
			if tc.bad {
				if err == nil {
					t.Fatalf("read %d %q, want an error", h.status, body)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.status != tc.status || string(body) != tc.body || h.close != tc.close {
				t.Errorf("got %d %q close=%v, want %d %q close=%v", h.status, body, h.close, tc.status, tc.body, tc.close)
			}
		})
	}
}

// TestResponseHeadTooLarge: a head beyond the limit is an error, not a
// buffer growing without end.
func TestResponseHeadTooLarge(t *testing.T) {
	in := "HTTP/1.1 200 OK\r\nX: " + string(bytes.Repeat([]byte("a"), maxRespHeadSize)) + "\r\n\r\n"
	if _, _, err := readResponse([]byte(in), false, backendBufSize); err == nil {
		t.Fatal("no error")
	}
}

// FuzzReadResponse checks the response parser against net/http's: what it
// reads, net/http reads with the same status, headers and body.
func FuzzReadResponse(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0\r\nT: 1\r\n\r\n",
		"HTTP/1.0 404 Not Found\r\n\r\nbody",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.1 200 OK\nContent-Length: 1\n\nx",
	} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, in []byte, head bool) {
		h, body, err := readResponse(in, head, 32)
		if err != nil {
			return
		}
		method := "GET"
		if head {
			method = "HEAD"
		}
		resp, serr := http.ReadResponse(bufio.NewReader(bytes.NewReader(in)), &http.Request{Method: method})
		for serr == nil && resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != 101 {
			serr = errSkip // net/http returns 1xx responses to its caller; the data plane skips them
		}
		if serr == errSkip {
			return
		}
		if serr != nil {
			t.Fatalf("we read %d, net/http: %v", h.status, serr)
		}
		sbody, serr := io.ReadAll(resp.Body)
		if serr != nil {
			t.Fatalf("we read body %q, net/http: %v", body, serr)
		}
		if resp.StatusCode != h.status || !bytes.Equal(sbody, body) {
			t.Fatalf("we read %d %q, net/http %d %q", h.status, body, resp.StatusCode, sbody)
		}
		got := http.Header{}
		for _, kv := range h.headers {
			got.Add(kv.name, kv.value)
		}
		want := resp.Header.Clone()
		got.Del("Transfer-Encoding") // hop-by-hop: net/http drops it, the data plane does not forward it
		if h.chunked {
			got.Del("Content-Length")
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("headers (-net/http +ours)\n%s", d)
		}
	})
}

var errSkip = io.ErrShortBuffer
