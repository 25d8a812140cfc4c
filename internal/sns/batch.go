package sns

import (
	"context"
	"fmt"
	"regexp"

	"tide/internal/awserr"
	"tide/internal/store"
)

// maxBatch is AWS's limit of entries in a PublishBatch request.
const maxBatch = 10

var batchIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// PublishBatchInput is the PublishBatch request.
type PublishBatchInput struct {
	TopicArn                   *string
	PublishBatchRequestEntries []PublishBatchRequestEntry
}

// PublishBatchRequestEntry is one message of a PublishBatch request.
type PublishBatchRequestEntry struct {
	Id                     *string
	Message                *string
	Subject                *string
	MessageStructure       *string
	MessageAttributes      map[string]MessageAttributeValue `query:",key=Name,value=Value"`
	MessageDeduplicationId *string
	MessageGroupId         *string
}

// PublishBatchOutput is the PublishBatch response.
type PublishBatchOutput struct {
	Successful []PublishBatchResultEntry
	Failed     []BatchResultErrorEntry
}

// PublishBatchResultEntry is a message PublishBatch published.
type PublishBatchResultEntry struct {
	Id             string
	MessageId      string
	SequenceNumber *string
}

// BatchResultErrorEntry is a message PublishBatch refused.
type BatchResultErrorEntry struct {
	Id          string
	Code        string
	Message     string
	SenderFault bool
}

// publishBatch publishes up to ten messages; each is accepted or refused
// on its own, and the accepted ones are stored in one transaction.
func (a *API) publishBatch(ctx context.Context, in *PublishBatchInput) (*PublishBatchOutput, error) {
	if in.TopicArn == nil {
		return nil, invalid("TopicArn")
	}
	if err := checkBatch(in.PublishBatchRequestEntries); err != nil {
		return nil, err
	}
	t, _, err := a.topicByARN(*in.TopicArn, "TopicArn")
	if err != nil {
		return nil, err
	}
	out := &PublishBatchOutput{Successful: []PublishBatchResultEntry{}, Failed: []BatchResultErrorEntry{}}
	var writes []store.Write
	now := a.now()
	for i, e := range in.PublishBatchRequestEntries {
		pin := &PublishInput{TopicArn: in.TopicArn, Message: e.Message, Subject: e.Subject, MessageStructure: e.MessageStructure,
			MessageAttributes: e.MessageAttributes, MessageDeduplicationId: e.MessageDeduplicationId, MessageGroupId: e.MessageGroupId}
		msg, res, err := a.prepare(t, pin)
		if err != nil {
			ae := awserr.As(err)
			if ae == nil {
				return nil, err
			}
			out.Failed = append(out.Failed, BatchResultErrorEntry{Id: *e.Id, Code: ae.Code, Message: ae.Message, SenderFault: ae.Status < 500})
			continue
		}
		msg.ID, msg.Topic, msg.Timestamp = newUUID(), t.Name, now // keys keep the entries' order
		if res.SequenceNumber != nil {
			*res.SequenceNumber = fmt.Sprintf("%020d%02d", now.UnixNano(), i)
		}
		writes = append(writes, store.Put(messageKey(seqID(now, fmt.Sprintf("%02d-%s", i, msg.ID))), mustJSON(msg), store.MustBeNew))
		out.Successful = append(out.Successful, PublishBatchResultEntry{Id: *e.Id, MessageId: msg.ID, SequenceNumber: res.SequenceNumber})
	}
	if len(writes) > 0 {
		if _, err := a.store.Commit(ctx, writes...); err != nil {
			return nil, storeErr(err)
		}
	}
	return out, nil
}

// checkBatch applies PublishBatch's rules on the entries as a whole.
func checkBatch(entries []PublishBatchRequestEntry) error {
	if len(entries) == 0 {
		return awserr.Client("EmptyBatchRequest", "The batch request doesn't contain any entries.")
	}
	if len(entries) > maxBatch {
		return awserr.Client("TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible.")
	}
	seen := map[string]bool{}
	total := 0
	for _, e := range entries {
		id := deref(e.Id)
		if !batchIDRE.MatchString(id) {
			return awserr.Client("InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[id] {
			return awserr.Client("BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.")
		}
		seen[id] = true
		total += len(deref(e.Message))
	}
	if total > maxMessage {
		return awserr.Client("BatchRequestTooLong", "The length of all the messages put together is more than the limit.")
	}
	return nil
}
