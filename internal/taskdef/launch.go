package taskdef

import (
	"slices"
	"strings"

	"tide/internal/awserr"
)

// Fargate limits that differ from the EC2 launch type's.
const (
	maxFargateStopTimeout = 120
	minFargateWindowsCPU  = 1024
)

// fargateLogDrivers are the log drivers Fargate supports.
var fargateLogDrivers = []string{"awslogs", "splunk", "awsfirelens"}

// launchTypes checks the definition against each launch type it requires.
func (v *checker) launchTypes() *awserr.Error {
	for _, c := range v.in.RequiresCompatibilities {
		switch c {
		case CompatibilityFargate:
			if e := fargateProblem(v.in, v.taskCPU, v.taskMem); e != nil {
				return e
			}
		case CompatibilityExternal:
			if v.mode == NetworkModeAWSVPC {
				return awserr.ClientException("Tasks using the EXTERNAL launch type do not support networkMode awsvpc.")
			}
		}
	}
	return nil
}

// fargateProblem returns the reason a definition with task-level cpu units
// and memory MiB (0 when unset) cannot run on Fargate, or nil if it can.
func fargateProblem(in *RegisterInput, cpu, mem int32) *awserr.Error {
	if in.NetworkMode != NetworkModeAWSVPC {
		return awserr.ClientException("Fargate only supports network mode ‘awsvpc’.")
	}
	if cpu == 0 {
		return awserr.ClientException("Fargate requires that 'cpu' be defined at the task level.")
	}
	if mem == 0 {
		return awserr.ClientException("Fargate requires that 'memory' be defined at the task level.")
	}
	if !FargateSizeValid(cpu, mem) || (isWindows(in.RuntimePlatform) && cpu < minFargateWindowsCPU) {
		return awserr.ClientException("No Fargate configuration exists for given values: %d CPU, %d memory. See the Amazon ECS documentation for the valid values.", cpu, mem)
	}
	if in.IPCMode != "" {
		return awserr.ClientException("Tasks using the Fargate launch type do not support ipcMode.")
	}
	unsupported := func(what string) *awserr.Error {
		return awserr.ClientException("Fargate compatible task definitions do not support %s", what)
	}
	switch {
	case in.PIDMode == "host":
		return unsupported("pidMode host")
	case len(in.PlacementConstraints) > 0:
		return unsupported("placementConstraints")
	case len(in.InferenceAccelerators) > 0:
		return unsupported("inferenceAccelerators")
	}
	for _, vol := range in.Volumes {
		if vol.Host != nil && vol.Host.SourcePath != "" {
			return unsupported("sourcePath")
		}
		if vol.DockerVolumeConfiguration != nil {
			return unsupported("dockerVolumeConfiguration")
		}
	}
	for _, c := range in.ContainerDefinitions {
		if e := fargateContainerProblem(in, c, unsupported); e != nil {
			return e
		}
	}
	return nil
}

// fargateContainerProblem returns the reason container c cannot run on
// Fargate, or nil.
func fargateContainerProblem(in *RegisterInput, c ContainerDefinition, unsupported func(string) *awserr.Error) *awserr.Error {
	if isTrue(c.Privileged) {
		return unsupported("privileged")
	}
	if len(c.DockerSecurityOptions) > 0 {
		return unsupported("dockerSecurityOptions")
	}
	if lp := c.LinuxParameters; lp != nil {
		switch {
		case len(lp.Devices) > 0:
			return unsupported("devices")
		case lp.SharedMemorySize != nil:
			return unsupported("sharedMemorySize")
		case lp.MaxSwap != nil:
			return unsupported("maxSwap")
		case lp.Swappiness != nil:
			return unsupported("swappiness")
		}
	}
	if c.StopTimeout != nil && *c.StopTimeout > maxFargateStopTimeout {
		return unsupported("a stopTimeout greater than 120 seconds")
	}
	if l := c.LogConfiguration; l != nil {
		if !slices.Contains(fargateLogDrivers, l.LogDriver) {
			return unsupported("log driver " + l.LogDriver)
		}
		if l.LogDriver == "awslogs" && in.ExecutionRoleARN == "" {
			return awserr.ClientException("Fargate requires task definition to have execution role ARN to support log driver awslogs.")
		}
	}
	return nil
}

// isWindows reports whether the runtime platform is a Windows family.
func isWindows(p *RuntimePlatform) bool {
	return p != nil && strings.HasPrefix(p.OperatingSystemFamily, "WINDOWS_")
}

// compatibilitiesOf returns the launch types a definition is compatible
// with, in the order AWS lists them. An awsvpc definition is compatible with
// EC2, with Fargate when Fargate can run it and with Managed Instances unless
// it is for Windows; any other definition with EXTERNAL and EC2. Launch types
// the definition requires, and so was validated against, are always listed.
func compatibilitiesOf(in *RegisterInput, cpu, mem int32) []string {
	var out []string
	if in.NetworkMode == NetworkModeAWSVPC {
		out = append(out, CompatibilityEC2)
		if fargateProblem(in, cpu, mem) == nil {
			out = append(out, CompatibilityFargate)
		}
		if !isWindows(in.RuntimePlatform) {
			out = append(out, CompatibilityManagedInstances)
		}
	} else {
		out = append(out, CompatibilityExternal, CompatibilityEC2)
	}
	for _, c := range in.RequiresCompatibilities {
		if slices.Contains(compatibilities, c) && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}
