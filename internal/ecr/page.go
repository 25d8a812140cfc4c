package ecr

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
)

// Kinds of pagination token: a token from one operation (or repository) is
// refused by another.
const (
	pageRepos   = "repos"
	pageImages  = "images"
	pageList    = "list"
	pagePreview = "preview"
)

// cursor is what a nextToken carries: the operation, the repository and the
// sort key of the last item returned. Tokens are opaque to clients.
type cursor struct {
	Kind  string `json:"k"`
	Repo  string `json:"r,omitempty"`
	After string `json:"a"`
}

func pageToken(kind, repo, after string) *string {
	b, _ := json.Marshal(cursor{Kind: kind, Repo: repo, After: after})
	s := base64.RawURLEncoding.EncodeToString(b)
	return &s
}

// parsePage checks maxResults (1 to max; absent, AWS's page of 100 items)
// and decodes nextToken into the key to start after.
func parsePage(kind, repo string, token *string, maxResults *int32, max int32) (limit int, after string, err error) {
	limit = 100
	if maxResults != nil {
		switch {
		case *maxResults < 1:
			return 0, "", invalidParam("maxResults", "must be greater than or equal to 1")
		case *maxResults > max:
			return 0, "", invalidParam("maxResults", "must be less than or equal to "+strconv.Itoa(int(max)))
		}
		limit = int(*maxResults)
	}
	if token == nil || *token == "" {
		return limit, "", nil
	}
	b, derr := base64.RawURLEncoding.DecodeString(*token)
	var c cursor
	if derr != nil || json.Unmarshal(b, &c) != nil || c.Kind != kind || c.Repo != repo || c.After == "" {
		return 0, "", invalidParam("nextToken", "Invalid NextToken")
	}
	return limit, c.After, nil
}
