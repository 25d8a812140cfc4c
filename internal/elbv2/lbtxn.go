package elbv2

import (
	"context"
	"errors"
	"maps"
	"slices"

	"tide/internal/awserr"
	"tide/internal/store"
)

// maxAttempts bounds the retries of a read-modify-write cycle that keeps
// losing races.
const maxAttempts = 50

func conflictErr() error {
	return awserr.New(503, "ServiceUnavailable", "Too many concurrent changes to the same resources; retry.")
}

// updateLB applies fn to the load balancer (name, id) and commits the
// result together with what it implies: target groups newly forwarded to
// are associated with the load balancer (at most one each), the ones no
// longer forwarded to are released, and listener ports are claimed and
// released. A concurrent change makes it start over from a fresh read.
func (a *API) updateLB(ctx context.Context, name, id string, fn func(r *lbRecord) error) (*lbRecord, error) {
	for range maxAttempts {
		r, kv, err := a.lb(name, id)
		if err != nil {
			return nil, err
		}
		refs, ports := r.tgRefs(), r.ports()
		if err := fn(r); err != nil {
			return nil, err
		}
		writes, err := a.lbWrites(r, kv, refs, ports)
		if err != nil {
			return nil, err
		}
		_, err = a.store.Commit(ctx, writes...)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, storeErr(err)
		}
		return r, nil
	}
	return nil, conflictErr()
}

// lbWrites are the writes that store r (read at kv, when it forwarded to
// the groups oldRefs and had the listener ports oldPorts).
func (a *API) lbWrites(r *lbRecord, kv store.KV, oldRefs map[string]bool, oldPorts map[int32]string) ([]store.Write, error) {
	arn := a.lbARN(r)
	writes := []store.Write{store.Put(lbKey(r.Name), mustJSON(r), kv.ModRev)}
	refs := r.tgRefs()
	for _, ref := range slices.Sorted(maps.Keys(refs)) {
		if oldRefs[ref] {
			continue
		}
		g, gkv, err := a.tgByARN(ref)
		if isCode(err, "TargetGroupNotFound") {
			return nil, clientErr("TargetGroupNotFound", "Target group '%s' not found", ref)
		}
		if err != nil {
			return nil, err
		}
		if g.LoadBalancerArn != "" && g.LoadBalancerArn != arn {
			return nil, clientErr("TargetGroupAssociationLimit", "The following target groups cannot be associated with more than one load balancer: %s", ref)
		}
		g.LoadBalancerArn = arn
		writes = append(writes, store.Put(gkv.Key, mustJSON(g), gkv.ModRev))
	}
	for _, ref := range slices.Sorted(maps.Keys(oldRefs)) {
		if refs[ref] {
			continue
		}
		if g, gkv, err := a.tgByARN(ref); err == nil && g.LoadBalancerArn == arn {
			g.LoadBalancerArn = ""
			writes = append(writes, store.Put(gkv.Key, mustJSON(g), gkv.ModRev))
		}
	}
	ports := r.ports()
	for _, port := range slices.Sorted(maps.Keys(ports)) {
		if oldPorts[port] == ports[port] {
			continue
		}
		w, ok, err := a.claimPort(r, port, ports[port])
		if err != nil {
			return nil, err
		}
		if ok {
			writes = append(writes, w)
		}
	}
	for _, port := range slices.Sorted(maps.Keys(oldPorts)) {
		if _, kept := ports[port]; kept {
			continue
		}
		owner := a.arnBase + "listener/app/" + r.Name + "/" + r.ID + "/" + oldPorts[port]
		if ckv, ok := a.store.Get(portKey(port)); ok && string(ckv.Value) == owner {
			writes = append(writes, store.Del(ckv.Key, ckv.ModRev))
		}
	}
	return writes, nil
}

// claimPort returns the write that claims port for listener lid of r,
// if one is needed, or DuplicateListener when another load balancer's
// listener has the port. A claim whose listener is gone is stale and is
// taken over.
func (a *API) claimPort(r *lbRecord, port int32, lid string) (store.Write, bool, error) {
	mine := a.arnBase + "listener/app/" + r.Name + "/" + r.ID + "/" + lid
	kv, ok := a.store.Get(portKey(port))
	if !ok {
		return store.Put(portKey(port), []byte(mine), store.MustBeNew), true, nil
	}
	owner := string(kv.Value)
	if owner == mine {
		return store.Write{}, false, nil
	}
	if a.claimLive(owner, port) {
		return store.Write{}, false, clientErr("DuplicateListener",
			"Port %d is in use by listener '%s' of another load balancer; Tide serves every load balancer on the same address, so listener ports are unique across load balancers", port, owner)
	}
	return store.Put(portKey(port), []byte(mine), kv.ModRev), true, nil
}

// claimLive reports whether the listener with ARN owner still exists and
// has port.
func (a *API) claimLive(owner string, port int32) bool {
	ref, err := a.parseListenerARN(owner)
	if err != nil {
		return false
	}
	r, _, err := a.lb(ref.lbName, ref.lbID)
	if err != nil {
		return false
	}
	l := r.listener(ref.listenerID)
	return l != nil && l.Port == port
}
