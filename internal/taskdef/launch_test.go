package taskdef

import (
	"fmt"
	"testing"
)

func TestValidateFargate(t *testing.T) {
	unsupported := func(what string) string { return "Fargate compatible task definitions do not support " + what }
	runValidationCases(t, []validationCase{
		{name: "bridge", base: fargateInput, mutate: func(in *RegisterInput) { in.NetworkMode = "" },
			code: clientErr, msg: "Fargate only supports network mode ‘awsvpc’."},
		{name: "cpu missing", base: fargateInput, mutate: func(in *RegisterInput) { in.CPU = "" },
			code: clientErr, msg: "Fargate requires that 'cpu' be defined at the task level."},
		{name: "memory missing", base: fargateInput, mutate: func(in *RegisterInput) {
			in.Memory = ""
			app(in).Memory = new(int32(512))
		}, code: clientErr, msg: "Fargate requires that 'memory' be defined at the task level."},
		{name: "size in vCPU and GB", base: fargateInput, mutate: func(in *RegisterInput) { in.CPU, in.Memory = ".25 vCPU", "0.5GB" }},
		{name: "invalid size", base: fargateInput, mutate: func(in *RegisterInput) { in.CPU, in.Memory = "512", "512" },
			code: clientErr, msg: "No Fargate configuration exists for given values: 512 CPU, 512 memory. See the Amazon ECS documentation for the valid values."},
		{name: "windows below 1 vCPU", base: fargateInput, mutate: func(in *RegisterInput) {
			in.RuntimePlatform = &RuntimePlatform{OperatingSystemFamily: "WINDOWS_SERVER_2022_CORE"}
		}, code: clientErr, msg: "No Fargate configuration exists for given values: 256 CPU, 512 memory. See the Amazon ECS documentation for the valid values."},
		{name: "fargate and ec2", base: fargateInput, mutate: func(in *RegisterInput) { in.RequiresCompatibilities = []string{"EC2", "FARGATE"} }},
		{name: "ipc mode", base: fargateInput, mutate: func(in *RegisterInput) { in.IPCMode = "task" },
			code: clientErr, msg: "Tasks using the Fargate launch type do not support ipcMode."},
		{name: "pid mode task", base: fargateInput, mutate: func(in *RegisterInput) { in.PIDMode = "task" }},
		{name: "pid mode host", base: fargateInput, mutate: func(in *RegisterInput) { in.PIDMode = "host" },
			code: clientErr, msg: unsupported("pidMode host")},
		{name: "placement constraints", base: fargateInput, mutate: func(in *RegisterInput) {
			in.PlacementConstraints = []TaskDefinitionPlacementConstraint{{Type: "memberOf", Expression: "attribute:ecs.os-type == linux"}}
		}, code: clientErr, msg: unsupported("placementConstraints")},
		{name: "host source path", base: fargateInput, mutate: func(in *RegisterInput) {
			in.Volumes = []Volume{{Name: "logs", Host: &HostVolumeProperties{SourcePath: "/var/log"}}}
		}, code: clientErr, msg: unsupported("sourcePath")},
		{name: "bind mount without source path", base: fargateInput, mutate: func(in *RegisterInput) {
			in.Volumes = []Volume{{Name: "scratch", Host: &HostVolumeProperties{}}}
		}},
		{name: "docker volume", base: fargateInput, mutate: func(in *RegisterInput) {
			in.Volumes = []Volume{{Name: "data", DockerVolumeConfiguration: &DockerVolumeConfiguration{Scope: "task"}}}
		}, code: clientErr, msg: unsupported("dockerVolumeConfiguration")},
		{name: "privileged", base: fargateInput, mutate: func(in *RegisterInput) { app(in).Privileged = new(true) },
			code: clientErr, msg: unsupported("privileged")},
		{name: "not privileged", base: fargateInput, mutate: func(in *RegisterInput) { app(in).Privileged = new(false) }},
		{name: "devices", base: fargateInput, mutate: func(in *RegisterInput) {
			app(in).LinuxParameters = &LinuxParameters{Devices: []Device{{HostPath: "/dev/fuse"}}}
		}, code: clientErr, msg: unsupported("devices")},
		{name: "shared memory", base: fargateInput, mutate: func(in *RegisterInput) {
			app(in).LinuxParameters = &LinuxParameters{SharedMemorySize: new(int32(64))}
		}, code: clientErr, msg: unsupported("sharedMemorySize")},
		{name: "init process", base: fargateInput, mutate: func(in *RegisterInput) {
			app(in).LinuxParameters = &LinuxParameters{InitProcessEnabled: new(true)}
		}},
		{name: "stop timeout 121", base: fargateInput, mutate: func(in *RegisterInput) { app(in).StopTimeout = new(int32(121)) },
			code: clientErr, msg: unsupported("a stopTimeout greater than 120 seconds")},
		{name: "syslog", base: fargateInput, mutate: func(in *RegisterInput) { app(in).LogConfiguration = &LogConfiguration{LogDriver: "syslog"} },
			code: clientErr, msg: unsupported("log driver syslog")},
		{name: "awslogs without execution role", base: fargateInput, mutate: func(in *RegisterInput) { app(in).LogConfiguration = awslogs() },
			code: clientErr, msg: "Fargate requires task definition to have execution role ARN to support log driver awslogs."},
		{name: "awslogs with execution role", base: fargateInput, mutate: func(in *RegisterInput) {
			app(in).LogConfiguration = awslogs()
			in.ExecutionRoleARN = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
		}},
		{name: "external with awsvpc", mutate: func(in *RegisterInput) {
			in.NetworkMode = "awsvpc"
			in.RequiresCompatibilities = []string{"EXTERNAL"}
		}, code: clientErr, msg: "Tasks using the EXTERNAL launch type do not support networkMode awsvpc."},
		{name: "external with bridge", mutate: func(in *RegisterInput) { in.RequiresCompatibilities = []string{"EXTERNAL"} }},
	})
}

// TestValidateFargateSizes registers every cpu and memory pair of the Fargate
// table and its neighbours.
func TestValidateFargateSizes(t *testing.T) {
	valid := map[int32][]int32{
		256:   {512, 1024, 2048},
		512:   seq(1024, 4096, 1024),
		1024:  seq(2048, 8192, 1024),
		2048:  seq(4096, 16384, 1024),
		4096:  seq(8192, 30720, 1024),
		8192:  seq(16384, 61440, 4096),
		16384: seq(32768, 122880, 8192),
	}
	for cpu, mems := range valid {
		ok := map[int32]bool{}
		for _, m := range mems {
			ok[m] = true
		}
		for m := int32(256); m <= 131072; m += 256 {
			t.Run(fmt.Sprintf("%d/%d", cpu, m), func(t *testing.T) {
				in := fargateInput()
				in.CPU, in.Memory = fmt.Sprint(cpu), fmt.Sprint(m)
				err := Validate(in)
				if ok[m] != (err == nil) {
					t.Errorf("Validate(cpu %d, memory %d) = %v, want valid %v", cpu, m, err, ok[m])
				}
			})
		}
	}
	for _, cpu := range []string{"128", "768", "3072", "32768"} {
		in := fargateInput()
		in.CPU, in.Memory = cpu, "2048"
		if Validate(in) == nil {
			t.Errorf("Validate(cpu %s) = nil, want an error", cpu)
		}
	}
}

// seq returns lo, lo+step, ... up to hi.
func seq(lo, hi, step int32) []int32 {
	var s []int32
	for v := lo; v <= hi; v += step {
		s = append(s, v)
	}
	return s
}

// awslogs returns a complete awslogs log configuration.
func awslogs() *LogConfiguration {
	return &LogConfiguration{LogDriver: "awslogs", Options: map[string]string{
		"awslogs-group": "/ecs/web", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs",
	}}
}
