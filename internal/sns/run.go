package sns

import (
	"context"
	"errors"
	"sync"
	"time"

	"tide/internal/store"
)

const (
	// maxInflight bounds the deliveries Run makes at once.
	maxInflight = 32
	// fanOutBytes and fanOutWrites bound one fan-out transaction, well
	// inside etcd's request size and operation limits.
	fanOutBytes  = 512 * 1024
	fanOutWrites = 100
	// sweepEvery is how often Run deletes expired pending subscriptions.
	sweepEvery = time.Minute
)

// Run fans published messages out to subscriptions and delivers them,
// retrying as their delivery policies say, until ctx ends. The server
// runs it on the elected leader only; a delivery interrupted by the end
// of ctx is made again by the next leader.
func (a *API) Run(ctx context.Context) {
	r := &runner{a: a, inflight: map[string]bool{}, wake: make(chan struct{}, 1)}
	defer r.wg.Wait()
	var lastSweep time.Time
	for ctx.Err() == nil {
		rev := a.store.Revision()
		a.fanOut(ctx)
		if now := a.now(); now.Sub(lastSweep) >= sweepEvery || now.Before(lastSweep) {
			a.sweepPending(ctx)
			lastSweep = now
		}
		r.dispatch(ctx)
		r.wait(ctx, rev)
	}
}

// runner is Run's state: the deliveries in flight, by ID.
type runner struct {
	a        *API
	mu       sync.Mutex
	inflight map[string]bool
	wake     chan struct{} // a delivery finished
	wg       sync.WaitGroup
}

// wait returns when the store changes after rev, a delivery finishes, the
// poll interval passes or ctx ends.
func (r *runner) wait(ctx context.Context, rev int64) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	changed := make(chan struct{})
	go func() {
		if r.a.store.WaitFor(wctx, rev+1) == nil {
			close(changed)
		}
	}()
	t := time.NewTimer(r.a.poll)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-changed:
	case <-r.wake:
	case <-t.C:
	}
}

// dispatch starts the due deliveries that are not in flight.
func (r *runner) dispatch(ctx context.Context) {
	now := r.a.now()
	for _, kv := range r.a.store.List(deliveriesPrefix) {
		r.mu.Lock()
		busy, full := r.inflight[kv.Key], len(r.inflight) >= maxInflight
		r.mu.Unlock()
		if full {
			return
		}
		if busy {
			continue
		}
		d, err := decode[deliveryRecord](kv)
		if err != nil {
			r.a.log.Error("bad delivery record, dropped", "key", kv.Key, "err", err)
			r.a.store.Commit(ctx, store.Del(kv.Key, kv.ModRev))
			continue
		}
		if d.NextAt.After(now) {
			continue
		}
		r.mu.Lock()
		r.inflight[kv.Key] = true
		r.mu.Unlock()
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.a.attempt(ctx, kv, d)
			r.mu.Lock()
			delete(r.inflight, kv.Key)
			r.mu.Unlock()
			select {
			case r.wake <- struct{}{}:
			default:
			}
		}()
	}
}

// attempt makes one delivery attempt and records its outcome: the
// delivery is deleted when it succeeds, fails for good or has no retries
// left, and otherwise waits for its next retry.
func (a *API) attempt(ctx context.Context, kv store.KV, d *deliveryRecord) {
	log := a.log.With("delivery", d.ID, "type", d.Type, "subscription", d.SubscriptionArn, "endpoint", d.Endpoint)
	if s, ok := a.store.Get(d.SubKey); !ok || (d.Type == "SubscriptionConfirmation" && confirmed(s)) {
		a.store.Commit(ctx, store.Del(kv.Key, kv.ModRev))
		return
	}
	err := a.send(ctx, d)
	if ctx.Err() != nil {
		return // stopped mid-attempt: the next leader makes it again
	}
	var perm *permanentError
	switch {
	case err == nil:
		log.Debug("delivered", "attempt", d.Attempts+1)
	case errors.As(err, &perm):
		log.Warn("delivery failed for good", "attempt", d.Attempts+1, "err", err)
	default:
		d.Attempts++
		if delay, ok := d.Policy.delay(d.Attempts); ok {
			d.NextAt = a.now().Add(delay)
			log.Info("delivery failed, will retry", "attempt", d.Attempts, "retry_in", delay, "err", err)
			if _, err := a.store.Commit(ctx, store.Put(kv.Key, mustJSON(d), kv.ModRev)); err != nil {
				log.Warn("record delivery retry", "err", err)
			}
			return
		}
		log.Warn("delivery failed, retries exhausted", "attempts", d.Attempts, "err", err)
	}
	if _, err := a.store.Commit(ctx, store.Del(kv.Key, kv.ModRev)); err != nil {
		log.Warn("remove delivery", "err", err)
	}
}

func confirmed(kv store.KV) bool {
	s, err := decode[subRecord](kv)
	return err == nil && s.Confirmed
}

// fanOut turns every waiting message into deliveries.
func (a *API) fanOut(ctx context.Context) {
	for _, kv := range a.store.List(messagesPrefix) {
		if ctx.Err() != nil {
			return
		}
		for {
			done, err := a.fanOutChunk(ctx, kv.Key)
			if err != nil && ctx.Err() == nil {
				a.log.Warn("fan out message", "key", kv.Key, "err", err)
			}
			if done || err != nil {
				break
			}
		}
	}
}

// fanOutChunk writes the deliveries of message key to the next
// subscriptions, as many as fit one transaction, moving its cursor on or
// deleting it when every subscription has had it.
func (a *API) fanOutChunk(ctx context.Context, key string) (done bool, err error) {
	kv, ok := a.store.Get(key)
	if !ok {
		return true, nil
	}
	msg, err := decode[messageRecord](kv)
	if err != nil {
		_, cerr := a.store.Commit(ctx, store.Del(key, kv.ModRev))
		return true, errors.Join(err, cerr)
	}
	t, _, err := a.topic(msg.Topic)
	if err != nil {
		_, err := a.store.Commit(ctx, store.Del(key, kv.ModRev)) // the topic is gone, and its subscriptions with it
		return true, err
	}
	// The next subscriptions, copied out of the cache before rendering
	// (which may read the store).
	var next []store.KV
	a.store.Range(topicSubsPrefix(msg.Topic), msg.Cursor, func(skv store.KV) bool {
		next = append(next, skv)
		return len(next) <= fanOutWrites
	})
	more := len(next) > fanOutWrites
	var writes []store.Write
	size := 0
	for _, skv := range next[:min(len(next), fanOutWrites)] {
		if size >= fanOutBytes {
			more = true
			break
		}
		msg.Cursor = skv.Key
		s, err := decode[subRecord](skv)
		if err != nil || !s.Confirmed || !s.wants(msg) {
			continue
		}
		d, err := a.notification(ctx, t, s, msg)
		if err != nil {
			return true, err
		}
		d.ID = seqID(msg.Timestamp, msg.ID+"-"+s.ID) // one per message and subscription
		b := mustJSON(d)
		size += len(b)
		writes = append(writes, store.Put(deliveryKey(d.ID), b, store.MustBeNew))
	}
	if more {
		writes = append(writes, store.Put(key, mustJSON(msg), kv.ModRev))
	} else {
		writes = append(writes, store.Del(key, kv.ModRev))
	}
	_, err = a.store.Commit(ctx, writes...)
	return !more, err
}

// sweepPending deletes the subscriptions left unconfirmed for longer than
// AWS keeps them: three days after their latest confirmation was sent.
func (a *API) sweepPending(ctx context.Context) {
	subs, kvs, err := a.subs("")
	if err != nil {
		a.log.Warn("sweep pending subscriptions", "err", err)
		return
	}
	now := a.now()
	for i, s := range subs {
		if !s.Confirmed && !now.Before(s.TokenExpires.Add(pendingLifetime-tokenLifetime)) {
			if _, err := a.store.Commit(ctx, store.Del(kvs[i].Key, kvs[i].ModRev)); err != nil && ctx.Err() == nil {
				a.log.Warn("delete expired pending subscription", "key", kvs[i].Key, "err", err)
			}
		}
	}
}
