package sns

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStringToSign(t *testing.T) {
	tests := []struct {
		name string
		m    message
		want string
	}{
		{"notification", message{Type: "Notification", MessageId: "id", TopicArn: "arn", Subject: "s", Message: "m", Timestamp: "ts", UnsubscribeURL: "u"},
			"Message\nm\nMessageId\nid\nSubject\ns\nTimestamp\nts\nTopicArn\narn\nType\nNotification\n"},
		{"notification without subject", message{Type: "Notification", MessageId: "id", TopicArn: "arn", Message: "m", Timestamp: "ts"},
			"Message\nm\nMessageId\nid\nTimestamp\nts\nTopicArn\narn\nType\nNotification\n"},
		{"confirmation", message{Type: "SubscriptionConfirmation", MessageId: "id", Token: "tok", TopicArn: "arn", Message: "m", SubscribeURL: "url", Timestamp: "ts"},
			"Message\nm\nMessageId\nid\nSubscribeURL\nurl\nTimestamp\nts\nToken\ntok\nTopicArn\narn\nType\nSubscriptionConfirmation\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, stringToSign(&tt.m)); diff != "" {
				t.Errorf("stringToSign (-want +got):\n%s", diff)
			}
		})
	}
}
