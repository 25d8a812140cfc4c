package elbv2

import (
	"encoding/base64"
	"sort"
)

// maxPageSize is the largest PageSize of the Describe operations, and
// their page size when none is given.
const maxPageSize = 400

// page returns the page of items (sorted by key) that follows marker, and
// the marker of the next page when there is one. Markers are opaque to
// clients: the key of the last item returned, so that a page stays right
// when items before it come or go.
func page[T any](items []T, key func(T) string, marker *string, size *int32) ([]T, *string, error) {
	limit := maxPageSize
	if size != nil {
		limit = int(*size)
	}
	start := 0
	if marker != nil {
		b, err := base64.RawURLEncoding.DecodeString(*marker)
		if err != nil || len(b) == 0 {
			return nil, nil, invalid("The marker '%s' is not valid", *marker)
		}
		after := string(b)
		start = sort.Search(len(items), func(i int) bool { return key(items[i]) > after })
	}
	end := min(start+limit, len(items))
	var next *string
	if end < len(items) {
		m := base64.RawURLEncoding.EncodeToString([]byte(key(items[end-1])))
		next = &m
	}
	return items[start:end], next, nil
}
