package logs

import (
	"encoding/json"
	"fmt"

	"tide/internal/store"
)

// groupRecord is a log group as the store keeps it, at logs/groups/<name>.
// ID names the group's directory of events, so that a group deleted and
// created again starts empty.
type groupRecord struct {
	Name            string            `json:"name"`
	ID              string            `json:"id"`
	CreationTime    int64             `json:"creationTime"`
	RetentionInDays *int32            `json:"retentionInDays,omitempty"`
	KmsKeyID        string            `json:"kmsKeyId,omitempty"`
	Class           string            `json:"logGroupClass,omitempty"`
	Tags            map[string]string `json:"tags,omitempty"`
}

// streamRecord is a log stream, at logs/streams/<group>:<stream> (":" is
// not allowed in group names). GroupID ties it to one incarnation of its
// group: a record left behind by a group deleted midway is ignored.
type streamRecord struct {
	Name         string `json:"name"`
	GroupID      string `json:"groupId"`
	ID           string `json:"id"`
	CreationTime int64  `json:"creationTime"`
}

const (
	groupsPrefix  = "logs/groups/"
	streamsPrefix = "logs/streams/"
)

func groupKey(name string) string                  { return groupsPrefix + name }
func streamKey(group, stream string) string        { return streamsPrefix + group + ":" + stream }
func groupStreamsPrefix(group string) string       { return streamsPrefix + group + ":" }
func streamNameOf(group string, key string) string { return key[len(groupStreamsPrefix(group)):] }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encode %T: %v", v, err)) // our own types always encode
	}
	return b
}

func decode[T any](kv store.KV) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(kv.Value, v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
	}
	return v, nil
}

// group returns the group of that name, or ResourceNotFoundException.
func (a *API) group(name string) (*groupRecord, store.KV, error) {
	kv, ok := a.store.Get(groupKey(name))
	if !ok {
		return nil, kv, groupNotFound()
	}
	g, err := decode[groupRecord](kv)
	return g, kv, err
}

// stream returns a stream of g, or nil when there is none.
func (a *API) stream(g *groupRecord, name string) (*streamRecord, store.KV, error) {
	kv, ok := a.store.Get(streamKey(g.Name, name))
	if !ok {
		return nil, kv, nil
	}
	s, err := decode[streamRecord](kv)
	if err != nil || s.GroupID != g.ID {
		return nil, kv, err
	}
	return s, kv, nil
}

// groupStreams lists the streams of g whose names start with prefix, in
// name order.
func (a *API) groupStreams(g *groupRecord, prefix string) ([]*streamRecord, error) {
	var out []*streamRecord
	for _, kv := range a.store.List(groupStreamsPrefix(g.Name) + prefix) {
		s, err := decode[streamRecord](kv)
		if err != nil {
			return nil, err
		}
		if s.GroupID == g.ID {
			out = append(out, s)
		}
	}
	return out, nil
}
