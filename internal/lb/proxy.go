package lb

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Cookies ALB sets for stickiness.
const (
	cookieLB  = "AWSALB"
	cookieApp = "AWSALBAPP-0"
)

// route is what the proxy needs to know about one forwarded request.
type route struct {
	t        *target
	g        *group
	l        *compiledListener
	start    time.Time
	timedOut atomic.Bool
	sticky   bool // set the stickiness cookie on the response
}

type routeKey struct{}

// serve handles a request that arrived on listener port.
func (dp *DataPlane) serve(port int, w http.ResponseWriter, r *http.Request) {
	tbl := dp.table.Load()
	l := tbl.byPort[port]
	if l == nil {
		dp.fixed(w, http.StatusServiceUnavailable, "text/plain", "503 Service Temporarily Unavailable\n")
		return
	}
	l.stats.requests.Add(1)
	v := viewOf(r)
	for i := range l.rules {
		rule := &l.rules[i]
		if !rule.match(&v) {
			continue
		}
		dp.act(tbl, l, rule.action, w, r)
		return
	}
	// No rule matched and no default rule: should not happen (every
	// listener has a default); answer as ALB does for a missing action.
	l.stats.elb5xx[3].Add(1)
	dp.fixed(w, http.StatusServiceUnavailable, "text/plain", "503 Service Temporarily Unavailable\n")
}

func (dp *DataPlane) act(tbl *table, l *compiledListener, a Action, w http.ResponseWriter, r *http.Request) {
	switch a.Type {
	case "fixed-response":
		fr := a.FixedResponse
		if fr == nil {
			fr = &FixedResponse{StatusCode: 200}
		}
		dp.fixed(w, fr.StatusCode, fr.ContentType, fr.Body)
	case "redirect":
		proto := "http"
		if r.TLS != nil {
			proto = "https"
		}
		code, loc := redirectTarget(a.Redirect, proto, r.Host, r.URL.Path, r.URL.RawQuery, l.port)
		w.Header().Set("Location", loc)
		w.Header().Set("Server", "awselb/2.0")
		w.WriteHeader(code)
	case "forward":
		dp.forward(tbl, l, a, w, r)
	default:
		l.stats.elb5xx[3].Add(1)
		dp.fixed(w, http.StatusServiceUnavailable, "text/plain", "503 Service Temporarily Unavailable\n")
	}
}

func (dp *DataPlane) fixed(w http.ResponseWriter, code int, ctype, body string) {
	if ctype != "" {
		w.Header().Set("Content-Type", ctype)
	}
	w.Header().Set("Server", "awselb/2.0")
	w.WriteHeader(code)
	if body != "" {
		w.Write([]byte(body))
	}
}

func (dp *DataPlane) forward(tbl *table, l *compiledListener, a Action, w http.ResponseWriter, r *http.Request) {
	if len(a.TargetGroups) == 0 {
		dp.elbError(l, nil, w, http.StatusServiceUnavailable)
		return
	}
	g := tbl.groups[pickGroup(a.TargetGroups)]
	if g == nil {
		dp.elbError(l, nil, w, http.StatusServiceUnavailable)
		return
	}
	now := time.Now()
	sticky := ""
	st := g.cfg.Stickiness
	if st.Enabled {
		if c, err := r.Cookie(stickyCookie(&st)); err == nil {
			sticky = decodeSticky(c.Value, g.cfg.ARN, now)
		}
	}
	t := g.pick(now, sticky)
	if t == nil {
		dp.elbError(l, g, w, http.StatusServiceUnavailable)
		return
	}
	t.outstanding.Add(1)
	defer t.outstanding.Add(-1)
	g.stats.requests.Add(1)

	rt := &route{t: t, g: g, l: l, start: now, sticky: st.Enabled && sticky != t.key}
	if r.Header.Get("Upgrade") == "" {
		dp.proxyStd(w, r, rt)
		return
	}
	// Upgrades (WebSocket) go through httputil.ReverseProxy, which hijacks
	// both connections once the target switches protocols.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stopDrain := context.AfterFunc(t.drainCtx, cancel) // the drain deadline ends in-flight requests
	defer stopDrain()
	idle := time.AfterFunc(l.idle, func() { rt.timedOut.Store(true); cancel() })
	defer idle.Stop()
	ctx = context.WithValue(ctx, routeKey{}, rt)
	dp.proxy.ServeHTTP(w, r.WithContext(ctx))
}

// elbError answers a request the load balancer itself fails.
func (dp *DataPlane) elbError(l *compiledListener, g *group, w http.ResponseWriter, code int) {
	l.stats.countError(code)
	dp.fixed(w, code, "text/html", elbErrorBody(code))
}

// elbErrorBody is the page ALB answers its own errors with.
func elbErrorBody(code int) string {
	switch code {
	case 502:
		return "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
	case 503:
		return "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n"
	case 504:
		return "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n</body>\r\n</html>\r\n"
	}
	return fmt.Sprintf("<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n</body>\r\n</html>\r\n", code, http.StatusText(code), code, http.StatusText(code))
}

// newReverseProxy returns the proxy every listener shares: it rewrites the
// request for the route in its context, and accounts for the response.
func (dp *DataPlane) newReverseProxy() *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Transport:  dp.transport,
		BufferPool: bufferPool{&sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}},
		Rewrite: func(pr *httputil.ProxyRequest) {
			rt := pr.In.Context().Value(routeKey{}).(*route)
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = rt.t.addr
			pr.Out.Host = pr.In.Host // ALB keeps the client's Host header
			pr.SetXForwarded()
			proto := "http"
			if pr.In.TLS != nil {
				proto = "https"
			}
			pr.Out.Header.Set("X-Forwarded-Proto", proto)
			pr.Out.Header.Set("X-Forwarded-Port", strconv.Itoa(rt.l.port))
			pr.Out.Header.Del("X-Forwarded-Host")
			pr.Out.Header.Set("X-Amzn-Trace-Id", string(appendTraceID(nil, pr.In.Header.Get("X-Amzn-Trace-Id"), time.Now())))
		},
		ModifyResponse: func(resp *http.Response) error {
			rt := resp.Request.Context().Value(routeKey{}).(*route)
			rt.g.stats.observe(resp.StatusCode, time.Since(rt.start))
			if rt.sticky {
				dp.setSticky(resp.Header, rt)
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			rt := r.Context().Value(routeKey{}).(*route)
			code := http.StatusBadGateway
			if rt.timedOut.Load() || errors.Is(err, context.DeadlineExceeded) {
				code = http.StatusGatewayTimeout
			}
			if r.Context().Err() != nil && !rt.timedOut.Load() && errors.Is(r.Context().Err(), context.Canceled) {
				// The client went away, or the target's drain ended: nothing to answer.
				select {
				case <-rt.t.drainCtx.Done():
				default:
					return
				}
			}
			dp.log.Debug("proxy error", "target", rt.t.addr, "err", err)
			dp.elbError(rt.l, rt.g, w, code)
		},
	}
}

// stickyCookie is the name of the cookie that carries a group's stickiness.
func stickyCookie(st *Stickiness) string {
	if st.Type == "app_cookie" {
		return cookieApp
	}
	return cookieLB
}

// setSticky sets the stickiness cookies that send the client back to rt's target.
func (dp *DataPlane) setSticky(h http.Header, rt *route) {
	for _, c := range stickyCookies(rt) {
		h.Add("Set-Cookie", c)
	}
}

// stickyCookies returns the Set-Cookie values that send the client back to
// rt's target.
func stickyCookies(rt *route) []string {
	st := rt.g.cfg.Stickiness
	d := st.Duration
	if d <= 0 {
		d = 24 * time.Hour
	}
	exp := time.Now().Add(d)
	val := encodeSticky(rt.t.key, rt.g.cfg.ARN, exp)
	name := stickyCookie(&st)
	out := []string{(&http.Cookie{Name: name, Value: val, Expires: exp, Path: "/"}).String()}
	if name == cookieLB {
		out = append(out, (&http.Cookie{Name: "AWSALBCORS", Value: val, Expires: exp, Path: "/", SameSite: http.SameSiteNoneMode, Secure: true}).String())
	}
	return out
}

// A sticky cookie names the group and target and its expiry; ALB encrypts
// its cookie, Tide's is opaque base64 (it grants nothing but a preference).
func encodeSticky(key, group string, exp time.Time) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(exp.Unix(), 10) + "|" + group + "|" + key))
}

func decodeSticky(v, group string, now time.Time) string {
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return ""
	}
	exp, rest, ok := strings.Cut(string(b), "|")
	g, key, ok2 := strings.Cut(rest, "|")
	n, err := strconv.ParseInt(exp, 10, 64)
	if !ok || !ok2 || err != nil || g != group || now.Unix() > n {
		return ""
	}
	return key
}

// redirectTarget returns a redirect action's status code and Location,
// with ALB's #{...} substitutions, for a request with the given protocol,
// Host header, decoded path and raw query.
func redirectTarget(rd *Redirect, proto, hostHeader, path, rawQuery string, listenerPort int) (int, string) {
	if rd == nil {
		rd = &Redirect{}
	}
	host, _, err := net.SplitHostPort(hostHeader)
	if err != nil {
		host = hostHeader
	}
	sub := strings.NewReplacer("#{protocol}", proto, "#{host}", host, "#{port}", strconv.Itoa(listenerPort),
		"#{path}", strings.TrimPrefix(path, "/"), "#{query}", rawQuery)
	or := func(v, def string) string {
		if v == "" {
			v = def
		}
		return sub.Replace(v)
	}
	p := strings.ToLower(or(rd.Protocol, proto))
	port := or(rd.Port, strconv.Itoa(listenerPort))
	u := p + "://" + or(rd.Host, host)
	if !(p == "http" && port == "80" || p == "https" && port == "443") {
		u += ":" + port
	}
	u += "/" + strings.TrimPrefix(or(rd.Path, "/#{path}"), "/")
	if q := or(rd.Query, "#{query}"); q != "" {
		u += "?" + q
	}
	if rd.StatusCode == 301 {
		return http.StatusMovedPermanently, u
	}
	return http.StatusFound, u
}

// bufferPool gives the proxy 32 KiB copy buffers.
type bufferPool struct{ p *sync.Pool }

func (b bufferPool) Get() []byte  { return *b.p.Get().(*[]byte) }
func (b bufferPool) Put(p []byte) { b.p.Put(&p) }
