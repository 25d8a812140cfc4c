package ecs

import (
	"encoding/base64"
	"strings"

	"tide/internal/awserr"
	"tide/internal/store"
)

// pageArgs are a List operation's paging inputs.
type pageArgs struct {
	NextToken  *string
	MaxResults *int32
}

// page walks the records under prefix from where token left off and returns
// up to maxResults values that keep accepts, plus the token of the next page
// (nil on the last). Tokens are opaque to clients: the last key scanned.
func (a *API) page(prefix string, p pageArgs, def int32, keep func(store.KV) (string, bool)) ([]string, *string, error) {
	limit, after, err := parsePage(prefix, p, def)
	if err != nil {
		return nil, nil, err
	}

	// Snapshot first: keep may read the store, which must not happen under
	// the cache's lock.
	var kvs []store.KV
	a.store.Range(prefix, after, func(kv store.KV) bool { kvs = append(kvs, kv); return true })
	return collect(kvs, limit, keep)
}

// collect takes up to limit accepted values from kvs, in order, and the token
// of the last key it looked at if any remain.
func collect(kvs []store.KV, limit int32, keep func(store.KV) (string, bool)) ([]string, *string, error) {
	out := []string{}
	for i, kv := range kvs {
		if len(out) == int(limit) {
			tok := base64.RawURLEncoding.EncodeToString([]byte(kvs[i-1].Key))
			return out, &tok, nil
		}
		if v, ok := keep(kv); ok {
			out = append(out, v)
		}
	}
	return out, nil, nil
}

// pageDesc is page in descending key order; its token is the last key
// returned and the next page starts below it.
func (a *API) pageDesc(prefix string, p pageArgs, keep func(store.KV) (string, bool)) ([]string, *string, error) {
	limit, before, err := parsePage(prefix, p, 100)
	if err != nil {
		return nil, nil, err
	}
	all := a.store.List(prefix)
	var kvs []store.KV
	for i := len(all) - 1; i >= 0; i-- {
		if before == "" || all[i].Key < before {
			kvs = append(kvs, all[i])
		}
	}
	return collect(kvs, limit, keep)
}

func parsePage(prefix string, p pageArgs, def int32) (int32, string, error) {
	limit := def
	if p.MaxResults != nil {
		limit = *p.MaxResults
		if limit < 1 || limit > 100 {
			return 0, "", awserr.InvalidParameter("maxResults must be between 1 and 100.")
		}
	}
	if p.NextToken == nil || *p.NextToken == "" {
		return limit, "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*p.NextToken)
	if err != nil || !strings.HasPrefix(string(b), prefix) {
		return 0, "", awserr.InvalidParameter("Invalid token %s", *p.NextToken)
	}
	return limit, string(b), nil
}
