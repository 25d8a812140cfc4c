package lb

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// What the HTTP/1.1 loop does with one parsed request: route it, run the
// rule's action, and answer. Each returns whether the connection stays open.

// handle routes the request just parsed and answers it.
func (c *h1conn) handle() bool {
	req := &c.req
	c.r += req.headLen // the body, if any, follows
	c.bodyLeft = max(req.contentLength, 0)
	tbl := c.s.dp.table.Load()
	l := tbl.byPort[c.s.port]
	if l == nil {
		return c.respond(http.StatusServiceUnavailable, "text/plain", "503 Service Temporarily Unavailable\n", "", false, false)
	}
	l.stats.requests.Add(1)
	v := reqView{method: req.method, host: stripPort(req.host), path: req.path, rawQuery: req.rawQuery, src: c.src, raw: req.headers}
	for i := range l.rules {
		rule := &l.rules[i]
		if !rule.match(&v) {
			continue
		}
		switch a := &rule.action; a.Type {
		case "forward":
			return c.forward(tbl, l, a)
		case "fixed-response":
			fr := a.FixedResponse
			if fr == nil {
				fr = &FixedResponse{StatusCode: 200}
			}
			return c.respond(fr.StatusCode, fr.ContentType, fr.Body, "", false, true)
		case "redirect":
			code, loc := redirectTarget(a.Redirect, "http", req.host, v.path, v.rawQuery, l.port)
			return c.respond(code, "", "", loc, false, true)
		}
		break
	}
	l.stats.elb5xx[3].Add(1)
	return c.respond(http.StatusServiceUnavailable, "text/plain", "503 Service Temporarily Unavailable\n", "", false, false)
}

// elbError answers a request the load balancer itself fails.
func (c *h1conn) elbError(l *compiledListener, code int) bool {
	l.stats.countError(code)
	return c.respond(code, "text/html", elbErrorBody(code), "", false, false)
}

// respond answers with a response of the load balancer's own, first
// reading what is left of the request body (or closing the connection
// when that is too much). sniff: guess a missing content type, as net/http
// does for fixed responses.
func (c *h1conn) respond(code int, ctype, body, location string, closeConn, sniff bool) bool {
	if !closeConn && !c.discardBody() {
		closeConn = true
	}
	closeConn = closeConn || c.req.close || c.s.closing.Load()
	b := c.out()
	b = append(b, "HTTP/1.1 "...)
	b = appendStatus(b, code, "")
	b = append(b, "\r\nServer: awselb/2.0\r\nDate: "...)
	b = time.Now().UTC().AppendFormat(b, http.TimeFormat)
	if ctype == "" && sniff && body != "" {
		ctype = http.DetectContentType([]byte(body))
	}
	if ctype != "" {
		b = append(b, "\r\nContent-Type: "...)
		b = append(b, ctype...)
	}
	if location != "" {
		b = append(b, "\r\nLocation: "...)
		b = append(b, location...)
	}
	b = append(b, "\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	if closeConn {
		b = append(b, "\r\nConnection: close"...)
	}
	b = append(b, "\r\n\r\n"...)
	if !c.req.head {
		b = append(b, body...)
	}
	c.refreshDeadline(time.Now())
	err := c.write(b)
	c.keepOut(b)
	return err == nil && !closeConn
}

// appendStatus appends "NNN Reason".
func appendStatus(b []byte, code int, reason string) []byte {
	b = append(b, byte('0'+code/100%10), byte('0'+code/10%10), byte('0'+code%10), ' ')
	if reason == "" {
		if reason = http.StatusText(code); reason == "" {
			reason = "status code " + strconv.Itoa(code)
		}
	}
	return append(b, reason...)
}

// forward sends the request to a target of the action's group and relays
// the answer.
func (c *h1conn) forward(tbl *table, l *compiledListener, a *Action) bool {
	if len(a.TargetGroups) == 0 {
		return c.elbError(l, http.StatusServiceUnavailable)
	}
	g := tbl.groups[pickGroup(a.TargetGroups)]
	if g == nil {
		return c.elbError(l, http.StatusServiceUnavailable)
	}
	now := time.Now()
	sticky := ""
	st := &g.cfg.Stickiness
	if st.Enabled {
		if v, ok := cookieValue(c.req.headers, stickyCookie(st)); ok {
			sticky = decodeSticky(v, g.cfg.ARN, now)
		}
	}
	t := g.pick(now, sticky)
	if t == nil {
		return c.elbError(l, http.StatusServiceUnavailable)
	}
	t.outstanding.Add(1)
	defer t.outstanding.Add(-1)
	g.stats.requests.Add(1)
	rt := route{t: t, g: g, l: l, start: now, sticky: st.Enabled && sticky != t.key}

	out := c.appendRequest(c.out(), &rt)
	// The request's strings point into the read buffer: from here on, only
	// the body is read from it.
	retry := c.bodyLeft == 0
	for attempt := 0; ; attempt++ {
		bc := t.conns.get(now)
		reused := bc != nil
		if bc == nil {
			var err error
			if bc, err = dialBackend(t.addr); err != nil {
				c.s.dp.log.Debug("dial target", "target", t.addr, "err", err)
				c.keepOut(out)
				return c.elbError(l, http.StatusBadGateway)
			}
		}
		if !t.conns.begin(bc) {
			bc.c.Close()
			c.keepOut(out)
			return c.elbError(l, http.StatusBadGateway)
		}
		bc.refreshDeadline(now, l.idle)
		clientErr, err := c.send(bc, out)
		if err == nil {
			err = bc.readHead(&c.resp, c.req.head)
		}
		if err != nil {
			t.conns.end(bc)
			bc.c.Close()
			if clientErr {
				c.keepOut(out)
				return false
			}
			var ne net.Error
			timeout := errors.As(err, &ne) && ne.Timeout()
			if reused && retry && !bc.got && !timeout && attempt == 0 {
				continue
			}
			c.keepOut(out)
			if timeout {
				return c.elbError(l, http.StatusGatewayTimeout)
			}
			return c.elbError(l, http.StatusBadGateway)
		}
		g.stats.observe(c.resp.status, time.Since(now))
		keep := c.relay(bc, &rt, out)
		t.conns.end(bc)
		return keep
	}
}

// appendRequest appends the request head for rt's target, and as much of
// the body as the read buffer holds and the scratch buffer has room for.
func (c *h1conn) appendRequest(b []byte, rt *route) []byte {
	req := &c.req
	b = append(b, req.method...)
	b = append(b, ' ')
	b = append(b, req.target...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, req.host...)
	b = append(b, "\r\n"...)
	for _, h := range req.headers {
		if skipRawHeader(h.name) || isConnToken(req.connTokens, h.name) {
			continue
		}
		b = append(b, h.name...)
		b = append(b, ": "...)
		b = append(b, h.value...)
		b = append(b, "\r\n"...)
	}
	b = append(b, "X-Forwarded-For: "...)
	for _, h := range req.headers {
		if len(h.name) == 15 && asciiEqualFold(h.name, "x-forwarded-for") {
			b = append(b, h.value...)
			b = append(b, ", "...)
		}
	}
	b = append(b, c.client...)
	b = append(b, "\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Port: "...)
	b = strconv.AppendInt(b, int64(rt.l.port), 10)
	b = append(b, "\r\nX-Amzn-Trace-Id: "...)
	b = appendTraceID(b, req.trace, rt.start)
	switch {
	case req.contentLength >= 0:
		b = append(b, "\r\nContent-Length: "...)
		b = strconv.AppendInt(b, req.contentLength, 10)
	case req.method == "POST" || req.method == "PUT" || req.method == "PATCH":
		b = append(b, "\r\nContent-Length: 0"...)
	}
	b = append(b, "\r\n\r\n"...)
	if n := min(c.bodyLeft, int64(c.w-c.r), int64(cap(b)-len(b))); n > 0 {
		b = append(b, c.buf[c.r:c.r+int(n)]...)
		c.r += int(n)
		c.bodyLeft -= n
	}
	return b
}

// send writes the request in out to bc, then the rest of the body as it
// arrives; clientErr tells a failure to read the client's body from one
// to write to the target.
func (c *h1conn) send(bc *backendConn, out []byte) (clientErr bool, err error) {
	if c.bodyLeft == 0 {
		return false, bc.exchange(out)
	}
	if _, err := bc.c.Write(out); err != nil {
		return false, err
	}
	for c.bodyLeft > 0 {
		p, err := c.readBody()
		if err != nil {
			return true, err
		}
		if _, err := bc.c.Write(p); err != nil {
			return false, err
		}
	}
	return false, nil
}

// relay writes the target's answer, whose head is in c.resp, to the
// client, and returns bc to the pool when it can be reused.
func (c *h1conn) relay(bc *backendConn, rt *route, out []byte) bool {
	h := &c.resp
	closeConn := c.req.close || c.s.closing.Load()
	chunked := !h.noBody && h.length < 0 // re-framed for the client
	b := append(out[:0], "HTTP/1.1 "...)
	b = appendStatus(b, h.status, h.reason)
	b = append(b, "\r\n"...)
	for _, kv := range h.headers {
		if skipRespHeader(kv.name) || isConnToken(h.connTokens, kv.name) || h.length < 0 && !h.noBody && asciiEqualFold(kv.name, "content-length") {
			continue
		}
		b = append(b, kv.name...)
		b = append(b, ": "...)
		b = append(b, kv.value...)
		b = append(b, "\r\n"...)
	}
	if chunked {
		b = append(b, "Transfer-Encoding: chunked\r\n"...)
	}
	if rt.sticky {
		for _, ck := range stickyCookies(rt) {
			b = append(b, "Set-Cookie: "...)
			b = append(b, ck...)
			b = append(b, "\r\n"...)
		}
	}
	if closeConn {
		b = append(b, "Connection: close\r\n"...)
	}
	b = append(b, "\r\n"...)
	c.refreshDeadline(time.Now())

	body := bc.body(h)
	var err error
	for {
		var p []byte
		if p, err = body.next(); err != nil {
			break
		}
		if chunked {
			if len(b)+20 > cap(b) {
				if err = c.write(b); err != nil {
					break
				}
				b = b[:0]
			}
			b = appendHex(b, uint64(len(p)), hexDigits(len(p)))
			b = append(b, "\r\n"...)
		}
		if len(b)+len(p) > cap(b) {
			if err = c.write(b); err != nil {
				break
			}
			b = b[:0]
			if len(p) >= cap(b)/2 {
				if err = c.write(p); err != nil {
					break
				}
				p = nil
			}
		}
		b = append(b, p...)
		if chunked {
			b = append(b, "\r\n"...)
		}
	}
	if err == io.EOF {
		if chunked {
			b = append(b, "0\r\n\r\n"...)
		}
		err = c.write(b)
		if !body.done {
			err = io.ErrUnexpectedEOF
		}
	}
	c.keepOut(b)
	if !body.done || h.close || bc.r != bc.w {
		bc.c.Close()
	} else {
		rt.t.conns.put(bc, time.Now())
	}
	return err == nil && !closeConn
}

// hexDigits is how many hex digits n takes.
func hexDigits(n int) int {
	d := 1
	for n >= 16 {
		n >>= 4
		d++
	}
	return d
}
