package cloudwatch

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"tide/internal/awserr"
	"tide/internal/awsjson"
	"tide/internal/store"
)

// The history item types.
const (
	historyConfig = "ConfigurationUpdate"
	historyState  = "StateUpdate"
	historyAction = "Action"
)

// historyItem is one history record as the store keeps it.
type historyItem struct {
	AlarmName string
	Timestamp time.Time
	Type      string
	Summary   string
	Data      string
}

func historyKeyPrefix(name string) string { return historyPrefix + escapeName(name) + "/" }

// historyKey orders an alarm's items by time, then by the order this
// server wrote them (items of one moment: the state change, then its
// actions); the random tail keeps servers' keys apart.
func (a *API) historyKey(name string, t time.Time) string {
	var b [4]byte
	rand.Read(b[:])
	return historyKeyPrefix(name) + fmt.Sprintf("%016x-%012x-", t.UnixNano(), a.seq.Add(1)) + hex.EncodeToString(b[:])
}

// historyWrites returns the writes that add items to an alarm's history
// and drop what the bounds then exceed: items older than the retention,
// and the oldest beyond the count per alarm.
func (a *API) historyWrites(name string, items ...historyItem) []store.Write {
	var writes []store.Write
	for _, it := range items {
		b, _ := json.Marshal(it)
		writes = append(writes, store.Put(a.historyKey(name, it.Timestamp), b, store.MustBeNew))
	}
	cutoff := a.now().Add(-a.cfg.HistoryRetention)
	existing := a.store.List(historyKeyPrefix(name)) // oldest first: keys sort by time
	excess := len(existing) + len(items) - a.cfg.HistoryPerAlarm
	for i, kv := range existing {
		var it historyItem
		if i < excess || (json.Unmarshal(kv.Value, &it) == nil && it.Timestamp.Before(cutoff)) {
			writes = append(writes, store.Del(kv.Key, store.Any))
		}
	}
	return writes
}

// pruneHistory drops history items older than the retention, of every
// alarm name (deleted alarms' too). The controller calls it now and then.
func (a *API) pruneHistory(ctx context.Context) error {
	cutoff := a.now().Add(-a.cfg.HistoryRetention)
	var writes []store.Write
	for _, kv := range a.store.List(historyPrefix) {
		var it historyItem
		if json.Unmarshal(kv.Value, &it) != nil || it.Timestamp.Before(cutoff) {
			writes = append(writes, store.Del(kv.Key, store.Any))
		}
	}
	for len(writes) > 0 {
		n := min(len(writes), 100) // etcd bounds a transaction's operations
		if _, err := a.store.Commit(ctx, writes[:n]...); err != nil {
			return fmt.Errorf("prune alarm history: %w", err)
		}
		writes = writes[n:]
	}
	return nil
}

// stateItem is the StateUpdate item of a move from old to cur.
func stateItem(name string, old, cur *record, t time.Time) historyItem {
	return historyItem{
		AlarmName: name, Timestamp: t, Type: historyState,
		Summary: "Alarm updated from " + old.State + " to " + cur.State,
		Data:    `{"version":"1.0","oldState":` + stateJSON(old) + `,"newState":` + stateJSON(cur) + `}`,
	}
}

func stateJSON(r *record) string {
	s := `{"stateValue":` + jsonString(r.State) + `,"stateReason":` + jsonString(r.StateReason)
	if r.StateReasonData != "" && json.Valid([]byte(r.StateReasonData)) {
		s += `,"stateReasonData":` + r.StateReasonData
	}
	return s + "}"
}

// configItem is the ConfigurationUpdate item of a creation (old nil),
// update or deletion (cur nil).
func (a *API) configItem(old, cur *record, t time.Time) historyItem {
	it := historyItem{Timestamp: t, Type: historyConfig}
	switch {
	case old == nil:
		it.AlarmName = cur.Name
		it.Summary = `Alarm "` + cur.Name + `" created`
		it.Data = `{"version":"1.0","type":"Create","createdAlarm":` + a.alarmJSON(cur) + `}`
	case cur == nil:
		it.AlarmName = old.Name
		it.Summary = `Alarm "` + old.Name + `" deleted`
		it.Data = `{"version":"1.0","type":"Delete","deletedAlarm":` + a.alarmJSON(old) + `}`
	default:
		it.AlarmName = cur.Name
		it.Summary = `Alarm "` + cur.Name + `" updated`
		it.Data = `{"version":"1.0","type":"Update","originalAlarm":` + a.alarmJSON(old) + `,"updatedAlarm":` + a.alarmJSON(cur) + `}`
	}
	return it
}

// actionItem is the Action item of one action's execution.
func actionItem(name, action string, t time.Time, message string, err error) historyItem {
	it := historyItem{AlarmName: name, Timestamp: t, Type: historyAction}
	data := `{"actionState":"Succeeded","stateUpdateTimestamp":` + strconv.FormatInt(t.UnixMilli(), 10) +
		`,"notificationResource":` + jsonString(action)
	if err != nil {
		it.Summary = "Failed to execute action " + action + `. Received error: "` + err.Error() + `"`
		data = strings.Replace(data, "Succeeded", "Failed", 1) + `,"error":` + jsonString(err.Error())
	} else {
		it.Summary = "Successfully executed action " + action
		if message != "" {
			data += `,"publishedMessage":` + jsonString(message)
		}
	}
	it.Data = data + "}"
	if len(it.Summary) > 255 {
		it.Summary = it.Summary[:252] + "..."
	}
	return it
}

// ---------------------------------------------------------------- DescribeAlarmHistory

func (a *API) describeAlarmHistory(_ context.Context, in *DescribeAlarmHistoryInput) (*DescribeAlarmHistoryOutput, error) {
	for _, err := range []error{
		checkLen(in.AlarmName, "alarmName", 1, 255),
		checkLen(in.AlarmContributorId, "alarmContributorId", 1, 16),
		checkAlarmTypes(in.AlarmTypes),
		checkEnum(in.HistoryItemType, "historyItemType", historyConfig, historyState, historyAction, "AlarmContributorStateUpdate", "AlarmContributorAction"),
		checkMin(in.MaxRecords, "maxRecords", 1),
		checkMax(in.MaxRecords, "maxRecords", 100),
		checkEnum(in.ScanBy, "scanBy", "TimestampDescending", "TimestampAscending"),
	} {
		if err != nil {
			return nil, err
		}
	}
	if in.StartDate != nil && in.EndDate != nil && in.StartDate.After(in.EndDate.Time) {
		return nil, invalidValue("The parameter EndDate must be greater than StartDate.")
	}
	items := a.historyItems(in)
	ascending := deref(in.ScanBy) == "TimestampAscending"
	slices.SortFunc(items, func(x, y keyedItem) int {
		if ascending {
			return compareItems(x, y)
		}
		return -compareItems(x, y)
	})
	start := 0
	if in.NextToken != nil {
		i, err := tokenIndex(*in.NextToken, items, ascending)
		if err != nil {
			return nil, err
		}
		start = i
	}
	limit := 100
	if in.MaxRecords != nil {
		limit = int(*in.MaxRecords)
	}
	end := min(start+limit, len(items))
	out := &DescribeAlarmHistoryOutput{AlarmHistoryItems: []AlarmHistoryItem{}}
	for _, k := range items[start:end] {
		it := k.item
		out.AlarmHistoryItems = append(out.AlarmHistoryItems, AlarmHistoryItem{
			AlarmName: str(it.AlarmName), AlarmType: str("MetricAlarm"), Timestamp: awsjson.At(it.Timestamp),
			HistoryItemType: str(it.Type), HistorySummary: str(it.Summary), HistoryData: str(it.Data),
		})
	}
	if end < len(items) {
		out.NextToken = str(historyToken(items[end-1]))
	}
	return out, nil
}

type keyedItem struct {
	key  string
	item historyItem
}

// compareItems orders items by time, then by the order they were written
// (the tail of their key: time, sequence, random), then by key.
func compareItems(x, y keyedItem) int {
	if c := x.item.Timestamp.Compare(y.item.Timestamp); c != 0 {
		return c
	}
	tail := func(k string) string { return k[strings.LastIndexByte(k, '/')+1:] }
	if c := strings.Compare(tail(x.key), tail(y.key)); c != 0 {
		return c
	}
	return strings.Compare(x.key, y.key)
}

// historyItems returns the items the filters select, unsorted.
func (a *API) historyItems(in *DescribeAlarmHistoryInput) []keyedItem {
	if in.AlarmContributorId != nil || (in.AlarmTypes != nil && !slices.Contains(in.AlarmTypes, "MetricAlarm")) {
		return nil // Tide has neither contributors nor composite alarms
	}
	prefix := historyPrefix
	if in.AlarmName != nil {
		prefix = historyKeyPrefix(*in.AlarmName)
	}
	var out []keyedItem
	for _, kv := range a.store.List(prefix) {
		var it historyItem
		if err := json.Unmarshal(kv.Value, &it); err != nil {
			continue
		}
		switch {
		case in.HistoryItemType != nil && it.Type != *in.HistoryItemType:
		case in.StartDate != nil && it.Timestamp.Before(in.StartDate.Time):
		case in.EndDate != nil && it.Timestamp.After(in.EndDate.Time):
		default:
			out = append(out, keyedItem{kv.Key, it})
		}
	}
	return out
}

// historyToken is the opaque NextToken after item k: its time and key,
// so that a page stays right when items come or go.
func historyToken(k keyedItem) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(k.item.Timestamp.UnixNano(), 10) + " " + k.key))
}

// tokenIndex finds where the page after token starts in sorted items.
func tokenIndex(token string, items []keyedItem, ascending bool) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	ts, key, ok := strings.Cut(string(b), " ")
	nanos, perr := strconv.ParseInt(ts, 10, 64)
	if err != nil || !ok || perr != nil {
		return 0, invalidToken()
	}
	last := keyedItem{key: key, item: historyItem{Timestamp: time.Unix(0, nanos)}}
	for i, k := range items {
		c := compareItems(k, last)
		if (ascending && c > 0) || (!ascending && c < 0) {
			return i, nil
		}
	}
	return len(items), nil
}

func invalidToken() error {
	return awserr.Client("InvalidNextToken", "The service couldn't process your request because the NextToken is not valid.")
}

func checkAlarmTypes(types []string) error {
	for _, t := range types {
		if err := checkEnum(&t, "alarmTypes.member", "CompositeAlarm", "MetricAlarm"); err != nil {
			return err
		}
	}
	return nil
}
