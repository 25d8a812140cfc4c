package cql

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fleet is a set of named instances the match tests select from.
var fleet = map[string]Instance{
	"small-a": {
		Attributes:     map[string]string{"ecs.instance-type": "t2.small", "ecs.availability-zone": "us-east-1a", "stack": "prod", "slots": "8"},
		AgentConnected: true, AgentVersion: "1.14.5", EC2InstanceID: "i-abcd1234",
		RegisteredAt:      time.Date(2018, 2, 12, 23, 59, 59, 0, time.UTC),
		RunningTasksCount: 1, TaskGroups: map[string]int{"service:production": 1},
	},
	"gpu-b": {
		Attributes:     map[string]string{"ecs.instance-type": "g2.2xlarge", "ecs.availability-zone": "us-east-1b", "stack": "dev", "slots": "10"},
		AgentConnected: true, AgentVersion: "1.9.0", EC2InstanceID: "i-wxyx7890",
		RegisteredAt:      time.Date(2018, 2, 13, 0, 0, 0, 0, time.UTC),
		RunningTasksCount: 3, TaskGroups: map[string]int{"database": 2, "family:job": 1, "gone": 0},
	},
	"gpu-d": {
		Attributes:     map[string]string{"ecs.instance-type": "g2.8xlarge", "ecs.availability-zone": "us-east-1d"},
		AgentConnected: false, AgentVersion: "1.20.0", EC2InstanceID: "i-0000ffff",
		RegisteredAt: time.Date(2018, 2, 13, 12, 0, 0, 0, time.FixedZone("x", -13*3600)),
	},
	"bare": {},
}

func TestMatch(t *testing.T) {
	tests := []struct {
		expr string
		want []string // names from fleet, sorted
	}{
		{"attribute:ecs.instance-type == t2.small", []string{"small-a"}},
		{"attribute:ecs.availability-zone in [us-east-1a, us-east-1b]", []string{"gpu-b", "small-a"}},
		{"attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d", []string{"gpu-b"}},
		{"attribute:ecs.instance-type =~ g2", nil}, // the pattern must match the whole value
		{"attribute:ecs.instance-type !~ g2.*", []string{"small-a"}},
		{"attribute:stack exists", []string{"gpu-b", "small-a"}},
		{"attribute:stack !exists", []string{"bare", "gpu-d"}},
		{"not(attribute:stack exists)", []string{"bare", "gpu-d"}},
		{"attribute:stack != prod", []string{"gpu-b"}}, // needs the attribute, as AWS documents
		{"not attribute:stack == prod", []string{"bare", "gpu-b", "gpu-d"}},
		{"attribute:stack !in [dev]", []string{"small-a"}},
		{"attribute:slots > 9", []string{"gpu-b"}},     // numbers compare as numbers
		{"attribute:stack > dog", []string{"small-a"}}, // other values as strings
		{"task:group == service:production", []string{"small-a"}},
		{"not(task:group == database)", []string{"bare", "gpu-d", "small-a"}},
		{"task:group != database", []string{"small-a"}}, // needs some group
		{"task:group in [database, service:production]", []string{"gpu-b", "small-a"}},
		{"task:group =~ family:.*", []string{"gpu-b"}},
		{"task:group !~ family:.*", []string{"small-a"}},
		{"task:group == gone", nil}, // a group with no tasks does not count
		{"task:group exists", []string{"gpu-b", "small-a"}},
		{"task:group !exists", []string{"bare", "gpu-d"}},
		{"agentConnected == true", []string{"gpu-b", "small-a"}},
		{"agentConnected != true", []string{"bare", "gpu-d"}},
		{"agentConnected in [false]", []string{"bare", "gpu-d"}},
		{"agentConnected =~ f.*", []string{"bare", "gpu-d"}},
		{"agentVersion < 1.14.5", []string{"gpu-b"}}, // 1.9.0 < 1.14.5 as versions
		{"agentVersion >= 1.14", []string{"gpu-d", "small-a"}},
		{"agentVersion == 1.14.5.0", []string{"small-a"}},
		{"agentVersion != 1.14.5", []string{"gpu-b", "gpu-d"}},
		{"ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", []string{"gpu-b", "small-a"}},
		{"ec2InstanceId =~ i-0.*", []string{"gpu-d"}},
		{"runningTasksCount == 1", []string{"small-a"}},
		{"runningTasksCount < 2", []string{"bare", "gpu-d", "small-a"}},
		{"runningTasksCount != 0", []string{"gpu-b", "small-a"}},
		{"registeredAt < 2018-02-13", []string{"small-a"}},
		{"registeredAt == 2018-02-13", []string{"gpu-b"}}, // gpu-d is the 14th in UTC
		{"registeredAt > 2018-02-13", []string{"gpu-d"}},
		{"registeredAt >= 2018-02-13T00:00:00Z", []string{"gpu-b", "gpu-d"}},
		{"registeredAt == 2018-02-13T00:00:00", []string{"gpu-b"}},
		{"registeredAt <= 2018-02-12T23:59:59-00:30", []string{"gpu-b", "small-a"}},
		{"(attribute:stack == dev or agentConnected == false) and not runningTasksCount > 2", []string{"bare", "gpu-d"}},
		{"attribute:stack == dev || attribute:stack == prod && runningTasksCount > 5", []string{"gpu-b"}}, // and binds tighter
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			e, err := Parse(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, name := range []string{"bare", "gpu-b", "gpu-d", "small-a"} {
				if e.Match(fleet[name]) {
					got = append(got, name)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("matching instances (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.14.5", "1.14.5", 0},
		{"1.9.0", "1.14.5", -1},
		{"1.14", "1.14.0", 0},
		{"1.14.1", "1.14", 1},
		{"01.2", "1.2", 0},
		{"1.2.0-beta", "1.2.0", 1},
		{"99999999999999999999999", "1", 1},
	}
	for _, tt := range tests {
		t.Run(tt.a+"_"+tt.b, func(t *testing.T) {
			if got := compareVersions(tt.a, tt.b); got != tt.want {
				t.Errorf("compareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if got := compareVersions(tt.b, tt.a); got != -tt.want {
				t.Errorf("compareVersions(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
			}
		})
	}
}
