package docker

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"tide/internal/runtime"
)

func TestResources(t *testing.T) {
	tests := []struct {
		name string
		c    runtime.ContainerSpec
		cpu  cpuPolicy
		want container.Resources
	}{
		{"no limits", runtime.ContainerSpec{}, cpuPolicy{ncpu: 4}, container.Resources{CPUShares: 2}},
		{"quarter core capped", runtime.ContainerSpec{CPU: 256}, cpuPolicy{ncpu: 4},
			container.Resources{CPUShares: 256, NanoCPUs: 250_000_000}},
		{"shares only", runtime.ContainerSpec{CPU: 256}, cpuPolicy{sharesOnly: true, ncpu: 4},
			container.Resources{CPUShares: 256}},
		{"tiny cap raised to docker's minimum", runtime.ContainerSpec{CPU: 2}, cpuPolicy{},
			container.Resources{CPUShares: 2, NanoCPUs: minNanoCPUs}},
		{"cap clamped to the host", runtime.ContainerSpec{CPU: 8192}, cpuPolicy{ncpu: 2},
			container.Resources{CPUShares: 8192, NanoCPUs: 2e9}},
		{"memory", runtime.ContainerSpec{Memory: 512, MemoryReservation: 128}, cpuPolicy{},
			container.Resources{CPUShares: 2, Memory: 512 << 20, MemorySwap: 512 << 20, MemoryReservation: 128 << 20}},
		{"soft memory only", runtime.ContainerSpec{MemoryReservation: 128}, cpuPolicy{},
			container.Resources{CPUShares: 2, MemoryReservation: 128 << 20}},
		{"ulimits", runtime.ContainerSpec{Ulimits: []runtime.Ulimit{{Name: "nofile", Soft: 10, Hard: 20}}}, cpuPolicy{},
			container.Resources{CPUShares: 2, Ulimits: []*container.Ulimit{{Name: "nofile", Soft: 10, Hard: 20}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, resources(tt.c, tt.cpu)); diff != "" {
				t.Errorf("resources (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPorts(t *testing.T) {
	pms := []runtime.PortMapping{{ContainerPort: 80}, {ContainerPort: 53, HostPort: 5353, Protocol: "udp"}}
	p80, p53 := network.MustParsePort("80/tcp"), network.MustParsePort("53/udp")
	tests := []struct {
		mode, netMode string
		exposed       network.PortSet
		bindings      network.PortMap
	}{
		{"bridge", "bridge", network.PortSet{p80: {}, p53: {}},
			network.PortMap{p80: {{HostPort: ""}}, p53: {{HostPort: "5353"}}}},
		{"host", "host", network.PortSet{p80: {}, p53: {}}, nil},
		{"awsvpc", "tide-awsvpc", nil, nil},
		{"awsvpc", "container:abc", nil, nil},
		{"none", "none", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.netMode, func(t *testing.T) {
			exposed, bindings, err := ports(pms, tt.mode, tt.netMode)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.exposed, exposed); diff != "" {
				t.Errorf("exposed (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.bindings, bindings, cmp.Comparer(func(a, b network.PortBinding) bool { return a == b })); diff != "" {
				t.Errorf("bindings (-want +got):\n%s", diff)
			}
		})
	}
	if _, _, err := ports([]runtime.PortMapping{{ContainerPort: 70000}}, "bridge", "bridge"); err == nil {
		t.Error("port 70000 accepted")
	}
}

func TestHealthConfig(t *testing.T) {
	cmd := []string{"CMD-SHELL", "curl -f localhost"}
	tests := []struct {
		name string
		in   *runtime.HealthCheck
		want *container.HealthConfig
	}{
		{"none", nil, nil},
		{"ecs defaults", &runtime.HealthCheck{Command: cmd},
			&container.HealthConfig{Test: cmd, Interval: 30 * time.Second, Timeout: 5 * time.Second, Retries: 3}},
		{"as given", &runtime.HealthCheck{Command: cmd, Interval: 5 * time.Second, Timeout: 2 * time.Second, Retries: 10, StartPeriod: time.Minute},
			&container.HealthConfig{Test: cmd, Interval: 5 * time.Second, Timeout: 2 * time.Second, Retries: 10, StartPeriod: time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, healthConfig(tt.in)); diff != "" {
				t.Errorf("health config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNames(t *testing.T) {
	tests := []struct{ arn, name, want string }{
		{"arn:aws:ecs:us-east-1:000000000000:task/default/0123abcd", "web", "tide-0123abcd-web"},
		{"arn:aws:ecs:us-east-1:000000000000:task/0123abcd", "web_1", "tide-0123abcd-web_1"},
		{"weird", "a b/c", "tide-weird-a-b-c"},
	}
	for _, tt := range tests {
		if got := containerName(tt.arn, tt.name); got != tt.want {
			t.Errorf("containerName(%q, %q) = %q, want %q", tt.arn, tt.name, got, tt.want)
		}
	}
}

func TestCeilSeconds(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want int64
	}{{0, 30}, {time.Second, 1}, {1500 * time.Millisecond, 2}, {time.Millisecond, 1}}
	for _, tt := range tests {
		if got := ceilSeconds(tt.d, defaultStopTimeout); got != tt.want {
			t.Errorf("ceilSeconds(%v) = %d, want %d", tt.d, got, tt.want)
		}
	}
}
