package autoscaling

import (
	"cmp"
	"encoding/base64"
	"errors"
	"maps"
	"slices"
	"strings"

	"tide/internal/awserr"
)

// The Describe operations page their results: "The maximum number of
// scalable targets. This value can be between 1 and 50. The default value
// is 50." A NextToken names the last item of the previous page, so pages
// stay consistent while items come and go.

const maxPage = 50

// checkListing validates what every Describe operation takes.
func checkListing(ns, dim *string, maxResults *int32) error {
	var v violations
	if ns == nil {
		v.null("serviceNamespace")
	} else {
		v.enum("serviceNamespace", *ns, serviceNamespaces)
	}
	if dim != nil {
		v.enum("scalableDimension", *dim, scalableDimensions)
	}
	if maxResults != nil {
		v.atLeast("maxResults", int64(*maxResults), 1)
		v.atMost("maxResults", int64(*maxResults), maxPage)
	}
	return v.err()
}

// paginate returns the page of items, ordered by key, that follows token.
func paginate[T any](items []T, key func(T) string, maxResults *int32, token *string) ([]T, *string, error) {
	slices.SortStableFunc(items, func(x, y T) int { return cmp.Compare(key(x), key(y)) })
	limit := maxPage
	if maxResults != nil {
		limit = int(*maxResults)
	}
	start := 0
	if token != nil {
		after, err := base64.RawURLEncoding.DecodeString(*token)
		if err != nil || len(after) == 0 {
			return nil, nil, invalidToken()
		}
		start, _ = slices.BinarySearchFunc(items, string(after), func(t T, k string) int {
			if key(t) <= k {
				return -1
			}
			return 1
		})
	}
	end := min(start+limit, len(items))
	var next *string
	if end < len(items) {
		s := base64.RawURLEncoding.EncodeToString([]byte(key(items[end-1])))
		next = &s
	}
	return items[start:end], next, nil
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }

// checkTags validates tags as AWS's TagMap: keys of 1 to 128 characters
// not starting with "aws:", values of at most 256.
func checkTags(v *violations, member string, tags map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		v.length(member+".key", k, 1, 128)
		v.length(member+".value", tags[k], 0, 256)
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			*v = append(*v, "Value '"+k+"' at '"+member+".key' failed to satisfy constraint: Tag keys beginning with 'aws:' are reserved for AWS use")
		}
	}
}

// isNotFound reports whether err says that an ECS service or cluster does
// not exist.
func isNotFound(err error) bool {
	if errors.Is(err, ErrServiceNotFound) {
		return true
	}
	ae := awserr.As(err)
	return ae != nil && (ae.Code == "ServiceNotFoundException" || ae.Code == "ClusterNotFoundException")
}
