package lb

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A plain-HTTP listener is served by the data plane's own HTTP/1.1 loop:
// one goroutine per connection reads a request, routes it, forwards it on
// a pooled target connection and relays the answer, with no per-request
// goroutine, context, header map or background read (net/http's server
// costs about as much as the proxying), and with its socket reads and
// writes made as raw system calls from the poller's callbacks (see
// sysRead). A connection whose request the loop does not handle (see
// parseRequest) is handed, with the bytes read so far, to a net/http
// server for the rest of its life: net/http then answers it, or rejects
// it, exactly as it would have.

const (
	readBufSize      = 8 << 10  // the largest request head the loop handles
	outBufSize       = 16 << 10 // what is gathered before a write to the client or target
	maxDiscardBody   = 256 << 10
	lingerTime       = 500 * time.Millisecond
	connIdle         = 0
	connActive       = 1
	acceptBackoffMax = time.Second
)

var errClosing = errors.New("listener closing")

// h1server serves one listener's connections.
type h1server struct {
	dp      *DataPlane
	port    int
	ln      net.Listener
	std     *http.Server     // serves the connections handed over
	handoff *handoffListener // std's listener

	open    *atomic.Int64 // the listener's client connections (ActiveConnectionCount)
	closing atomic.Bool
	mu      sync.Mutex
	conns   map[*h1conn]struct{}
	active  sync.WaitGroup // connection goroutines
}

func newH1Server(dp *DataPlane, port int, ln net.Listener, std *http.Server, open *atomic.Int64) *h1server {
	return &h1server{dp: dp, port: port, ln: ln, std: std, open: open, conns: map[*h1conn]struct{}{},
		handoff: &handoffListener{addr: ln.Addr(), ch: make(chan net.Conn), done: make(chan struct{})}}
}

// serve accepts connections until the listener closes.
func (s *h1server) serve() error {
	stdDone := make(chan error, 1)
	go func() { stdDone <- s.std.Serve(s.handoff) }()
	defer func() { s.handoff.Close(); <-stdDone }()
	var backoff time.Duration
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return http.ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && !errors.Is(err, net.ErrClosed) {
				// Out of file descriptors and the like: wait and retry, as net/http does.
				backoff = min(max(2*backoff, 5*time.Millisecond), acceptBackoffMax)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		hc := s.newConn(c)
		s.mu.Lock()
		if s.closing.Load() {
			s.mu.Unlock()
			c.Close()
			continue
		}
		s.conns[hc] = struct{}{}
		s.active.Add(1)
		s.open.Add(1)
		s.mu.Unlock()
		go hc.serve()
	}
}

// shutdown stops accepting, closes idle connections at once and the
// others after their current answer, and waits for them until ctx ends,
// then closes what is left.
func (s *h1server) shutdown(ctx context.Context) {
	s.closing.Store(true)
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		if c.state.Load() == connIdle {
			c.c.SetReadDeadline(time.Unix(1, 0))
		}
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.active.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		s.closeConns()
	}
	s.std.Shutdown(ctx)
}

// close stops accepting and closes every connection.
func (s *h1server) close() {
	s.closing.Store(true)
	s.ln.Close()
	s.closeConns()
	s.std.Close()
}

func (s *h1server) closeConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.c.Close()
	}
}

// h1conn is one client connection served by the loop.
type h1conn struct {
	s *h1server
	c net.Conn
	// rc carries the raw reads (readFn: while idle, without holding a
	// buffer) and writes; nil if c has no file descriptor.
	rc     syscall.RawConn
	readFn func(fd uintptr) bool
	// writeFn writes wb, recording a failure in werr.
	writeFn func(fd uintptr) bool
	wb      []byte
	werr    error
	src     netip.Addr
	client  string // the client's address, for X-Forwarded-For
	state   atomic.Int32

	bufp     *[]byte // the read buffer, from the pool; nil while nothing is buffered between requests
	buf      []byte
	r, w     int
	readErr  error
	deadline time.Time

	outp *[]byte // scratch for what goes to the target and to the client
	req  h1req
	resp respHead
	// bodyLeft is how much of the request body has not been read; -1 when
	// that is unknown (a rejected request).
	bodyLeft int64
}

func (s *h1server) newConn(c net.Conn) *h1conn {
	hc := &h1conn{s: s, c: c}
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		hc.src = ap.Addr().Unmap()
		hc.client = hc.src.String()
	}
	if sc, ok := c.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			hc.rc = rc
			hc.readFn, hc.writeFn = hc.readIdle, hc.rawWrite
		}
	}
	return hc
}

// serve runs the connection's request loop.
func (c *h1conn) serve() {
	s := c.s
	handedOver := false
	defer func() {
		if !handedOver {
			c.close()
		}
		c.releaseRead()
		c.releaseOut()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		s.open.Add(-1) // a handed-over connection is counted again by net/http's ConnState
		s.active.Done()
	}()
	for {
		res, err := c.readRequest()
		if err != nil {
			return
		}
		switch res {
		case parseFallback:
			handedOver = c.handOver()
			return
		case parseReject:
			c.bodyLeft = 0
			c.respond(http.StatusBadRequest, "text/plain; charset=utf-8", "400 Bad Request", "", true, false)
			c.bodyLeft = -1 // the request's length is unknown: linger
			return
		}
		if !c.handle() || s.closing.Load() {
			return
		}
		// Between requests, an idle connection holds no buffer.
		c.releaseOut()
		if c.r == c.w {
			c.releaseRead()
		}
	}
}

// close closes the connection. When the client may still be sending a
// request body, it first stops writing and reads for a moment whatever
// still comes, so that closing with unread bytes does not reset the
// connection under the answer just sent (net/http does the same).
func (c *h1conn) close() {
	if cw, ok := c.c.(interface{ CloseWrite() error }); ok && c.bodyLeft != 0 && cw.CloseWrite() == nil {
		c.c.SetReadDeadline(time.Now().Add(lingerTime))
		buf := make([]byte, 4096)
		for {
			if _, err := c.c.Read(buf); err != nil {
				break
			}
		}
	}
	c.c.Close()
}

// readRequest reads until a request head is complete and parses it.
func (c *h1conn) readRequest() (parseResult, error) {
	for {
		if c.r < c.w {
			res := parseRequest(c.buf[c.r:c.w], &c.req)
			if res != parseIncomplete {
				return res, nil
			}
			if c.r == 0 && c.w == len(c.buf) {
				return parseFallback, nil // a head larger than the loop's buffer
			}
		}
		if err := c.fill(); err != nil {
			return 0, err
		}
	}
}

// fill reads more of the connection. With nothing buffered it waits for
// the connection to become readable before taking a buffer, so that idle
// connections hold none.
func (c *h1conn) fill() error {
	if c.bufp == nil {
		return c.waitRead()
	}
	if c.r == c.w {
		c.r, c.w = 0, 0
	} else if c.w == len(c.buf) {
		c.w = copy(c.buf, c.buf[c.r:c.w])
		c.r = 0
	}
	n, err := c.c.Read(c.buf[c.w:])
	c.w += n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// waitRead waits, idle, for the next request's first bytes.
func (c *h1conn) waitRead() error {
	c.refreshDeadline(time.Now())
	c.state.Store(connIdle)
	defer c.state.Store(connActive)
	if c.s.closing.Load() {
		return errClosing
	}
	if c.rc == nil {
		c.takeRead()
		n, err := c.c.Read(c.buf)
		c.r, c.w = 0, n
		if n > 0 {
			return nil
		}
		if err == nil {
			err = io.ErrNoProgress
		}
		return err
	}
	c.readErr = nil
	if err := c.rc.Read(c.readFn); err != nil {
		return err
	}
	return c.readErr
}

// readIdle is the raw read of waitRead: it takes a buffer only when there
// is something to read.
func (c *h1conn) readIdle(fd uintptr) bool {
	c.takeRead()
	for {
		n, err := sysRead(fd, c.buf)
		switch {
		case err == syscall.EAGAIN:
			c.releaseRead()
			return false
		case err != nil:
			c.readErr = err
		case n == 0:
			c.readErr = io.EOF
		default:
			c.r, c.w = 0, n
		}
		return true
	}
}

func (c *h1conn) takeRead() {
	c.bufp = c.s.dp.readBufs.Get().(*[]byte)
	c.buf, c.r, c.w = *c.bufp, 0, 0
}

func (c *h1conn) releaseRead() {
	if c.bufp != nil {
		c.s.dp.readBufs.Put(c.bufp)
		c.bufp, c.buf, c.r, c.w = nil, nil, 0, 0
	}
}

// out returns the scratch buffer, emptied.
func (c *h1conn) out() []byte {
	if c.outp == nil {
		c.outp = c.s.dp.outBufs.Get().(*[]byte)
	}
	return (*c.outp)[:0]
}

// keepOut stores b (grown from out) as the scratch buffer.
func (c *h1conn) keepOut(b []byte) {
	if cap(b) <= 4*outBufSize {
		*c.outp = b[:0]
	}
}

func (c *h1conn) releaseOut() {
	if c.outp != nil {
		c.s.dp.outBufs.Put(c.outp)
		c.outp = nil
	}
}

// refreshDeadline moves the connection's deadline to the listener's idle
// timeout from now, coarsely (see backendConn.refreshDeadline).
func (c *h1conn) refreshDeadline(now time.Time) {
	idle := 60 * time.Second
	if l := c.s.dp.table.Load().byPort[c.s.port]; l != nil {
		idle = l.idle
	}
	if want := now.Add(idle); c.deadline.Before(want.Add(-slack(idle))) {
		c.deadline = want
		c.c.SetDeadline(want)
	}
}

// handOver gives the connection, with what was read of it, to net/http.
func (c *h1conn) handOver() bool {
	buffered := append([]byte(nil), c.buf[c.r:c.w]...)
	c.c.SetDeadline(time.Time{})
	s := c.s
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	select {
	case s.handoff.ch <- &prefixConn{Conn: c.c, buf: buffered}:
		return true
	case <-s.handoff.done:
		return false
	}
}

// readBody returns the next piece of the request body in the read buffer
// (valid until the next call); io.EOF at its end.
func (c *h1conn) readBody() ([]byte, error) {
	if c.bodyLeft == 0 {
		return nil, io.EOF
	}
	if c.r == c.w {
		c.refreshDeadline(time.Now())
		if err := c.fill(); err != nil {
			return nil, err
		}
	}
	p := c.buf[c.r:min(c.w, c.r+int(min(c.bodyLeft, int64(len(c.buf)))))]
	c.r += len(p)
	c.bodyLeft -= int64(len(p))
	return p, nil
}

// discardBody reads what is left of the request body, or reports that
// there is too much to bother and the connection should close.
func (c *h1conn) discardBody() bool {
	if c.bodyLeft > maxDiscardBody {
		return false
	}
	for c.bodyLeft > 0 {
		if _, err := c.readBody(); err != nil {
			return false
		}
	}
	return true
}

// write sends b to the client.
func (c *h1conn) write(b []byte) error {
	if c.rc == nil {
		_, err := c.c.Write(b)
		return err
	}
	c.wb, c.werr = b, nil
	err := c.rc.Write(c.writeFn)
	c.wb = nil
	if err != nil {
		return err
	}
	return c.werr
}

// rawWrite is write's poller callback: it writes what it can, and asks
// to wait for room when the socket's buffer is full.
func (c *h1conn) rawWrite(fd uintptr) bool {
	for len(c.wb) > 0 {
		n, err := sysWrite(fd, c.wb)
		if err == syscall.EAGAIN {
			return false
		}
		if err != nil {
			c.werr = err
			return true
		}
		c.wb = c.wb[n:]
	}
	return true
}
