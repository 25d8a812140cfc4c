package taskdef

import (
	"strconv"
	"strings"
	"testing"
)

// app returns the first container of in.
func app(in *RegisterInput) *ContainerDefinition { return &in.ContainerDefinitions[0] }

// port returns a port mapping of containerPort and, if given, hostPort.
func port(containerPort int32, hostPort ...int32) PortMapping {
	p := PortMapping{ContainerPort: new(containerPort)}
	if len(hostPort) > 0 {
		p.HostPort = new(hostPort[0])
	}
	return p
}

func TestValidateContainerIdentity(t *testing.T) {
	runValidationCases(t, []validationCase{
		{name: "name missing", mutate: func(in *RegisterInput) { app(in).Name = "" },
			code: clientErr, msg: "Container.name should not be null or empty."},
		{name: "name with space", mutate: func(in *RegisterInput) { app(in).Name = "my app" },
			code: clientErr, msg: "Container.name contains invalid characters."},
		{name: "name of 256 characters", mutate: func(in *RegisterInput) { app(in).Name = strings.Repeat("n", 256) },
			code: clientErr, msg: "Container.name contains invalid characters."},
		{name: "duplicate names", mutate: func(in *RegisterInput) {
			setContainers(in, 2)
			in.ContainerDefinitions[1].Name = "c0"
		}, code: clientErr, msg: "Container names must be unique within a Task Definition."},
		{name: "image missing", mutate: func(in *RegisterInput) { app(in).Image = "" },
			code: clientErr, msg: "Container.image should not be null or empty."},
		{name: "image blank", mutate: func(in *RegisterInput) { app(in).Image = "  " },
			code: clientErr, msg: "Container.image should not be null or empty."},
	})
}

func TestValidateContainerMemory(t *testing.T) {
	runValidationCases(t, []validationCase{
		{name: "no memory anywhere", mutate: func(in *RegisterInput) { app(in).Memory = nil },
			code: clientErr, msg: "Invalid setting for container 'app'. At least one of 'memory' or 'memoryReservation' must be specified."},
		{name: "reservation only", mutate: func(in *RegisterInput) { app(in).Memory, app(in).MemoryReservation = nil, new(int32(128)) }},
		{name: "task memory only", mutate: func(in *RegisterInput) { app(in).Memory, in.Memory = nil, "1 GB" }},
		{name: "memory 6", mutate: func(in *RegisterInput) { app(in).Memory = new(int32(6)) }},
		{name: "memory 5", mutate: func(in *RegisterInput) { app(in).Memory = new(int32(5)) },
			code: clientErr, msg: "Invalid 'memory' setting for container 'app'. The minimum is 6 MiB."},
		{name: "memory 0", mutate: func(in *RegisterInput) { app(in).Memory = new(int32(0)) },
			code: clientErr, msg: "Invalid 'memory' setting for container 'app'. The minimum is 6 MiB."},
		{name: "reservation 5", mutate: func(in *RegisterInput) { app(in).MemoryReservation = new(int32(5)) },
			code: clientErr, msg: "Invalid 'memoryReservation' setting for container 'app'. The minimum is 6 MiB."},
		{name: "reservation equal to memory", mutate: func(in *RegisterInput) { app(in).MemoryReservation = new(int32(512)) }},
		{name: "reservation above memory", mutate: func(in *RegisterInput) { app(in).MemoryReservation = new(int32(513)) },
			code: clientErr, msg: "Invalid setting for container 'app'. 'memoryReservation' must be less than or equal to 'memory'."},
		{name: "negative cpu", mutate: func(in *RegisterInput) { app(in).CPU = new(int32(-1)) },
			code: clientErr, msg: "Invalid 'cpu' setting for container 'app'."},
	})
}

func TestValidatePortMappings(t *testing.T) {
	awsvpc := func(in *RegisterInput) { in.NetworkMode = "awsvpc" }
	runValidationCases(t, []validationCase{
		{name: "bridge static", mutate: func(in *RegisterInput) { app(in).PortMappings = []PortMapping{port(80, 8080)} }},
		{name: "bridge dynamic", mutate: func(in *RegisterInput) { app(in).PortMappings = []PortMapping{port(80), port(443, 0)} }},
		{name: "container port missing", mutate: func(in *RegisterInput) { app(in).PortMappings = []PortMapping{{HostPort: new(int32(80))}} },
			code: clientErr, msg: "Invalid 'containerPort' setting for container 'app'."},
		{name: "container port 0", mutate: func(in *RegisterInput) { app(in).PortMappings = []PortMapping{port(0)} },
			code: clientErr, msg: "Invalid 'containerPort' setting for container 'app'."},
		{name: "container port 65535", mutate: func(in *RegisterInput) { app(in).PortMappings = []PortMapping{port(65535)} }},
		{name: "container port 65536", mutate: func(in *RegisterInput) { app(in).PortMappings = []PortMapping{port(65536)} },
			code: clientErr, msg: "Invalid 'containerPort' setting for container 'app'."},
		{name: "host port -1", mutate: func(in *RegisterInput) { app(in).PortMappings = []PortMapping{port(80, -1)} },
			code: clientErr, msg: "Invalid 'hostPort' setting for container 'app'."},
		{name: "host port 65536", mutate: func(in *RegisterInput) { app(in).PortMappings = []PortMapping{port(80, 65536)} },
			code: clientErr, msg: "Invalid 'hostPort' setting for container 'app'."},
		{name: "protocol", mutate: func(in *RegisterInput) {
			app(in).PortMappings = []PortMapping{{ContainerPort: new(int32(80)), Protocol: "sctp"}}
		},
			code: invalidErr, msg: "1 validation error detected: Value 'sctp' at 'containerDefinitions.1.member.portMappings.1.member.protocol' failed to satisfy constraint: Member must satisfy enum value set: [tcp, udp]"},
		{name: "app protocol", mutate: func(in *RegisterInput) {
			app(in).PortMappings = []PortMapping{{ContainerPort: new(int32(80)), AppProtocol: "ftp"}}
		},
			code: invalidErr, msg: "1 validation error detected: Value 'ftp' at 'containerDefinitions.1.member.portMappings.1.member.appProtocol' failed to satisfy constraint: Member must satisfy enum value set: [http, http2, grpc]"},
		{name: "awsvpc host port equal", mutate: func(in *RegisterInput) { awsvpc(in); app(in).PortMappings = []PortMapping{port(80, 80)} }},
		{name: "awsvpc host port absent", mutate: func(in *RegisterInput) { awsvpc(in); app(in).PortMappings = []PortMapping{port(80)} }},
		{name: "awsvpc host port 0", mutate: func(in *RegisterInput) { awsvpc(in); app(in).PortMappings = []PortMapping{port(80, 0)} }},
		{name: "awsvpc host port differs", mutate: func(in *RegisterInput) { awsvpc(in); app(in).PortMappings = []PortMapping{port(80, 8080)} },
			code: clientErr, msg: "When networkMode=awsvpc, the host ports and container ports in port mappings must match."},
		{name: "host mode host port differs", mutate: func(in *RegisterInput) {
			in.NetworkMode = "host"
			app(in).PortMappings = []PortMapping{port(80, 8080)}
		}, code: clientErr, msg: "When networkMode=host, the host ports and container ports in port mappings must match."},
		{name: "none mode", mutate: func(in *RegisterInput) { in.NetworkMode = "none"; app(in).PortMappings = []PortMapping{port(80)} },
			code: clientErr, msg: "Port mappings are not supported when networkMode=none."},
		{name: "duplicate host port across containers", mutate: func(in *RegisterInput) {
			setContainers(in, 2)
			in.ContainerDefinitions[0].PortMappings = []PortMapping{port(80, 8080)}
			in.ContainerDefinitions[1].PortMappings = []PortMapping{port(81, 8080)}
		}, code: clientErr, msg: "Invalid 'hostPort' setting for container 'c1'. Host port 8080/tcp is already used by container 'c0'."},
		{name: "same host port other protocol", mutate: func(in *RegisterInput) {
			app(in).PortMappings = []PortMapping{port(53, 53), {ContainerPort: new(int32(53)), HostPort: new(int32(53)), Protocol: "udp"}}
		}},
		{name: "duplicate container port in awsvpc", mutate: func(in *RegisterInput) {
			awsvpc(in)
			setContainers(in, 2)
			in.ContainerDefinitions[0].PortMappings = []PortMapping{port(80)}
			in.ContainerDefinitions[1].PortMappings = []PortMapping{port(80)}
		}, code: clientErr, msg: "Invalid 'hostPort' setting for container 'c1'. Host port 80/tcp is already used by container 'c0'."},
		{name: "two dynamic ports", mutate: func(in *RegisterInput) {
			setContainers(in, 2)
			in.ContainerDefinitions[0].PortMappings = []PortMapping{port(80)}
			in.ContainerDefinitions[1].PortMappings = []PortMapping{port(80)}
		}},
		{name: "port name", mutate: func(in *RegisterInput) {
			app(in).PortMappings = []PortMapping{{ContainerPort: new(int32(80)), Name: "web-80_tcp"}}
		}},
		{name: "port name with capital", mutate: func(in *RegisterInput) {
			app(in).PortMappings = []PortMapping{{ContainerPort: new(int32(80)), Name: "Web"}}
		},
			code: clientErr, msg: "Invalid 'portMappings' setting for container 'app'. The name 'Web' contains invalid characters."},
		{name: "port range", mutate: func(in *RegisterInput) { app(in).PortMappings = []PortMapping{{ContainerPortRange: "8000-8100"}} }},
		{name: "port range reversed", mutate: func(in *RegisterInput) { app(in).PortMappings = []PortMapping{{ContainerPortRange: "8100-8000"}} },
			code: clientErr, msg: "Invalid 'containerPortRange' setting for container 'app'."},
		{name: "port range with host port", mutate: func(in *RegisterInput) {
			app(in).PortMappings = []PortMapping{{ContainerPortRange: "8000-8100", HostPort: new(int32(8000))}}
		}, code: clientErr, msg: "Invalid 'containerPortRange' setting for container 'app'."},
		{name: "port range in host mode", mutate: func(in *RegisterInput) {
			in.NetworkMode = "host"
			app(in).PortMappings = []PortMapping{{ContainerPortRange: "8000-8100"}}
		}, code: clientErr, msg: "Invalid 'containerPortRange' setting for container 'app'."},
	})
}

func TestValidateNetworkingSettings(t *testing.T) {
	runValidationCases(t, []validationCase{
		{name: "links in bridge", mutate: func(in *RegisterInput) {
			setContainers(in, 2)
			in.ContainerDefinitions[0].Links = []string{"c1:db"}
		}},
		{name: "links in awsvpc", mutate: func(in *RegisterInput) {
			in.NetworkMode = "awsvpc"
			setContainers(in, 2)
			in.ContainerDefinitions[0].Links = []string{"c1"}
		}, code: clientErr, msg: "Links are not supported when networkMode=awsvpc."},
		{name: "links in host", mutate: func(in *RegisterInput) {
			in.NetworkMode = "host"
			setContainers(in, 2)
			in.ContainerDefinitions[0].Links = []string{"c1"}
		}, code: clientErr, msg: "Links are not supported when networkMode=host."},
		{name: "link to missing container", mutate: func(in *RegisterInput) { app(in).Links = []string{"db:database"} },
			code: clientErr, msg: "Invalid 'links' setting for container 'app'. Container 'db' does not exist."},
		{name: "hostname in awsvpc", mutate: func(in *RegisterInput) { in.NetworkMode = "awsvpc"; app(in).Hostname = "web" },
			code: clientErr, msg: "hostname is not supported on container when networkMode=awsvpc."},
		{name: "hostname in bridge", mutate: func(in *RegisterInput) { app(in).Hostname = "web" }},
		{name: "extra hosts in awsvpc", mutate: func(in *RegisterInput) {
			in.NetworkMode = "awsvpc"
			app(in).ExtraHosts = []HostEntry{{Hostname: "db", IPAddress: "10.0.0.1"}}
		}, code: clientErr, msg: "extraHosts is not supported on container when networkMode=awsvpc."},
		{name: "extra host address missing", mutate: func(in *RegisterInput) { app(in).ExtraHosts = []HostEntry{{Hostname: "db"}} },
			code: invalidErr, msg: "1 validation error detected: Value null at 'containerDefinitions.1.member.extraHosts.1.member.ipAddress' failed to satisfy constraint: Member must not be null"},
	})
}

func TestValidateHealthCheck(t *testing.T) {
	hc := func(h HealthCheck) func(*RegisterInput) {
		return func(in *RegisterInput) { app(in).HealthCheck = &h }
	}
	cmd := []string{"CMD-SHELL", "curl -f http://localhost/ || exit 1"}
	bad := func(setting string, lo, hi int) string {
		return "Invalid 'healthCheck' setting for container 'app'. '" + setting + "' must be between " + strconv.Itoa(lo) + " and " + strconv.Itoa(hi) + "."
	}
	runValidationCases(t, []validationCase{
		{name: "command only", mutate: hc(HealthCheck{Command: cmd})},
		{name: "CMD", mutate: hc(HealthCheck{Command: []string{"CMD", "/bin/check"}})},
		{name: "command missing", mutate: hc(HealthCheck{Interval: new(int32(10))}),
			code: invalidErr, msg: "1 validation error detected: Value null at 'containerDefinitions.1.member.healthCheck.command' failed to satisfy constraint: Member must not be null"},
		{name: "command empty", mutate: hc(HealthCheck{Command: []string{}}),
			code: clientErr, msg: "Invalid 'healthCheck' setting for container 'app'. The command must start with CMD or CMD-SHELL."},
		{name: "command without CMD", mutate: hc(HealthCheck{Command: []string{"curl", "localhost"}}),
			code: clientErr, msg: "Invalid 'healthCheck' setting for container 'app'. The command must start with CMD or CMD-SHELL."},
		{name: "bounds low", mutate: hc(HealthCheck{Command: cmd, Interval: new(int32(5)), Timeout: new(int32(2)), Retries: new(int32(1)), StartPeriod: new(int32(0))})},
		{name: "bounds high", mutate: hc(HealthCheck{Command: cmd, Interval: new(int32(300)), Timeout: new(int32(60)), Retries: new(int32(10)), StartPeriod: new(int32(300))})},
		{name: "interval 4", mutate: hc(HealthCheck{Command: cmd, Interval: new(int32(4))}), code: clientErr, msg: bad("interval", 5, 300)},
		{name: "interval 301", mutate: hc(HealthCheck{Command: cmd, Interval: new(int32(301))}), code: clientErr, msg: bad("interval", 5, 300)},
		{name: "timeout 1", mutate: hc(HealthCheck{Command: cmd, Timeout: new(int32(1))}), code: clientErr, msg: bad("timeout", 2, 60)},
		{name: "timeout 61", mutate: hc(HealthCheck{Command: cmd, Timeout: new(int32(61))}), code: clientErr, msg: bad("timeout", 2, 60)},
		{name: "retries 0", mutate: hc(HealthCheck{Command: cmd, Retries: new(int32(0))}), code: clientErr, msg: bad("retries", 1, 10)},
		{name: "retries 11", mutate: hc(HealthCheck{Command: cmd, Retries: new(int32(11))}), code: clientErr, msg: bad("retries", 1, 10)},
		{name: "start period -1", mutate: hc(HealthCheck{Command: cmd, StartPeriod: new(int32(-1))}), code: clientErr, msg: bad("startPeriod", 0, 300)},
		{name: "start period 301", mutate: hc(HealthCheck{Command: cmd, StartPeriod: new(int32(301))}), code: clientErr, msg: bad("startPeriod", 0, 300)},
	})
}
