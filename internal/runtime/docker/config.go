package docker

import (
	"fmt"
	"strconv"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"tide/internal/runtime"
)

// ECS defaults for what a spec leaves zero.
const (
	defaultStopTimeout    = 30 * time.Second
	defaultHealthInterval = 30 * time.Second
	defaultHealthTimeout  = 5 * time.Second
	defaultHealthRetries  = 3
)

// minNanoCPUs is the smallest CPU cap Docker accepts (0.01 core).
const minNanoCPUs = 10_000_000

// cpuPolicy says how CPU units become cgroup settings.
type cpuPolicy struct {
	sharesOnly bool // ECS on EC2: relative weight, no cap
	ncpu       int  // the host's cores; caps are clamped to it (0: unknown)
}

// createOptions is what Docker needs to create container i of spec.
// netMode is the Docker network mode: "bridge", "host", "none", the
// awsvpc network's name, or "container:<id>" for a container that joins
// the namespace owner of an awsvpc task.
func createOptions(spec runtime.TaskSpec, i int, netMode string, cpu cpuPolicy) (client.ContainerCreateOptions, error) {
	c := spec.Containers[i]
	mode := taskMode(spec)
	exposed, bindings, err := ports(c.PortMappings, mode, netMode)
	if err != nil {
		return client.ContainerCreateOptions{}, fmt.Errorf("container %q: %w", c.Name, err)
	}
	stop := int(ceilSeconds(c.StopTimeout, defaultStopTimeout))
	cfg := &container.Config{
		Image:        c.Image,
		Entrypoint:   c.EntryPoint,
		Cmd:          c.Command,
		Env:          c.Env,
		WorkingDir:   c.WorkingDirectory,
		User:         c.User,
		ExposedPorts: exposed,
		Healthcheck:  healthConfig(c.HealthCheck),
		StopSignal:   "SIGTERM",
		StopTimeout:  &stop,
		Labels:       labels(spec.TaskArn, spec.Cluster, spec.Family, spec.Revision, mode, i, c.Name, c.LogDir),
	}
	host := &container.HostConfig{
		NetworkMode:  container.NetworkMode(netMode),
		PortBindings: bindings,
		Resources:    resources(c, cpu),
	}
	return client.ContainerCreateOptions{
		Name:       containerName(spec.TaskArn, c.Name),
		Config:     cfg,
		HostConfig: host,
	}, nil
}

// taskMode is the task's network mode, bridge when unset.
func taskMode(spec runtime.TaskSpec) string {
	if spec.NetworkMode == "" {
		return modeBridge
	}
	return spec.NetworkMode
}

// resources maps CPU units, memory limits and ulimits to cgroup settings.
// CPU units are always the container's CPU shares (at least 2, as the ECS
// agent sets), and, unless cpu.sharesOnly, also a hard cap of units/1024
// cores. A hard memory limit disables swap beyond it, as on ECS-optimized
// hosts, so that the OOM killer acts at the limit.
func resources(c runtime.ContainerSpec, cpu cpuPolicy) container.Resources {
	var res container.Resources
	res.CPUShares = max(int64(c.CPU), 2)
	if c.CPU > 0 && !cpu.sharesOnly {
		nanos := int64(c.CPU) * 1e9 / 1024
		if cpu.ncpu > 0 {
			nanos = min(nanos, int64(cpu.ncpu)*1e9)
		}
		res.NanoCPUs = max(nanos, minNanoCPUs)
	}
	if c.Memory > 0 {
		res.Memory = int64(c.Memory) << 20
		res.MemorySwap = res.Memory
	}
	if c.MemoryReservation > 0 {
		res.MemoryReservation = int64(c.MemoryReservation) << 20
	}
	for _, u := range c.Ulimits {
		res.Ulimits = append(res.Ulimits, &container.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	return res
}

// ports returns the ports a container exposes and, in bridge mode, their
// host bindings: host port 0 lets Docker pick a free port, read back by
// inspecting the container. In host mode the container's ports are the
// host's; awsvpc containers are reached on the task's address at their
// container ports, so nothing is published; joiners of another
// container's namespace may expose nothing (Docker refuses it).
func ports(pms []runtime.PortMapping, mode, netMode string) (network.PortSet, network.PortMap, error) {
	if len(pms) == 0 || mode == modeNone || mode == modeAWSVPC {
		return nil, nil, nil
	}
	if _, ok := joined(netMode); ok {
		return nil, nil, nil
	}
	exposed := network.PortSet{}
	bindings := network.PortMap{}
	for _, pm := range pms {
		proto := pm.Protocol
		if proto == "" {
			proto = "tcp"
		}
		if pm.ContainerPort < 1 || pm.ContainerPort > 65535 {
			return nil, nil, fmt.Errorf("container port %d out of range", pm.ContainerPort)
		}
		p, ok := network.PortFrom(uint16(pm.ContainerPort), network.IPProtocol(proto))
		if !ok {
			return nil, nil, fmt.Errorf("bad port mapping %d/%s", pm.ContainerPort, proto)
		}
		exposed[p] = struct{}{}
		if mode != modeBridge {
			continue
		}
		hp := ""
		if pm.HostPort != 0 {
			hp = strconv.Itoa(int(pm.HostPort))
		}
		bindings[p] = append(bindings[p], network.PortBinding{HostPort: hp})
	}
	if mode != modeBridge {
		bindings = nil
	}
	return exposed, bindings, nil
}

// healthConfig maps an ECS health check to Docker's, filling ECS's
// defaults (30 s interval, 5 s timeout, 3 retries) for zero fields.
// Docker, like ECS, takes ["CMD", args...] or ["CMD-SHELL", "command"];
// images without a shell need the CMD form.
func healthConfig(h *runtime.HealthCheck) *container.HealthConfig {
	if h == nil || len(h.Command) == 0 {
		return nil
	}
	hc := &container.HealthConfig{
		Test:        h.Command,
		Interval:    h.Interval,
		Timeout:     h.Timeout,
		Retries:     h.Retries,
		StartPeriod: h.StartPeriod,
	}
	if hc.Interval <= 0 {
		hc.Interval = defaultHealthInterval
	}
	if hc.Timeout <= 0 {
		hc.Timeout = defaultHealthTimeout
	}
	if hc.Retries <= 0 {
		hc.Retries = defaultHealthRetries
	}
	return hc
}

// ceilSeconds is d in whole seconds, rounded up; def when d is 0.
func ceilSeconds(d, def time.Duration) int64 {
	if d <= 0 {
		d = def
	}
	return int64((d + time.Second - 1) / time.Second)
}

// validate checks what Docker would otherwise reject late, or silently.
func validate(spec runtime.TaskSpec) error {
	if spec.TaskArn == "" {
		return fmt.Errorf("task arn is empty")
	}
	if len(spec.Containers) == 0 {
		return fmt.Errorf("task %s has no containers", spec.TaskArn)
	}
	switch taskMode(spec) {
	case modeBridge, modeHost, modeAWSVPC, modeNone:
	default:
		return fmt.Errorf("task %s: unknown network mode %q", spec.TaskArn, spec.NetworkMode)
	}
	seen := map[string]bool{}
	for _, c := range spec.Containers {
		if c.Name == "" || c.Image == "" {
			return fmt.Errorf("task %s: a container has no name or image", spec.TaskArn)
		}
		if seen[c.Name] {
			return fmt.Errorf("task %s: container name %q used twice", spec.TaskArn, c.Name)
		}
		seen[c.Name] = true
	}
	return nil
}

// namespaceOwner is the container of an awsvpc task whose network
// namespace the others join: the first essential one (or the first).
func namespaceOwner(spec runtime.TaskSpec) int {
	for i, c := range spec.Containers {
		if c.Essential {
			return i
		}
	}
	return 0
}
