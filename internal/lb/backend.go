package lb

import (
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// The data plane forwards requests on keep-alive connections of its own to
// each target: the goroutine serving the client writes the request and
// reads the answer, with no goroutine hand-offs (net/http's Transport runs
// a read and a write goroutine per connection and passes each request
// between them, which costs as much as the proxying itself).

const (
	backendBufSize   = 16 << 10
	maxRespHeadSize  = 64 << 10 // a larger response head is a 502
	maxIdlePerAddr   = 512      // idle connections kept per target
	maxIdleTime      = 50 * time.Second
	maxChunkLine     = 4 << 10
	maxChunkOverhead = 16 << 10
)

var errBadResponse = errors.New("malformed response from target")

// backendConn is one keep-alive connection to a target, with its read buffer.
type backendConn struct {
	c        net.Conn
	buf      []byte
	r, w     int
	deadline time.Time // the deadline last set on c
	idleAt   time.Time // when it went back to the pool
	got      bool      // some byte of the current response has arrived
	// rc and exchangeFn write a request and wait for the answer's first
	// bytes in one poller round (see exchange).
	rc         syscall.RawConn
	exchangeFn func(fd uintptr) bool
	req        []byte // the request exchange writes
	wrote      int    // how much of it the raw write took
	rerr       error
	// An exchange in flight is linked into its target's list, so that the
	// end of a drain can stop it.
	prev, next *backendConn
}

var dialer = net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}

func dialBackend(addr string) (*backendConn, error) {
	c, err := dialer.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	bc := &backendConn{c: c, buf: make([]byte, backendBufSize)}
	if sc, ok := c.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			bc.rc, bc.exchangeFn = rc, bc.rawExchange
		}
	}
	return bc, nil
}

// exchange writes req (a request without a body, or all of it) and reads
// the first bytes of the answer. It lets the poller wait for them without
// first trying a read that would find nothing (one system call fewer per
// request): the poller's readiness is reset before the request goes out,
// so the answer's arrival cannot be missed. A target that closed the
// connection while it was idle answers the request with a reset, which
// wakes the poller too; only one that sent bytes unasked while idle and
// then neither answers nor closes is noticed at the deadline rather than
// at once. Whatever the raw write did not take is written the usual way.
func (bc *backendConn) exchange(req []byte) error {
	bc.got = false
	if bc.rc == nil || bc.r != bc.w {
		if _, err := bc.c.Write(req); err != nil {
			return err
		}
		return nil
	}
	bc.req, bc.wrote, bc.rerr = req, -1, nil
	err := bc.rc.Read(bc.exchangeFn)
	bc.req = nil
	if err != nil {
		return err
	}
	if bc.rerr != nil {
		return bc.rerr
	}
	if bc.wrote < len(req) { // the socket buffer was full: finish, then read as usual
		_, err := bc.c.Write(req[bc.wrote:])
		return err
	}
	return nil
}

// rawExchange is exchange's poller callback: the first call writes, the
// next ones read.
func (bc *backendConn) rawExchange(fd uintptr) bool {
	if bc.wrote < 0 {
		n, err := sysWrite(fd, bc.req)
		switch {
		case err == syscall.EAGAIN:
			bc.wrote = 0
			return true
		case err != nil:
			bc.rerr = err
			return true
		}
		bc.wrote = n
		return n < len(bc.req) // a short write: finish it outside
	}
	bc.r, bc.w = 0, 0
	n, err := sysRead(fd, bc.buf)
	switch {
	case err == syscall.EAGAIN:
		return false
	case err != nil:
		bc.rerr = err
	case n == 0:
		bc.rerr = io.EOF
	default:
		bc.w = n
		bc.got = true
	}
	return true
}

// sysRead and sysWrite are read(2) and write(2) on a non-blocking socket,
// which never block: they skip the scheduler's bookkeeping for system calls
// that may (entersyscall and exitsyscall), a measurable share of a
// request's cost at tens of thousands of requests a second.
func sysRead(fd uintptr, b []byte) (int, error) {
	for {
		n, _, errno := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
		if errno == 0 {
			return int(n), nil
		}
		if errno != syscall.EINTR {
			return 0, errno
		}
	}
}

func sysWrite(fd uintptr, b []byte) (int, error) {
	for {
		n, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
		if errno == 0 {
			return int(n), nil
		}
		if errno != syscall.EINTR {
			return 0, errno
		}
	}
}

// refreshDeadline moves the connection's deadline to now+idle, but only
// when it has fallen behind by more than a little, so that a busy
// connection does not reset its timer on every request.
func (bc *backendConn) refreshDeadline(now time.Time, idle time.Duration) {
	if want := now.Add(idle); bc.deadline.Before(want.Add(-slack(idle))) {
		bc.deadline = want
		bc.c.SetDeadline(want)
	}
}

// slack is how late a coarse deadline may be refreshed: an eighth of the
// timeout, at most a second.
func slack(d time.Duration) time.Duration { return min(d/8, time.Second) }

// fill reads more bytes into the buffer, making room first.
func (bc *backendConn) fill() error {
	if bc.r == bc.w {
		bc.r, bc.w = 0, 0
	} else if bc.w == len(bc.buf) {
		if bc.r == 0 {
			if len(bc.buf) >= maxRespHeadSize {
				return errBadResponse
			}
			bc.buf = append(bc.buf, make([]byte, len(bc.buf))...)[:2*len(bc.buf)]
		} else {
			bc.w = copy(bc.buf, bc.buf[bc.r:bc.w])
			bc.r = 0
		}
	}
	n, err := bc.c.Read(bc.buf[bc.w:])
	bc.w += n
	if n > 0 {
		bc.got = true
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// backendPool keeps a target's idle connections.
type backendPool struct {
	mu       sync.Mutex
	idle     []*backendConn
	inflight *backendConn // exchanges in progress (a list through prev/next)
	ended    bool         // the drain is over: no more exchanges
}

// get returns an idle connection, or nil.
func (p *backendPool) get(now time.Time) *backendConn {
	p.mu.Lock()
	for n := len(p.idle); n > 0; n = len(p.idle) {
		bc := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		if now.Sub(bc.idleAt) < maxIdleTime {
			p.mu.Unlock()
			return bc
		}
		bc.c.Close()
	}
	p.mu.Unlock()
	return nil
}

// put keeps bc for reuse, or closes it when enough are kept.
func (p *backendPool) put(bc *backendConn, now time.Time) {
	bc.idleAt = now
	p.mu.Lock()
	if len(p.idle) < maxIdlePerAddr && !p.ended {
		p.idle = append(p.idle, bc)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	bc.c.Close()
}

// closeIdle closes every idle connection.
func (p *backendPool) closeIdle() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, bc := range idle {
		bc.c.Close()
	}
}

// begin links bc into the exchanges in flight; false once the drain has ended.
func (p *backendPool) begin(bc *backendConn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return false
	}
	bc.got = false
	bc.prev, bc.next = nil, p.inflight
	if p.inflight != nil {
		p.inflight.prev = bc
	}
	p.inflight = bc
	return true
}

// end unlinks bc.
func (p *backendPool) end(bc *backendConn) {
	p.mu.Lock()
	if bc.prev != nil {
		bc.prev.next = bc.next
	} else if p.inflight == bc {
		p.inflight = bc.next
	}
	if bc.next != nil {
		bc.next.prev = bc.prev
	}
	bc.prev, bc.next = nil, nil
	p.mu.Unlock()
}

// stop ends every exchange in flight (their connections' deadlines pass at
// once) and refuses new ones: the target's drain is over, or it is gone.
func (p *backendPool) stop() {
	p.mu.Lock()
	p.ended = true
	for bc := p.inflight; bc != nil; bc = bc.next {
		bc.c.SetDeadline(time.Unix(1, 0))
	}
	p.mu.Unlock()
	p.closeIdle()
}
