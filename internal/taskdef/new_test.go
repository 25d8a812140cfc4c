package taskdef

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	testRegisteredAt = time.Date(2024, 6, 21, 16, 15, 12, 669e6, time.UTC)
	testRegisteredBy = "arn:aws:sts::123456789012:assumed-role/demo-role/jane-doe"
)

// TestNewGolden registers the inputs in testdata/new and compares the whole
// JSON of the result with the expected output. sleep360 is the example of the
// AWS CLI reference for register-task-definition; fargate mirrors real
// DescribeTaskDefinition output of a Fargate service.
func TestNewGolden(t *testing.T) {
	tests := []struct {
		name     string
		revision int32
	}{
		{"sleep360", 1},
		{"nginx", 3},
		{"fargate", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var in RegisterInput
			decodeFile(t, filepath.Join("testdata", "new", tc.name+".input.json"), &in)
			if err := Validate(&in); err != nil {
				t.Fatalf("Validate() = %v", err)
			}
			arn := "arn:aws:ecs:us-east-1:123456789012:task-definition/" + in.Family + ":" + strconv.Itoa(int(tc.revision))
			got, err := json.Marshal(New(&in, arn, tc.revision, testRegisteredAt, testRegisteredBy))
			if err != nil {
				t.Fatal(err)
			}
			var gotAny, wantAny any
			if err := json.Unmarshal(got, &gotAny); err != nil {
				t.Fatal(err)
			}
			decodeFile(t, filepath.Join("testdata", "new", tc.name+".output.json"), &wantAny)
			if diff := cmp.Diff(wantAny, gotAny); diff != "" {
				t.Errorf("New() JSON mismatch (-want +got):\n%s\ngot: %s", diff, got)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	in := validInput()
	in.NetworkMode = "awsvpc"
	in.ContainerDefinitions[0].PortMappings = []PortMapping{port(80, 0), {ContainerPort: new(int32(53)), Protocol: "udp"}}
	in.ContainerDefinitions[0].HealthCheck = &HealthCheck{Command: []string{"CMD", "true"}, Interval: new(int32(10)), StartPeriod: new(int32(20))}
	in.ContainerDefinitions[0].Essential = new(false)
	td := New(in, "arn", 7, testRegisteredAt, "me")
	c := td.ContainerDefinitions[0]
	want := []PortMapping{
		{ContainerPort: new(int32(80)), HostPort: new(int32(80)), Protocol: "tcp"},
		{ContainerPort: new(int32(53)), HostPort: new(int32(53)), Protocol: "udp"},
	}
	if diff := cmp.Diff(want, c.PortMappings); diff != "" {
		t.Errorf("port mappings (-want +got):\n%s", diff)
	}
	wantHC := &HealthCheck{Command: []string{"CMD", "true"}, Interval: new(int32(10)), Timeout: new(int32(5)), Retries: new(int32(3)), StartPeriod: new(int32(20))}
	if diff := cmp.Diff(wantHC, c.HealthCheck); diff != "" {
		t.Errorf("health check (-want +got):\n%s", diff)
	}
	if *c.Essential {
		t.Error("essential = true, want the false that was given")
	}
	if td.Status != "ACTIVE" || *td.Revision != 7 || td.TaskDefinitionARN != "arn" || td.RegisteredBy != "me" || !td.RegisteredAt.Equal(testRegisteredAt) {
		t.Errorf("identity = %q %d %q %q %v", td.Status, *td.Revision, td.TaskDefinitionARN, td.RegisteredBy, td.RegisteredAt)
	}
	if td.NetworkMode != "awsvpc" {
		t.Errorf("networkMode = %q", td.NetworkMode)
	}
}

func TestNewOmitsAbsentNetworkModeAndTags(t *testing.T) {
	in := validInput()
	in.Tags = []Tag{{Key: "k", Value: "v"}}
	b, err := json.Marshal(New(in, "arn", 1, time.Time{}, ""))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"networkMode", "tags", "requiresAttributes", "requiresCompatibilities", "registeredAt", "cpu", "memory"} {
		if _, ok := m[k]; ok {
			t.Errorf("output has %q: %s", k, b)
		}
	}
}

func TestNewDoesNotAlias(t *testing.T) {
	in := validInput()
	in.ContainerDefinitions[0].Environment = []KeyValuePair{{Name: "A", Value: "1"}}
	td := New(in, "arn", 1, testRegisteredAt, "")
	in.ContainerDefinitions[0].Environment[0].Value = "changed"
	*in.ContainerDefinitions[0].Memory = 1
	if td.ContainerDefinitions[0].Environment[0].Value != "1" || *td.ContainerDefinitions[0].Memory != 512 {
		t.Error("New shares memory with its input")
	}
	if in.ContainerDefinitions[0].CPU != nil || in.ContainerDefinitions[0].MountPoints != nil {
		t.Error("New modified its input")
	}
}

func TestNewCompatibilities(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*RegisterInput)
		want   []string
	}{
		{"bridge", func(*RegisterInput) {}, []string{"EXTERNAL", "EC2"}},
		{"host", func(in *RegisterInput) { in.NetworkMode = "host" }, []string{"EXTERNAL", "EC2"}},
		{"awsvpc without task size", func(in *RegisterInput) { in.NetworkMode = "awsvpc" }, []string{"EC2", "MANAGED_INSTANCES"}},
		{"awsvpc with Fargate size", func(in *RegisterInput) {
			in.NetworkMode, in.CPU, in.Memory = "awsvpc", "1 vCPU", "2 GB"
			in.ContainerDefinitions[0].Memory = nil
		}, []string{"EC2", "FARGATE", "MANAGED_INSTANCES"}},
		{"awsvpc with other size", func(in *RegisterInput) { in.NetworkMode, in.CPU, in.Memory = "awsvpc", "512", "717" }, []string{"EC2", "MANAGED_INSTANCES"}},
		{"awsvpc privileged", func(in *RegisterInput) {
			in.NetworkMode, in.CPU, in.Memory = "awsvpc", "256", "512"
			in.ContainerDefinitions[0].Memory, in.ContainerDefinitions[0].Privileged = nil, new(true)
		}, []string{"EC2", "MANAGED_INSTANCES"}},
		{"awsvpc windows", func(in *RegisterInput) {
			in.NetworkMode, in.CPU, in.Memory = "awsvpc", "1024", "2048"
			in.RuntimePlatform = &RuntimePlatform{OperatingSystemFamily: "WINDOWS_SERVER_2022_FULL"}
		}, []string{"EC2", "FARGATE"}},
		{"required managed instances", func(in *RegisterInput) { in.RequiresCompatibilities = []string{"MANAGED_INSTANCES"} },
			[]string{"EXTERNAL", "EC2", "MANAGED_INSTANCES"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := validInput()
			tc.mutate(in)
			if got := New(in, "arn", 1, testRegisteredAt, "").Compatibilities; !slices.Equal(got, tc.want) {
				t.Errorf("compatibilities = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNewRequiresAttributes(t *testing.T) {
	in := validInput()
	in.PIDMode = "task"
	c := app(in)
	c.Privileged = new(true)
	c.EnvironmentFiles = []EnvironmentFile{{Type: "s3", Value: "arn:aws:s3:::bucket/app.env"}}
	c.Secrets = []Secret{{Name: "A", ValueFrom: "arn:aws:secretsmanager:us-east-1:123456789012:secret:a"}, {Name: "B", ValueFrom: "/app/b"}}
	c.LogConfiguration = &LogConfiguration{LogDriver: "fluentd"}
	in.ContainerDefinitions = append(in.ContainerDefinitions, ContainerDefinition{
		Name: "side", Image: "busybox", Memory: new(int32(16)), DependsOn: []ContainerDependency{{ContainerName: "app", Condition: "START"}},
	})
	var got []string
	for _, a := range New(in, "arn", 1, testRegisteredAt, "").RequiresAttributes {
		got = append(got, a.Name)
	}
	want := []string{
		"com.amazonaws.ecs.capability.logging-driver.fluentd",
		"ecs.capability.env-files.s3",
		"ecs.capability.secrets.asm.environment-variables",
		"ecs.capability.secrets.ssm.environment-variables",
		"com.amazonaws.ecs.capability.privileged-container",
		"ecs.capability.pid-ipc-namespace-sharing",
		"ecs.capability.container-ordering",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requiresAttributes (-want +got):\n%s", diff)
	}
}

func TestNewKeepsUnparsableSizes(t *testing.T) {
	in := validInput()
	in.CPU, in.Memory = "lots", "2 GiB"
	td := New(in, "arn", 1, testRegisteredAt, "")
	if td.CPU != "lots" || td.Memory != "2 GiB" {
		t.Errorf("cpu, memory = %q, %q", td.CPU, td.Memory)
	}
	if New(nil, "arn", 1, testRegisteredAt, "") == nil {
		t.Error("New(nil) = nil")
	}
}

// decodeFile decodes the JSON file at path into v.
func decodeFile(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
