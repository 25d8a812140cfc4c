package taskdef

import (
	"fmt"
	"strings"
	"testing"

	"tide/internal/awserr"
)

const (
	clientErr  = "ClientException"
	invalidErr = "InvalidParameterException"
)

// validInput returns a minimal valid EC2 definition with one container.
func validInput() *RegisterInput {
	return &RegisterInput{
		Family: "web",
		ContainerDefinitions: []ContainerDefinition{
			{Name: "app", Image: "nginx:latest", Memory: new(int32(512))},
		},
	}
}

// fargateInput returns a minimal valid Fargate definition.
func fargateInput() *RegisterInput {
	in := validInput()
	in.NetworkMode = "awsvpc"
	in.RequiresCompatibilities = []string{"FARGATE"}
	in.CPU, in.Memory = "256", "512"
	in.ContainerDefinitions[0].Memory = nil
	return in
}

// validationCase is a change to a valid input and the error it must cause;
// an empty code means the changed input is still valid.
type validationCase struct {
	name   string
	base   func() *RegisterInput
	mutate func(*RegisterInput)
	code   string
	msg    string
}

func runValidationCases(t *testing.T, cases []validationCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := tc.base
			if base == nil {
				base = validInput
			}
			in := base()
			tc.mutate(in)
			err := Validate(in)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			e := awserr.As(err)
			if e == nil {
				t.Fatalf("Validate() = %v, want %s: %s", err, tc.code, tc.msg)
			}
			if e.Code != tc.code || e.Message != tc.msg || e.Status != 400 {
				t.Errorf("Validate() = %d %s: %q\nwant 400 %s: %q", e.Status, e.Code, e.Message, tc.code, tc.msg)
			}
		})
	}
}

func TestValidateValidInputs(t *testing.T) {
	if err := Validate(validInput()); err != nil {
		t.Fatalf("Validate(validInput()) = %v", err)
	}
	if err := Validate(fargateInput()); err != nil {
		t.Fatalf("Validate(fargateInput()) = %v", err)
	}
	if err := Validate(nil); awserr.As(err) == nil || awserr.As(err).Message != "Family can not be blank." {
		t.Fatalf("Validate(nil) = %v", err)
	}
}

func TestValidateTask(t *testing.T) {
	runValidationCases(t, []validationCase{
		{name: "family missing", mutate: func(in *RegisterInput) { in.Family = "" },
			code: clientErr, msg: "Family can not be blank."},
		{name: "family with dot", mutate: func(in *RegisterInput) { in.Family = "my.app" },
			code: clientErr, msg: "Family contains invalid characters."},
		{name: "family with space", mutate: func(in *RegisterInput) { in.Family = "sleep 360" },
			code: clientErr, msg: "Family contains invalid characters."},
		{name: "family of 255 characters", mutate: func(in *RegisterInput) { in.Family = strings.Repeat("a", 255) }},
		{name: "family of 256 characters", mutate: func(in *RegisterInput) { in.Family = strings.Repeat("a", 256) },
			code: clientErr, msg: "Family contains invalid characters."},
		{name: "family with hyphen and underscore", mutate: func(in *RegisterInput) { in.Family = "My_app-2" }},
		{name: "no containers", mutate: func(in *RegisterInput) { in.ContainerDefinitions = nil },
			code: clientErr, msg: "Container list cannot be empty."},
		{name: "ten containers", mutate: func(in *RegisterInput) { setContainers(in, 10) }},
		{name: "eleven containers", mutate: func(in *RegisterInput) { setContainers(in, 11) },
			code: clientErr, msg: "Too many containers."},
		{name: "unknown network mode", mutate: func(in *RegisterInput) { in.NetworkMode = "nat" },
			code: invalidErr, msg: "1 validation error detected: Value 'nat' at 'networkMode' failed to satisfy constraint: Member must satisfy enum value set: [bridge, host, awsvpc, none]"},
		{name: "network mode host", mutate: func(in *RegisterInput) { in.NetworkMode = "host" }},
		{name: "network mode none", mutate: func(in *RegisterInput) { in.NetworkMode = "none" }},
		{name: "unknown compatibility", mutate: func(in *RegisterInput) { in.RequiresCompatibilities = []string{"EC2", "LAMBDA"} },
			code: invalidErr, msg: "1 validation error detected: Value 'LAMBDA' at 'requiresCompatibilities.2.member' failed to satisfy constraint: Member must satisfy enum value set: [EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES]"},
		{name: "all compatibilities but fargate", mutate: func(in *RegisterInput) {
			in.RequiresCompatibilities = []string{"EC2", "EXTERNAL", "MANAGED_INSTANCES"}
		}},
		{name: "unknown pid mode", mutate: func(in *RegisterInput) { in.PIDMode = "container" },
			code: invalidErr, msg: "1 validation error detected: Value 'container' at 'pidMode' failed to satisfy constraint: Member must satisfy enum value set: [host, task]"},
		{name: "unknown ipc mode", mutate: func(in *RegisterInput) { in.IPCMode = "shareable" },
			code: invalidErr, msg: "1 validation error detected: Value 'shareable' at 'ipcMode' failed to satisfy constraint: Member must satisfy enum value set: [host, task, none]"},
		{name: "no essential container", mutate: func(in *RegisterInput) { in.ContainerDefinitions[0].Essential = new(false) },
			code: clientErr, msg: "Task definition doesn't have any essential container."},
		{name: "one essential of two", mutate: func(in *RegisterInput) {
			setContainers(in, 2)
			in.ContainerDefinitions[0].Essential = new(false)
		}},
		{name: "placement constraint type", mutate: func(in *RegisterInput) {
			in.PlacementConstraints = []TaskDefinitionPlacementConstraint{{Type: "distinctInstance"}}
		}, code: invalidErr, msg: "1 validation error detected: Value 'distinctInstance' at 'placementConstraints.1.member.type' failed to satisfy constraint: Member must satisfy enum value set: [memberOf]"},
		{name: "eleven placement constraints", mutate: func(in *RegisterInput) {
			in.PlacementConstraints = make([]TaskDefinitionPlacementConstraint, 11)
		}, code: clientErr, msg: "Too many placement constraints. The maximum is 10."},
		{name: "ephemeral storage too small", mutate: func(in *RegisterInput) { in.EphemeralStorage = &EphemeralStorage{SizeInGiB: new(int32(20))} },
			code: clientErr, msg: "Invalid 'ephemeralStorage' setting for task. The size must be between 21 and 200 GiB."},
		{name: "ephemeral storage 200", mutate: func(in *RegisterInput) { in.EphemeralStorage = &EphemeralStorage{SizeInGiB: new(int32(200))} }},
		{name: "ephemeral storage size missing", mutate: func(in *RegisterInput) { in.EphemeralStorage = &EphemeralStorage{} },
			code: invalidErr, msg: "1 validation error detected: Value null at 'ephemeralStorage.sizeInGiB' failed to satisfy constraint: Member must not be null"},
		{name: "runtime platform", mutate: func(in *RegisterInput) { in.RuntimePlatform = &RuntimePlatform{CPUArchitecture: "RISCV"} },
			code: invalidErr, msg: "1 validation error detected: Value 'RISCV' at 'runtimePlatform.cpuArchitecture' failed to satisfy constraint: Member must satisfy enum value set: [X86_64, ARM64]"},
		{name: "proxy container missing", mutate: func(in *RegisterInput) {
			in.ProxyConfiguration = &ProxyConfiguration{Type: "APPMESH", ContainerName: "envoy"}
		}, code: clientErr, msg: "Invalid 'proxyConfiguration' setting. Container 'envoy' does not exist."},
		{name: "proxy container present", mutate: func(in *RegisterInput) {
			in.ProxyConfiguration = &ProxyConfiguration{Type: "APPMESH", ContainerName: "app"}
		}},
		{name: "inference accelerator type missing", mutate: func(in *RegisterInput) {
			in.InferenceAccelerators = []InferenceAccelerator{{DeviceName: "d"}}
		}, code: invalidErr, msg: "1 validation error detected: Value null at 'inferenceAccelerators.1.member.deviceType' failed to satisfy constraint: Member must not be null"},
	})
}

func TestValidateTaskSize(t *testing.T) {
	runValidationCases(t, []validationCase{
		{name: "cpu units", mutate: func(in *RegisterInput) { in.CPU = "1024" }},
		{name: "cpu vCPU", mutate: func(in *RegisterInput) { in.CPU = "1 vCPU" }},
		{name: "cpu fraction of vCPU", mutate: func(in *RegisterInput) { in.CPU = "0.25 vcpu" }},
		{name: "cpu 128", mutate: func(in *RegisterInput) { in.CPU = "128" }},
		{name: "cpu 127", mutate: func(in *RegisterInput) { in.CPU = "127" },
			code: clientErr, msg: "Invalid 'cpu' setting for task."},
		{name: "cpu 192 vCPU", mutate: func(in *RegisterInput) { in.CPU = "192 vCPU" }},
		{name: "cpu 196609", mutate: func(in *RegisterInput) { in.CPU = "196609" },
			code: clientErr, msg: "Invalid 'cpu' setting for task."},
		{name: "cpu word", mutate: func(in *RegisterInput) { in.CPU = "lots" },
			code: clientErr, msg: "Invalid 'cpu' setting for task."},
		{name: "memory MiB", mutate: func(in *RegisterInput) { in.Memory = "2048" }},
		{name: "memory GB", mutate: func(in *RegisterInput) { in.Memory = "0.5 GB" }},
		{name: "memory word", mutate: func(in *RegisterInput) { in.Memory = "big" },
			code: clientErr, msg: "Invalid 'memory' setting for task."},
		{name: "memory zero", mutate: func(in *RegisterInput) { in.Memory = "0" },
			code: clientErr, msg: "Invalid 'memory' setting for task."},
		{name: "container memory above task memory", mutate: func(in *RegisterInput) { in.Memory = "256" },
			code: clientErr, msg: "The 'memory' setting for container 'app' is greater than for the task."},
		{name: "container memory equal to task memory", mutate: func(in *RegisterInput) { in.Memory = "512" }},
		{name: "reservations above task memory", mutate: func(in *RegisterInput) {
			in.Memory = "1024"
			setContainers(in, 3)
			for i := range in.ContainerDefinitions {
				in.ContainerDefinitions[i].Memory = nil
				in.ContainerDefinitions[i].MemoryReservation = new(int32(400))
			}
		}, code: clientErr, msg: "The sum of all container 'memoryReservation' values cannot be greater than the value of the task 'memory'."},
		{name: "container cpu above task cpu", mutate: func(in *RegisterInput) {
			in.CPU = "256"
			setContainers(in, 2)
			in.ContainerDefinitions[0].CPU = new(int32(200))
			in.ContainerDefinitions[1].CPU = new(int32(100))
		}, code: clientErr, msg: "The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'."},
		{name: "container cpu equal to task cpu", mutate: func(in *RegisterInput) {
			in.CPU = "256"
			in.ContainerDefinitions[0].CPU = new(int32(256))
		}},
	})
}

func TestValidateTags(t *testing.T) {
	runValidationCases(t, []validationCase{
		{name: "fifty tags", mutate: func(in *RegisterInput) { in.Tags = makeTags(50) }},
		{name: "fifty-one tags", mutate: func(in *RegisterInput) { in.Tags = makeTags(51) },
			code: invalidErr, msg: "1 validation error detected: Value '[51 tags]' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"},
		{name: "empty key", mutate: func(in *RegisterInput) { in.Tags = []Tag{{Key: "", Value: "v"}} },
			code: invalidErr, msg: "1 validation error detected: Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{name: "key of 128 characters", mutate: func(in *RegisterInput) { in.Tags = []Tag{{Key: strings.Repeat("k", 128)}} }},
		{name: "key of 129 characters", mutate: func(in *RegisterInput) { in.Tags = []Tag{{Key: strings.Repeat("k", 129)}} },
			code: invalidErr, msg: "1 validation error detected: Value '" + strings.Repeat("k", 129) + "' at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{name: "value of 256 characters", mutate: func(in *RegisterInput) { in.Tags = []Tag{{Key: "k", Value: strings.Repeat("é", 256)}} }},
		{name: "value of 257 characters", mutate: func(in *RegisterInput) { in.Tags = []Tag{{Key: "k", Value: strings.Repeat("v", 257)}} },
			code: invalidErr, msg: "1 validation error detected: Value '" + strings.Repeat("v", 257) + "' at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256"},
		{name: "key with forbidden character", mutate: func(in *RegisterInput) { in.Tags = []Tag{{Key: "a*b"}} },
			code: invalidErr, msg: "1 validation error detected: Value 'a*b' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$"},
		{name: "key with allowed punctuation", mutate: func(in *RegisterInput) { in.Tags = []Tag{{Key: "team name_.:/=+-@", Value: ""}} }},
		{name: "aws prefix", mutate: func(in *RegisterInput) { in.Tags = []Tag{{Key: "aws:owner", Value: "me"}} },
			code: invalidErr, msg: "Tag key must not start with aws:"},
		{name: "AWS prefix in capitals", mutate: func(in *RegisterInput) { in.Tags = []Tag{{Key: "AWS:owner"}} },
			code: invalidErr, msg: "Tag key must not start with aws:"},
		{name: "aws prefix in value", mutate: func(in *RegisterInput) { in.Tags = []Tag{{Key: "owner", Value: "aws:me"}} }},
		{name: "duplicate key", mutate: func(in *RegisterInput) { in.Tags = []Tag{{Key: "a"}, {Key: "a"}} },
			code: invalidErr, msg: "Tag keys must be unique. The key a appears more than once."},
	})
}

// setContainers gives in n valid containers named c0, c1 and so on.
func setContainers(in *RegisterInput, n int) {
	in.ContainerDefinitions = nil
	for i := range n {
		in.ContainerDefinitions = append(in.ContainerDefinitions, ContainerDefinition{
			Name: fmt.Sprintf("c%d", i), Image: "busybox", Memory: new(int32(64)),
		})
	}
}

// makeTags returns n distinct tags.
func makeTags(n int) []Tag {
	tags := make([]Tag, n)
	for i := range tags {
		tags[i] = Tag{Key: fmt.Sprintf("k%d", i), Value: "v"}
	}
	return tags
}
