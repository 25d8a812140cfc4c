package logs

import (
	"fmt"
	"strings"
	"testing"
)

// TestLogsBadInput sends what the SDKs would never send to every operation and
// checks AWS's error code, a 400 and the message: never a 500 or a panic.
func TestLogsBadInput(t *testing.T) {
	h := newHarness(t)
	for _, s := range []struct{ op, body string }{
		{"CreateLogGroup", `{"logGroupName":"g"}`},
		{"CreateLogStream", `{"logGroupName":"g","logStreamName":"s"}`},
	} {
		if r := h.raw(t, s.op, s.body); r.Status != 200 {
			t.Fatalf("setup %s: %s", s.op, r.Body)
		}
	}
	long := strings.Repeat("a", 513)
	cases := []struct {
		op, body, code, msg string
	}{
		{"CreateLogGroup", `{}`, "InvalidParameterException", "Value null at 'logGroupName' failed to satisfy constraint: Member must not be null"},
		{"CreateLogGroup", `{"logGroupName":""}`, "InvalidParameterException", "Member must have length greater than or equal to 1"},
		{"CreateLogGroup", `{"logGroupName":"` + long + `"}`, "InvalidParameterException", "Member must have length less than or equal to 512"},
		{"CreateLogGroup", `{"logGroupName":"bad name"}`, "InvalidParameterException", "Member must satisfy regular expression pattern"},
		{"CreateLogGroup", `{"logGroupName":"aws/x"}`, "InvalidParameterException", "aws/"},
		{"CreateLogGroup", `{"logGroupName":"g"}`, "ResourceAlreadyExistsException", "The specified log group already exists"},
		{"CreateLogGroup", `{"logGroupName":"x","logGroupClass":"CHEAP"}`, "InvalidParameterException", "enum value set"},
		{"CreateLogGroup", `{"logGroupName":"x","tags":{}}`, "InvalidParameterException", "tags"},
		{"CreateLogGroup", `{"logGroupName":"x","deletionProtectionEnabled":true}`, "InvalidParameterException", "deletion protection"},
		{"CreateLogGroup", `{"logGroupName":3}`, "SerializationException", ""},
		{"CreateLogGroup", `[]`, "SerializationException", ""},
		{"DeleteLogGroup", `{"logGroupName":"nope"}`, "ResourceNotFoundException", "The specified log group does not exist."},
		{"DescribeLogGroups", `{"limit":0}`, "InvalidParameterException", "Member must have value greater than or equal to 1"},
		{"DescribeLogGroups", `{"limit":51}`, "InvalidParameterException", "Member must have value less than or equal to 50"},
		{"DescribeLogGroups", `{"nextToken":"!!"}`, "InvalidParameterException", "The specified nextToken is invalid."},
		{"DescribeLogGroups", `{"logGroupNamePrefix":"a","logGroupNamePattern":"b"}`, "InvalidParameterException", "mutually exclusive"},
		{"DescribeLogGroups", `{"logGroupIdentifiers":["arn:aws:logs:eu-west-1:1:log-group:x"]}`, "InvalidParameterException", "Invalid log group identifier"},
		{"PutRetentionPolicy", `{"logGroupName":"g"}`, "InvalidParameterException", "Value null at 'retentionInDays'"},
		{"PutRetentionPolicy", `{"logGroupName":"g","retentionInDays":2}`, "InvalidParameterException", "Member must satisfy enum value set: [1, 3, 5, 7, 14, 30"},
		{"PutRetentionPolicy", `{"logGroupName":"nope","retentionInDays":1}`, "ResourceNotFoundException", "The specified log group does not exist."},
		{"DeleteRetentionPolicy", `{"logGroupName":"nope"}`, "ResourceNotFoundException", "The specified log group does not exist."},
		{"CreateLogStream", `{"logGroupName":"g"}`, "InvalidParameterException", "Value null at 'logStreamName'"},
		{"CreateLogStream", `{"logGroupName":"g","logStreamName":"a:b"}`, "InvalidParameterException", "regular expression pattern: [^:*]*"},
		{"CreateLogStream", `{"logGroupName":"g","logStreamName":"a*"}`, "InvalidParameterException", "regular expression pattern"},
		{"CreateLogStream", `{"logGroupName":"g","logStreamName":"s"}`, "ResourceAlreadyExistsException", "The specified log stream already exists"},
		{"CreateLogStream", `{"logGroupName":"nope","logStreamName":"s"}`, "ResourceNotFoundException", "The specified log group does not exist."},
		{"DeleteLogStream", `{"logGroupName":"g","logStreamName":"nope"}`, "ResourceNotFoundException", "The specified log stream does not exist."},
		{"DescribeLogStreams", `{}`, "InvalidParameterException", "Either logGroupName or logGroupIdentifier"},
		{"DescribeLogStreams", `{"logGroupName":"g","logGroupIdentifier":"g"}`, "InvalidParameterException", "mutually exclusive"},
		{"DescribeLogStreams", `{"logGroupName":"g","orderBy":"Size"}`, "InvalidParameterException", "[LogStreamName, LastEventTime]"},
		{"DescribeLogStreams", `{"logGroupName":"g","orderBy":"LastEventTime","logStreamNamePrefix":"a"}`, "InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix."},
		{"DescribeLogStreams", `{"logGroupName":"nope"}`, "ResourceNotFoundException", "The specified log group does not exist."},
		{"DescribeLogStreams", `{"logGroupName":"g","nextToken":"e30"}`, "", ""}, // {} is a valid, empty cursor
		{"PutLogEvents", `{"logGroupName":"g","logStreamName":"s"}`, "InvalidParameterException", "Value null at 'logEvents'"},
		{"PutLogEvents", `{"logGroupName":"g","logStreamName":"s","logEvents":[]}`, "InvalidParameterException", "Member must have length between 1 and 10000"},
		{"PutLogEvents", `{"logGroupName":"g","logStreamName":"s","logEvents":[{"message":"x"}]}`, "InvalidParameterException", "Value null at 'logEvents.1.member.timestamp'"},
		{"PutLogEvents", `{"logGroupName":"g","logStreamName":"s","logEvents":[{"timestamp":1,"message":""}]}`, "InvalidParameterException", "at 'logEvents.1.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"PutLogEvents", `{"logGroupName":"g","logStreamName":"s","logEvents":[{"timestamp":-1,"message":"x"}]}`, "InvalidParameterException", "greater than or equal to 0"},
		{"PutLogEvents", `{"logGroupName":"g","logStreamName":"s","logEvents":[{"timestamp":"now","message":"x"}]}`, "SerializationException", ""},
		{"PutLogEvents", `{"logGroupName":"g","logStreamName":"nope","logEvents":[{"timestamp":1,"message":"x"}]}`, "ResourceNotFoundException", "The specified log stream does not exist."},
		{"PutLogEvents", `{"logGroupName":"nope","logStreamName":"s","logEvents":[{"timestamp":1,"message":"x"}]}`, "ResourceNotFoundException", "The specified log group does not exist."},
		{"GetLogEvents", `{"logGroupName":"g"}`, "InvalidParameterException", "Value null at 'logStreamName'"},
		{"GetLogEvents", `{"logGroupName":"g","logStreamName":"s","limit":10001}`, "InvalidParameterException", "less than or equal to 10000"},
		{"GetLogEvents", `{"logGroupName":"g","logStreamName":"s","startTime":-5}`, "InvalidParameterException", "greater than or equal to 0"},
		{"GetLogEvents", `{"logGroupName":"g","logStreamName":"s","nextToken":"f/123"}`, "InvalidParameterException", "The specified nextToken is invalid."},
		{"GetLogEvents", `{"logGroupName":"g","logStreamName":"nope"}`, "ResourceNotFoundException", "The specified log stream does not exist."},
		{"GetLogEvents", `{"logGroupIdentifier":"arn:aws:logs:us-east-1:000000000000:log-group:g","logStreamName":"s"}`, "", ""},
		{"GetLogEvents", `{"logGroupIdentifier":"arn:aws:logs:us-east-1:000000000000:log-group:g:*","logStreamName":"s"}`, "InvalidParameterException", "logGroupIdentifier"},
		{"FilterLogEvents", `{"logGroupName":"g","logStreamNames":["s"],"logStreamNamePrefix":"s"}`, "InvalidParameterException", "mutually exclusive"},
		{"FilterLogEvents", `{"logGroupName":"g","logStreamNames":[]}`, "InvalidParameterException", "between 1 and 100"},
		{"FilterLogEvents", `{"logGroupName":"g","filterPattern":"{ $.level = \"error\" }"}`, "InvalidParameterException", "not supported"},
		{"FilterLogEvents", `{"logGroupName":"g","filterPattern":"[ip, user]"}`, "InvalidParameterException", "not supported"},
		{"FilterLogEvents", `{"logGroupName":"g","filterPattern":"\"open"}`, "InvalidParameterException", "unterminated"},
		{"FilterLogEvents", `{"logGroupName":"g","nextToken":"%%%"}`, "InvalidParameterException", "The specified nextToken is invalid."},
		{"FilterLogEvents", `{"logGroupName":"nope"}`, "ResourceNotFoundException", "The specified log group does not exist."},
		{"FilterLogEvents", `{"logGroupName":"g","interleaved":true,"unmask":false}`, "", ""},
		{"TagLogGroup", `{}`, "UnknownOperationException", ""},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s %.60s", tc.op, tc.body), func(t *testing.T) {
			r := h.raw(t, tc.op, tc.body)
			if tc.code == "" {
				if r.Status != 200 {
					t.Fatalf("status %d: %s", r.Status, r.Body)
				}
				return
			}
			if r.Status != 400 || r.Type != tc.code || !strings.Contains(r.Message, tc.msg) {
				t.Fatalf("got %d %s %q, want 400 %s containing %q", r.Status, r.Type, r.Message, tc.code, tc.msg)
			}
		})
	}
}
