package taskdef

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"tide/internal/awserr"
)

// Limits on a container definition.
const (
	maxEnvironmentFiles     = 10
	maxIgnoredExitCodes     = 50
	minRestartAttemptPeriod = 60
	maxRestartAttemptPeriod = 1800
)

// healthCheckRanges are the valid ranges of a health check's settings, in
// seconds or (retries) attempts.
var healthCheckRanges = []struct {
	name     string
	min, max int32
	get      func(*HealthCheck) *int32
}{
	{"interval", 5, 300, func(h *HealthCheck) *int32 { return h.Interval }},
	{"timeout", 2, 60, func(h *HealthCheck) *int32 { return h.Timeout }},
	{"retries", 1, 10, func(h *HealthCheck) *int32 { return h.Retries }},
	{"startPeriod", 0, 300, func(h *HealthCheck) *int32 { return h.StartPeriod }},
}

// portNamePattern is the pattern of a port mapping name: up to 64 lowercase
// letters, digits, underscores and hyphens, not starting with a hyphen.
var portNamePattern = regexp.MustCompile(`^[a-z0-9_][a-z0-9_-]{0,63}$`)

// container checks container definition i on its own and records its name.
func (v *checker) container(i int, c *ContainerDefinition) *awserr.Error {
	switch {
	case c.Name == "":
		return awserr.ClientException("Container.name should not be null or empty.")
	case !namePattern.MatchString(c.Name):
		return awserr.ClientException("Container.name contains invalid characters.")
	}
	if _, dup := v.names[c.Name]; dup {
		return awserr.ClientException("Container names must be unique within a Task Definition.")
	}
	v.names[c.Name] = i
	if strings.TrimSpace(c.Image) == "" {
		return awserr.ClientException("Container.image should not be null or empty.")
	}
	return first(
		v.containerResources(c),
		v.ports(c),
		v.networking(c),
		healthCheck(c),
		logConfiguration(c),
		containerSettings(c),
	)
}

// containerResources checks the container's cpu, memory and memoryReservation.
func (v *checker) containerResources(c *ContainerDefinition) *awserr.Error {
	if c.CPU != nil && *c.CPU < 0 {
		return awserr.ClientException("Invalid 'cpu' setting for container '%s'.", c.Name)
	}
	if c.Memory != nil && *c.Memory < MinContainerMemory {
		return awserr.ClientException("Invalid 'memory' setting for container '%s'. The minimum is %d MiB.", c.Name, MinContainerMemory)
	}
	if c.MemoryReservation != nil && *c.MemoryReservation < MinContainerMemory {
		return awserr.ClientException("Invalid 'memoryReservation' setting for container '%s'. The minimum is %d MiB.", c.Name, MinContainerMemory)
	}
	if c.Memory != nil && c.MemoryReservation != nil && *c.MemoryReservation > *c.Memory {
		return awserr.ClientException("Invalid setting for container '%s'. 'memoryReservation' must be less than or equal to 'memory'.", c.Name)
	}
	if v.taskMem == 0 && c.Memory == nil && c.MemoryReservation == nil {
		return awserr.ClientException("Invalid setting for container '%s'. At least one of 'memory' or 'memoryReservation' must be specified.", c.Name)
	}
	return nil
}

// ports checks the container's port mappings.
func (v *checker) ports(c *ContainerDefinition) *awserr.Error {
	if len(c.PortMappings) > 0 && v.mode == NetworkModeNone {
		return awserr.ClientException("Port mappings are not supported when networkMode=none.")
	}
	for _, p := range c.PortMappings {
		if p.ContainerPortRange != "" {
			if e := v.portRange(c, p); e != nil {
				return e
			}
			continue
		}
		if p.ContainerPort == nil || *p.ContainerPort < 1 || *p.ContainerPort > 65535 {
			return awserr.ClientException("Invalid 'containerPort' setting for container '%s'.", c.Name)
		}
		if p.HostPort != nil && (*p.HostPort < 0 || *p.HostPort > 65535) {
			return awserr.ClientException("Invalid 'hostPort' setting for container '%s'.", c.Name)
		}
		// A hostPort of 0 is "blank": AWS replaces it with the container port.
		if (v.mode == NetworkModeAWSVPC || v.mode == NetworkModeHost) && p.HostPort != nil && *p.HostPort != 0 && *p.HostPort != *p.ContainerPort {
			return awserr.ClientException("When networkMode=%s, the host ports and container ports in port mappings must match.", v.mode)
		}
		if p.Name != "" && !portNamePattern.MatchString(p.Name) {
			return awserr.ClientException("Invalid 'portMappings' setting for container '%s'. The name '%s' contains invalid characters.", c.Name, p.Name)
		}
	}
	return nil
}

// portRange checks a port mapping with a containerPortRange.
func (v *checker) portRange(c *ContainerDefinition, p PortMapping) *awserr.Error {
	bad := func() *awserr.Error {
		return awserr.ClientException("Invalid 'containerPortRange' setting for container '%s'.", c.Name)
	}
	if p.ContainerPort != nil || p.HostPort != nil || (v.mode != NetworkModeBridge && v.mode != NetworkModeAWSVPC) {
		return bad()
	}
	lo, hi, ok := strings.Cut(p.ContainerPortRange, "-")
	start, err1 := strconv.Atoi(lo)
	end, err2 := strconv.Atoi(hi)
	if !ok || err1 != nil || err2 != nil || start < 1 || end > 65535 || start >= end {
		return bad()
	}
	return nil
}

// protocolOf returns a port mapping's protocol, which defaults to tcp.
func protocolOf(p PortMapping) string {
	if p.Protocol == "" {
		return "tcp"
	}
	return p.Protocol
}

// networking checks settings that only some network modes allow.
func (v *checker) networking(c *ContainerDefinition) *awserr.Error {
	if len(c.Links) > 0 && v.mode != NetworkModeBridge {
		return awserr.ClientException("Links are not supported when networkMode=%s.", v.mode)
	}
	if v.mode == NetworkModeAWSVPC {
		if c.Hostname != "" {
			return awserr.ClientException("hostname is not supported on container when networkMode=awsvpc.")
		}
		if len(c.ExtraHosts) > 0 {
			return awserr.ClientException("extraHosts is not supported on container when networkMode=awsvpc.")
		}
	}
	return nil
}

// hostPorts rejects two port mappings of the task that bind the same host
// port and protocol. In awsvpc and host mode a mapping binds its container
// port; in bridge mode it binds its hostPort unless that is 0 or absent.
func (v *checker) hostPorts() *awserr.Error {
	owner := map[string]string{}
	for _, c := range v.in.ContainerDefinitions {
		for _, p := range c.PortMappings {
			port := p.HostPort
			if v.mode == NetworkModeAWSVPC || v.mode == NetworkModeHost {
				port = p.ContainerPort
			}
			if port == nil || *port == 0 {
				continue
			}
			key := fmt.Sprintf("%d/%s", *port, protocolOf(p))
			if other, ok := owner[key]; ok {
				return awserr.ClientException("Invalid 'hostPort' setting for container '%s'. Host port %s is already used by container '%s'.", c.Name, key, other)
			}
			owner[key] = c.Name
		}
	}
	return nil
}

// healthCheck checks the container's health check command and ranges.
func healthCheck(c *ContainerDefinition) *awserr.Error {
	h := c.HealthCheck
	if h == nil {
		return nil
	}
	if len(h.Command) == 0 || (h.Command[0] != "CMD" && h.Command[0] != "CMD-SHELL") {
		return awserr.ClientException("Invalid 'healthCheck' setting for container '%s'. The command must start with CMD or CMD-SHELL.", c.Name)
	}
	for _, r := range healthCheckRanges {
		if n := r.get(h); n != nil && (*n < r.min || *n > r.max) {
			return awserr.ClientException("Invalid 'healthCheck' setting for container '%s'. '%s' must be between %d and %d.", c.Name, r.name, r.min, r.max)
		}
	}
	return nil
}

// logConfiguration checks the options the awslogs driver requires.
func logConfiguration(c *ContainerDefinition) *awserr.Error {
	l := c.LogConfiguration
	if l != nil && l.LogDriver == "awslogs" && (l.Options["awslogs-region"] == "" || l.Options["awslogs-group"] == "") {
		return awserr.ClientException("Log driver awslogs requires options: awslogs-region, awslogs-group")
	}
	return nil
}

// containerSettings checks the ranges of the container's remaining settings.
func containerSettings(c *ContainerDefinition) *awserr.Error {
	if len(c.EnvironmentFiles) > maxEnvironmentFiles {
		return awserr.ClientException("Invalid 'environmentFiles' setting for container '%s'. The maximum is %d files.", c.Name, maxEnvironmentFiles)
	}
	if r := c.RestartPolicy; r != nil {
		if len(r.IgnoredExitCodes) > maxIgnoredExitCodes {
			return awserr.ClientException("Invalid 'restartPolicy' setting for container '%s'. At most %d ignoredExitCodes are allowed.", c.Name, maxIgnoredExitCodes)
		}
		if p := r.RestartAttemptPeriod; p != nil && (*p < minRestartAttemptPeriod || *p > maxRestartAttemptPeriod) {
			return awserr.ClientException("Invalid 'restartPolicy' setting for container '%s'. 'restartAttemptPeriod' must be between %d and %d.", c.Name, minRestartAttemptPeriod, maxRestartAttemptPeriod)
		}
	}
	for _, t := range []struct {
		name string
		n    *int32
	}{{"startTimeout", c.StartTimeout}, {"stopTimeout", c.StopTimeout}} {
		if t.n != nil && *t.n < 0 {
			return awserr.ClientException("Invalid '%s' setting for container '%s'.", t.name, c.Name)
		}
	}
	if lp := c.LinuxParameters; lp != nil {
		if lp.Swappiness != nil && (*lp.Swappiness < 0 || *lp.Swappiness > 100) {
			return awserr.ClientException("Invalid 'swappiness' setting for container '%s'. It must be between 0 and 100.", c.Name)
		}
		if lp.MaxSwap != nil && *lp.MaxSwap < 0 {
			return awserr.ClientException("Invalid 'maxSwap' setting for container '%s'. It must be 0 or greater.", c.Name)
		}
		for _, t := range lp.Tmpfs {
			if t.Size != nil && *t.Size <= 0 {
				return awserr.ClientException("Invalid 'tmpfs' setting for container '%s'. The size must be greater than 0.", c.Name)
			}
		}
	}
	return nil
}
