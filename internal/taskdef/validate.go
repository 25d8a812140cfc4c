package taskdef

import (
	"regexp"
	"slices"
	"strings"

	"tide/internal/awserr"
)

// Limits ECS places on a task definition.
const (
	maxContainers           = 10
	maxPlacementConstraints = 10
	minEphemeralStorageGiB  = 21
	maxEphemeralStorageGiB  = 200
)

// namePattern is the pattern of family, container and volume names: up to 255
// letters, digits, hyphens and underscores.
var namePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,255}$`)

// Validate checks a RegisterTaskDefinition request against the rules AWS
// applies and returns the first violation as an *awserr.Error with ECS's code
// and message, or nil if the request is valid. It does not modify in.
func Validate(in *RegisterInput) error {
	if in == nil {
		in = &RegisterInput{}
	}
	if e := validate(in); e != nil {
		return e
	}
	return nil
}

// checker carries what the container rules need to know about the task.
type checker struct {
	in      *RegisterInput
	mode    string // network mode, "bridge" when none is given
	taskCPU int32  // task-level cpu units, 0 when unset
	taskMem int32  // task-level memory MiB, 0 when unset
	names   map[string]int
}

// validate applies the model's constraints, then ECS's rules for the task,
// each container, the references between them and the launch types.
func validate(in *RegisterInput) *awserr.Error {
	if e := validateModel(in); e != nil {
		return e
	}
	if in.Family == "" {
		return awserr.ClientException("Family can not be blank.")
	}
	if !namePattern.MatchString(in.Family) {
		return awserr.ClientException("Family contains invalid characters.")
	}
	v := &checker{in: in, mode: effectiveMode(in.NetworkMode), names: map[string]int{}}
	if in.CPU != "" {
		n, err := ParseCPU(in.CPU)
		if err != nil || n < MinTaskCPU || n > MaxTaskCPU {
			return awserr.ClientException("Invalid 'cpu' setting for task.")
		}
		v.taskCPU = n
	}
	if in.Memory != "" {
		n, err := ParseMemory(in.Memory)
		if err != nil {
			return awserr.ClientException("Invalid 'memory' setting for task.")
		}
		v.taskMem = n
	}
	switch n := len(in.ContainerDefinitions); {
	case n == 0:
		return awserr.ClientException("Container list cannot be empty.")
	case n > maxContainers:
		return awserr.ClientException("Too many containers.")
	}
	for i := range in.ContainerDefinitions {
		if e := v.container(i, &in.ContainerDefinitions[i]); e != nil {
			return e
		}
	}
	return first(
		v.essential(),
		v.volumes(),
		v.references(),
		v.dependencies(),
		v.hostPorts(),
		v.resources(),
		v.task(),
		v.launchTypes(),
	)
}

// effectiveMode returns the network mode a task runs with.
func effectiveMode(mode string) string {
	if mode == "" {
		return NetworkModeBridge
	}
	return mode
}

// essential requires at least one essential container; essential defaults to
// true.
func (v *checker) essential() *awserr.Error {
	for _, c := range v.in.ContainerDefinitions {
		if isEssential(c) {
			return nil
		}
	}
	return awserr.ClientException("Task definition doesn't have any essential container.")
}

// isEssential reports whether c is essential, which it is unless it says
// otherwise.
func isEssential(c ContainerDefinition) bool {
	return c.Essential == nil || *c.Essential
}

// volumes checks volume names.
func (v *checker) volumes() *awserr.Error {
	seen := map[string]bool{}
	for _, vol := range v.in.Volumes {
		if vol.Name == "" {
			if vol.EFSVolumeConfiguration != nil || vol.S3FilesVolumeConfiguration != nil || isTrue(vol.ConfiguredAtLaunch) {
				return awserr.ClientException("Volume name should not be null or empty.")
			}
			continue
		}
		if !namePattern.MatchString(vol.Name) {
			return awserr.ClientException("Volume name contains invalid characters.")
		}
		if seen[vol.Name] {
			return awserr.ClientException("Volume names must be unique within a Task Definition.")
		}
		seen[vol.Name] = true
	}
	return nil
}

// references checks that links, volumesFrom, mountPoints and the proxy
// configuration name containers and volumes that exist.
func (v *checker) references() *awserr.Error {
	for _, c := range v.in.ContainerDefinitions {
		for _, l := range c.Links {
			target, _, _ := strings.Cut(l, ":")
			if _, ok := v.names[target]; !ok {
				return awserr.ClientException("Invalid 'links' setting for container '%s'. Container '%s' does not exist.", c.Name, target)
			}
		}
		for _, f := range c.VolumesFrom {
			if _, ok := v.names[f.SourceContainer]; !ok || f.SourceContainer == c.Name {
				return awserr.ClientException("Invalid 'volumesFrom' setting for container '%s'. Source container '%s' does not exist.", c.Name, f.SourceContainer)
			}
		}
		for _, m := range c.MountPoints {
			if !slices.ContainsFunc(v.in.Volumes, func(vol Volume) bool { return vol.Name != "" && vol.Name == m.SourceVolume }) {
				return awserr.ClientException("Invalid 'mountPoints' setting for container '%s'. Volume '%s' does not exist.", c.Name, m.SourceVolume)
			}
		}
	}
	if p := v.in.ProxyConfiguration; p != nil {
		if _, ok := v.names[p.ContainerName]; !ok {
			return awserr.ClientException("Invalid 'proxyConfiguration' setting. Container '%s' does not exist.", p.ContainerName)
		}
	}
	return nil
}

// dependencies checks dependsOn targets, their conditions and cycles.
func (v *checker) dependencies() *awserr.Error {
	cs := v.in.ContainerDefinitions
	for _, c := range cs {
		for _, d := range c.DependsOn {
			t, ok := v.names[d.ContainerName]
			if !ok {
				// AWS's message really contains the stray "+".
				return awserr.ClientException("Cannot depend on container + '%s' because it does not exist", d.ContainerName)
			}
			switch d.Condition {
			case "SUCCESS", "COMPLETE":
				if isEssential(cs[t]) {
					return awserr.ClientException("A dependency container with SUCCESS or COMPLETE condition cannot be an essential container")
				}
			case "HEALTHY":
				if cs[t].HealthCheck == nil {
					return awserr.ClientException("A dependency container with HEALTHY condition must have a health check configured")
				}
			}
		}
	}
	// Depth-first search for a cycle, a container waiting on itself included.
	state := make([]uint8, len(cs)) // 0 unvisited, 1 on the stack, 2 done
	var visit func(int) bool
	visit = func(i int) bool {
		if state[i] != 0 {
			return state[i] == 1
		}
		state[i] = 1
		for _, d := range cs[i].DependsOn {
			if visit(v.names[d.ContainerName]) {
				return true
			}
		}
		state[i] = 2
		return false
	}
	for i := range cs {
		if visit(i) {
			return awserr.ClientException("Container dependencies of container '%s' contain a cycle.", cs[i].Name)
		}
	}
	return nil
}

// resources checks container cpu and memory against the task's.
func (v *checker) resources() *awserr.Error {
	var cpu, reserved int64
	for _, c := range v.in.ContainerDefinitions {
		if v.taskMem > 0 && c.Memory != nil && *c.Memory > v.taskMem {
			return awserr.ClientException("The 'memory' setting for container '%s' is greater than for the task.", c.Name)
		}
		if c.CPU != nil {
			cpu += int64(*c.CPU)
		}
		if c.MemoryReservation != nil {
			reserved += int64(*c.MemoryReservation)
		}
	}
	if v.taskCPU > 0 && cpu > int64(v.taskCPU) {
		return awserr.ClientException("The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'.")
	}
	if v.taskMem > 0 && reserved > int64(v.taskMem) {
		return awserr.ClientException("The sum of all container 'memoryReservation' values cannot be greater than the value of the task 'memory'.")
	}
	return nil
}

// task checks the remaining task-level settings.
func (v *checker) task() *awserr.Error {
	if len(v.in.PlacementConstraints) > maxPlacementConstraints {
		return awserr.ClientException("Too many placement constraints. The maximum is %d.", maxPlacementConstraints)
	}
	if s := v.in.EphemeralStorage; s != nil && s.SizeInGiB != nil {
		if n := *s.SizeInGiB; n < minEphemeralStorageGiB || n > maxEphemeralStorageGiB {
			return awserr.ClientException("Invalid 'ephemeralStorage' setting for task. The size must be between %d and %d GiB.", minEphemeralStorageGiB, maxEphemeralStorageGiB)
		}
	}
	return nil
}

// isTrue reports whether b is set and true.
func isTrue(b *bool) bool { return b != nil && *b }
