package docker

import (
	"context"
	"sync"
	"time"
)

// workers runs at most one goroutine per container for one purpose
// (copying its output, sampling its resource use). The Runtime owns them:
// close stops them all and waits. A worker that reports its job complete
// is not started again for that container; forget stops one for good,
// when its container is being removed.
type workers struct {
	ctx    context.Context // cancelled by close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	active  map[string]*worker // by container ID
	done    map[string]bool    // containers whose job is complete
	removed map[string]bool    // containers forgotten, never to start again
	closed  bool
}

// worker is one running goroutine.
type worker struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func newWorkers() *workers {
	ctx, cancel := context.WithCancel(context.Background())
	return &workers{
		ctx: ctx, cancel: cancel,
		active: map[string]*worker{}, done: map[string]bool{}, removed: map[string]bool{},
	}
}

// start runs job for container id unless one runs, or ran to completion,
// or the container was forgotten. job returns whether it completed; it
// must return soon after its context ends.
func (w *workers) start(id string, job func(ctx context.Context) (complete bool)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.active[id] != nil || w.done[id] || w.removed[id] {
		return
	}
	ctx, cancel := context.WithCancel(w.ctx)
	wk := &worker{cancel: cancel, done: make(chan struct{})}
	w.active[id] = wk
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer close(wk.done)
		complete := job(ctx)
		cancel()
		w.mu.Lock()
		delete(w.active, id)
		if complete {
			w.done[id] = true
		}
		w.mu.Unlock()
	}()
}

// forget stops the worker of container id for good, after giving it up
// to wait to complete on its own.
func (w *workers) forget(id string, wait time.Duration) {
	w.mu.Lock()
	wk := w.active[id]
	w.removed[id] = true
	delete(w.done, id)
	w.mu.Unlock()
	if wk == nil {
		return
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-wk.done:
		case <-t.C:
		}
		t.Stop()
	}
	wk.cancel()
	<-wk.done
}

// prune drops what is remembered of containers not in present, which
// lists every container that exists.
func (w *workers) prune(present map[string]bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id := range w.done {
		if !present[id] {
			delete(w.done, id)
		}
	}
	for id := range w.removed {
		if !present[id] {
			delete(w.removed, id)
		}
	}
}

// close stops every worker and waits for them.
func (w *workers) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.cancel()
	w.wg.Wait()
}

// sleep waits d, or less when ctx ends; it reports whether ctx is live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
