package lb

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"time"
)

// Forwarding for requests that came through net/http (HTTPS listeners, and
// what the data plane's own HTTP/1.1 loop hands over): the same backend
// connections and response parser as the fast path, with net/http's
// ResponseWriter as the client side.

// errRetry marks a failure on a reused connection before any byte of the
// answer: the target closed it while idle, and the request may go on a new one.
var errRetry = errors.New("idle connection closed")

// proxyStd forwards r to rt's target and copies the answer to w.
func (dp *DataPlane) proxyStd(w http.ResponseWriter, r *http.Request, rt *route) {
	t := rt.t
	idempotent := r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0
	for attempt := 0; ; attempt++ {
		bc := t.conns.get(rt.start)
		reused := bc != nil
		if bc == nil {
			var err error
			if bc, err = dialBackend(t.addr); err != nil {
				dp.log.Debug("dial target", "target", t.addr, "err", err)
				dp.elbError(rt.l, rt.g, w, http.StatusBadGateway)
				return
			}
		}
		err := dp.exchangeStd(w, r, rt, bc, reused)
		if errors.Is(err, errRetry) && idempotent && attempt == 0 {
			continue
		}
		return
	}
}

// exchangeStd sends one request on bc and relays the response. It returns
// errRetry when a reused connection turned out to be closed.
func (dp *DataPlane) exchangeStd(w http.ResponseWriter, r *http.Request, rt *route, bc *backendConn, reused bool) error {
	t := rt.t
	if !t.conns.begin(bc) {
		bc.c.Close()
		dp.elbError(rt.l, rt.g, w, http.StatusBadGateway)
		return nil
	}
	defer t.conns.end(bc)
	bc.refreshDeadline(time.Now(), rt.l.idle)
	var h respHead
	err := writeRequest(bc.c, r, rt)
	if err == nil {
		err = bc.readHead(&h, r.Method == http.MethodHead)
	}
	if err != nil {
		bc.c.Close()
		var ne net.Error
		switch {
		case reused && !bc.got && !(errors.As(err, &ne) && ne.Timeout()):
			return errRetry
		case errors.As(err, &ne) && ne.Timeout():
			dp.elbError(rt.l, rt.g, w, http.StatusGatewayTimeout)
		default:
			dp.elbError(rt.l, rt.g, w, http.StatusBadGateway)
		}
		return err
	}
	rt.g.stats.observe(h.status, time.Since(rt.start))
	out := w.Header()
	for _, kv := range h.headers {
		if skipRespHeader(kv.name) || isConnToken(h.connTokens, kv.name) || h.length < 0 && asciiEqualFold(kv.name, "content-length") {
			continue
		}
		k := http.CanonicalHeaderKey(kv.name)
		out[k] = append(out[k], strings.Clone(kv.value))
	}
	if rt.sticky {
		dp.setSticky(out, rt)
	}
	w.WriteHeader(h.status)
	body := bc.body(&h)
	for {
		p, err := body.next()
		if err == io.EOF {
			break
		}
		if err == nil {
			_, err = w.Write(p)
		}
		if err != nil {
			bc.c.Close()
			return err
		}
	}
	if h.close || bc.r != bc.w {
		bc.c.Close()
		return nil
	}
	t.conns.put(bc, time.Now())
	return nil
}

// writeRequest writes r as an HTTP/1.1 request for rt's target.
func writeRequest(c net.Conn, r *http.Request, rt *route) error {
	uri := r.RequestURI
	if uri == "" || uri[0] != '/' && uri != "*" {
		uri = r.URL.RequestURI()
	}
	b := make([]byte, 0, 1024)
	b = append(b, r.Method...)
	b = append(b, ' ')
	b = append(b, uri...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, r.Host...)
	b = append(b, "\r\n"...)
	for k, vv := range r.Header {
		if skipHeader(k) {
			continue
		}
		for _, v := range vv {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	client, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		client = r.RemoteAddr
	}
	b = append(b, "X-Forwarded-For: "...)
	for _, prior := range r.Header["X-Forwarded-For"] {
		b = append(b, prior...)
		b = append(b, ", "...)
	}
	b = append(b, client...)
	if r.TLS != nil {
		b = append(b, "\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Port: "...)
	} else {
		b = append(b, "\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Port: "...)
	}
	b = strconv.AppendInt(b, int64(rt.l.port), 10)
	b = append(b, "\r\nX-Amzn-Trace-Id: "...)
	b = appendTraceID(b, r.Header.Get("X-Amzn-Trace-Id"), rt.start)
	b = append(b, "\r\n"...)
	hasBody := r.Body != nil && r.Body != http.NoBody
	switch {
	case r.ContentLength > 0 || (r.ContentLength == 0 && (r.Method == "POST" || r.Method == "PUT" || r.Method == "PATCH")):
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, r.ContentLength, 10)
		b = append(b, "\r\n\r\n"...)
		if _, err := c.Write(b); err != nil {
			return err
		}
		if hasBody && r.ContentLength > 0 {
			if _, err := io.CopyN(c, r.Body, r.ContentLength); err != nil {
				return err
			}
		}
		return nil
	case r.ContentLength < 0 && hasBody:
		b = append(b, "Transfer-Encoding: chunked\r\n\r\n"...)
		bw := bufio.NewWriterSize(c, 32<<10)
		bw.Write(b)
		cw := httputil.NewChunkedWriter(bw)
		if _, err := io.Copy(cw, r.Body); err != nil {
			return err
		}
		cw.Close()
		bw.WriteString("\r\n")
		return bw.Flush()
	default:
		b = append(b, "\r\n"...)
		_, err := c.Write(b)
		return err
	}
}
