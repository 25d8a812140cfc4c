package lb

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The data plane forwards plain HTTP/1.1 requests on connections of its
// own: the handler goroutine writes the request to a pooled connection and
// reads the response from it, with no goroutine hand-offs (net/http's
// Transport runs a read and a write goroutine per connection and passes each
// request between them, which costs as much as the proxying itself).
// Upgrades (WebSocket) go through httputil.ReverseProxy.

// backendConn is one keep-alive connection to a target.
type backendConn struct {
	c  net.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

// connPool keeps idle connections per target address.
type connPool struct {
	mu   sync.Mutex
	idle map[string][]*backendConn
	max  int // idle connections kept per address
}

func newConnPool() *connPool { return &connPool{idle: map[string][]*backendConn{}, max: 512} }

func (p *connPool) get(addr string) *backendConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.idle[addr]
	if len(l) == 0 {
		return nil
	}
	bc := l[len(l)-1]
	p.idle[addr] = l[:len(l)-1]
	return bc
}

func (p *connPool) put(addr string, bc *backendConn) {
	p.mu.Lock()
	if len(p.idle[addr]) < p.max {
		p.idle[addr] = append(p.idle[addr], bc)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	bc.c.Close()
}

func (p *connPool) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for addr, l := range p.idle {
		for _, bc := range l {
			bc.c.Close()
		}
		delete(p.idle, addr)
	}
}

var dialer = net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}

func dialBackend(addr string) (*backendConn, error) {
	c, err := dialer.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &backendConn{c: c, br: bufio.NewReaderSize(c, 16<<10), bw: bufio.NewWriterSize(c, 8<<10)}, nil
}

// hopHeaders are not forwarded (RFC 9110 7.6.1), nor are the ones the load
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

// errRetry marks a failure on a reused connection before any response byte:
// the target closed it while idle, and the request may go on a new one.
var errRetry = errors.New("idle connection closed")

// proxyFast forwards r to rt's target and copies the answer to w.
func (dp *DataPlane) proxyFast(w http.ResponseWriter, r *http.Request, rt *route) {
	addr := rt.t.addr
	idempotent := r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0
	for attempt := 0; ; attempt++ {
		bc := dp.pool.get(addr)
		reused := bc != nil
		if bc == nil {
			var err error
			if bc, err = dialBackend(addr); err != nil {
				dp.log.Debug("dial target", "target", addr, "err", err)
				dp.elbError(rt.l, rt.g, w, http.StatusBadGateway)
				return
			}
		}
		err := dp.exchange(w, r, rt, bc, reused)
		if errors.Is(err, errRetry) && idempotent && attempt == 0 {
			continue
		}
		return
	}
}

// exchange sends one request on bc and relays the response. It returns
// errRetry when a reused connection turned out to be closed.
func (dp *DataPlane) exchange(w http.ResponseWriter, r *http.Request, rt *route, bc *backendConn, reused bool) error {
	stop := context.AfterFunc(rt.t.drainCtx, func() { bc.c.SetDeadline(time.Unix(1, 0)) }) // the drain deadline ends the exchange
	defer stop()
	bc.c.SetDeadline(time.Now().Add(rt.l.idle))
	if err := writeRequest(bc.bw, r, rt); err != nil {
		bc.c.Close()
		if reused {
			return errRetry
		}
		dp.elbError(rt.l, rt.g, w, http.StatusBadGateway)
		return err
	}
	resp, err := http.ReadResponse(bc.br, r)
	if err != nil {
		bc.c.Close()
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			dp.elbError(rt.l, rt.g, w, http.StatusGatewayTimeout)
		case reused && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)):
			return errRetry
		default:
			dp.elbError(rt.l, rt.g, w, http.StatusBadGateway)
		}
		return err
	}
	rt.g.stats.observe(resp.StatusCode, time.Since(rt.start))
	h := w.Header()
	for k, vv := range resp.Header {
		if k == "Connection" || k == "Keep-Alive" || k == "Transfer-Encoding" || k == "Trailer" || k == "Proxy-Connection" || k == "Upgrade" || k == "Te" {
			continue
		}
		h[k] = vv
	}
	if rt.sticky {
		dp.setSticky(h, rt)
	}
	w.WriteHeader(resp.StatusCode)
	bufp := dp.bufs.Get().(*[]byte)
	_, cerr := io.CopyBuffer(w, resp.Body, *bufp)
	dp.bufs.Put(bufp)
	resp.Body.Close()
	if cerr != nil || resp.Close {
		bc.c.Close()
		return cerr
	}
	bc.c.SetDeadline(time.Time{})
	dp.pool.put(rt.t.addr, bc)
	return nil
}

// writeRequest writes r as an HTTP/1.1 request for rt's target.
func writeRequest(bw *bufio.Writer, r *http.Request, rt *route) error {
	uri := r.RequestURI
	if uri == "" || uri[0] != '/' && uri != "*" {
		uri = r.URL.RequestURI()
	}
	bw.WriteString(r.Method)
	bw.WriteByte(' ')
	bw.WriteString(uri)
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	bw.WriteString(r.Host)
	bw.WriteString("\r\n")
	for k, vv := range r.Header {
		if skipHeader(k) {
			continue
		}
		for _, v := range vv {
			bw.WriteString(k)
			bw.WriteString(": ")
			bw.WriteString(v)
			bw.WriteString("\r\n")
		}
	}
	client, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		client = r.RemoteAddr
	}
	bw.WriteString("X-Forwarded-For: ")
	if prior := r.Header["X-Forwarded-For"]; len(prior) > 0 {
		bw.WriteString(strings.Join(prior, ", "))
		bw.WriteString(", ")
	}
	bw.WriteString(client)
	if r.TLS != nil {
		bw.WriteString("\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Port: ")
	} else {
		bw.WriteString("\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Port: ")
	}
	bw.WriteString(strconv.Itoa(rt.l.port))
	bw.WriteString("\r\nX-Amzn-Trace-Id: ")
	bw.WriteString(traceID(r.Header.Get("X-Amzn-Trace-Id")))
	bw.WriteString("\r\n")
	hasBody := r.Body != nil && r.Body != http.NoBody
	switch {
	case r.ContentLength > 0 || (r.ContentLength == 0 && (r.Method == "POST" || r.Method == "PUT" || r.Method == "PATCH")):
		bw.WriteString("Content-Length: ")
		bw.WriteString(strconv.FormatInt(r.ContentLength, 10))
		bw.WriteString("\r\n\r\n")
		if hasBody && r.ContentLength > 0 {
			if _, err := io.CopyN(bw, r.Body, r.ContentLength); err != nil {
				return err
			}
		}
	case r.ContentLength < 0 && hasBody:
		bw.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		cw := httputil.NewChunkedWriter(bw)
		if _, err := io.Copy(cw, r.Body); err != nil {
			return err
		}
		cw.Close()
		bw.WriteString("\r\n")
	default:
		bw.WriteString("\r\n")
	}
	return bw.Flush()
}
