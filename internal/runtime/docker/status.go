package docker

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"tide/internal/runtime"
)

// ReasonOOM is the reason reported for a container the kernel killed for
// exceeding its memory limit, worded as ECS words it.
const ReasonOOM = "OutOfMemoryError: Container killed due to memory usage"

// List reports every task whose containers this runtime (or an earlier
// one) created, in ARN order, with containers in task-definition order.
// Running containers carry the latest sample of their resource use (see
// statsCache; Usage.At is zero until the first, about a second after the
// start): cumulative CPU time, memory in use less the reclaimable page
// cache (as `docker stats` computes it) and network bytes (reported by the
// awsvpc namespace owner only, since the other containers share its
// interfaces).
// Bindings are the host ports Docker bound in bridge mode and the container
// ports in host mode; awsvpc containers have none (as on ECS) and are
// reached at IPAddress on their container ports.
func (r *Runtime) List(ctx context.Context) ([]runtime.TaskStatus, error) {
	cs, err := r.managed(ctx, "")
	if err != nil {
		return nil, err
	}
	present := make(map[string]bool, len(cs))
	for _, c := range cs {
		present[c.ID] = true
	}
	r.logs.prune(present)
	r.stats.prune(present)
	sts := make([]*runtime.ContainerStatus, len(cs))
	owners := make([]string, len(cs))
	err = parallel(len(cs), func(i int) error {
		st, owner, err := r.status(ctx, cs[i].ID)
		sts[i], owners[i] = st, owner
		return err
	})
	if err != nil {
		return nil, err
	}
	ips := map[string]string{}
	for _, st := range sts {
		if st != nil {
			ips[st.RuntimeID] = st.IPAddress
		}
	}
	var tasks []runtime.TaskStatus
	for i, c := range cs {
		if sts[i] == nil {
			continue // removed while listing
		}
		if owners[i] != "" {
			sts[i].IPAddress = ips[owners[i]]
		}
		arn := c.Labels[labelTaskArn]
		if len(tasks) == 0 || tasks[len(tasks)-1].TaskArn != arn {
			tasks = append(tasks, runtime.TaskStatus{TaskArn: arn})
		}
		if t := &tasks[len(tasks)-1]; t.PullStartedAt.IsZero() {
			t.PullStartedAt, _ = time.Parse(time.RFC3339Nano, c.Labels[labelPullStarted])
			t.PullStoppedAt, _ = time.Parse(time.RFC3339Nano, c.Labels[labelPullStopped])
		}
		t := &tasks[len(tasks)-1]
		t.Containers = append(t.Containers, *sts[i])
	}
	return tasks, nil
}

// status inspects one container, adds its latest resource sample and
// makes sure its output is copied and its use sampled. It returns nil when
// the container no longer exists, and the ID of the container whose
// network namespace it joined, if any.
func (r *Runtime) status(ctx context.Context, id string) (*runtime.ContainerStatus, string, error) {
	res, err := r.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if cerrdefs.IsNotFound(err) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("inspect container %s: %w", id, err)
	}
	in := res.Container
	if in.State == nil || in.Config == nil || in.HostConfig == nil {
		return nil, "", fmt.Errorf("inspect container %s: incomplete answer", id)
	}
	st := containerStatus(in)
	if dir := in.Config.Labels[labelLogDir]; dir != "" && st.State != runtime.StateCreated {
		r.logs.follow(in.ID, st.Name, dir)
	}
	if st.State == runtime.StateRunning {
		r.stats.watch(in.ID)
		st.Usage, _ = r.stats.get(in.ID)
	}
	owner, _ := joined(string(in.HostConfig.NetworkMode))
	return &st, owner, nil
}

// containerStatus maps what Docker says of a container to a status.
// A container whose start failed stays "created" in Docker, with an error;
// it is reported exited, with the error as its reason.
func containerStatus(in container.InspectResponse) runtime.ContainerStatus {
	s := in.State
	st := runtime.ContainerStatus{
		Name:       in.Config.Labels[labelContainer],
		RuntimeID:  in.ID,
		Health:     health(s.Health),
		StartedAt:  parseTime(s.StartedAt),
		FinishedAt: parseTime(s.FinishedAt),
		Bindings:   bindings(in),
		IPAddress:  address(in),
	}
	switch {
	case s.Status == container.StateRunning, s.Status == container.StatePaused, s.Status == container.StateRestarting:
		st.State = runtime.StateRunning
	case s.Status == container.StateCreated && s.Error == "":
		st.State = runtime.StateCreated
	default:
		st.State = runtime.StateExited
		code := int32(s.ExitCode)
		st.ExitCode = &code
		switch {
		case s.OOMKilled:
			st.Reason = ReasonOOM
		case s.Error != "":
			st.Reason = ErrCannotStart.Error() + ": " + s.Error
		}
	}
	return st
}

// health maps Docker's health status to ECS's.
func health(h *container.Health) string {
	if h == nil {
		return "UNKNOWN"
	}
	switch h.Status {
	case container.Healthy:
		return "HEALTHY"
	case container.Unhealthy:
		return "UNHEALTHY"
	}
	return "UNKNOWN"
}

// bindings lists the host ports of a bridge or host mode container.
func bindings(in container.InspectResponse) []runtime.Binding {
	var out []runtime.Binding
	switch in.Config.Labels[labelNetworkMode] {
	case modeBridge:
		if in.NetworkSettings == nil {
			return nil
		}
		for p, bs := range in.NetworkSettings.Ports {
			for _, b := range bs {
				hp, err := strconv.Atoi(b.HostPort)
				if err != nil || hp == 0 {
					continue
				}
				ip := ""
				if b.HostIP.IsValid() {
					ip = b.HostIP.String()
				}
				out = append(out, runtime.Binding{BindIP: ip, ContainerPort: int32(p.Num()), HostPort: int32(hp), Protocol: string(p.Proto())})
			}
		}
	case modeHost:
		for p := range in.Config.ExposedPorts {
			out = append(out, runtime.Binding{BindIP: "0.0.0.0", ContainerPort: int32(p.Num()), HostPort: int32(p.Num()), Protocol: string(p.Proto())})
		}
	}
	sort.Slice(out, func(a, b int) bool {
		x, y := out[a], out[b]
		if x.ContainerPort != y.ContainerPort {
			return x.ContainerPort < y.ContainerPort
		}
		if x.Protocol != y.Protocol {
			return x.Protocol < y.Protocol
		}
		return x.BindIP < y.BindIP
	})
	return out
}

// address is the container's IPv4 address on its (single) network.
func address(in container.InspectResponse) string {
	if in.NetworkSettings == nil {
		return ""
	}
	names := make([]string, 0, len(in.NetworkSettings.Networks))
	for name := range in.NetworkSettings.Networks {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if ep := in.NetworkSettings.Networks[name]; ep != nil && ep.IPAddress.IsValid() {
			return ep.IPAddress.String()
		}
	}
	return ""
}

// parseTime parses Docker's timestamps; Docker's zero time is zero.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t
}
