package process

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"tide/internal/runtime"
)

// defaultPath is the PATH of containers when neither they nor the agent
// set one: Docker's default.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// resolveCommand is the container's command line, EntryPoint then Command,
// with its program found as Docker's exec form finds it: a first word with
// a slash is a path (relative to the working directory), else it is looked
// up in the container's PATH.
func resolveCommand(c runtime.ContainerSpec, env []string) ([]string, error) {
	argv := append(slices.Clone(c.EntryPoint), c.Command...)
	if len(argv) == 0 {
		return nil, errors.New("no entryPoint or command: the process runtime runs a command, not an image")
	}
	prog, err := lookPath(argv[0], envValue(env, "PATH"), c.WorkingDirectory)
	if err != nil {
		return nil, err
	}
	argv[0] = prog
	return argv, nil
}

// lookPath finds the executable file for a command's first word.
func lookPath(file, path, dir string) (string, error) {
	if strings.Contains(file, "/") {
		if !filepath.IsAbs(file) && dir != "" {
			file = filepath.Join(dir, file)
		}
		if err := executable(file); err != nil {
			return "", fmt.Errorf("exec: %q: %w", file, err)
		}
		return file, nil
	}
	for _, d := range filepath.SplitList(path) {
		if !filepath.IsAbs(d) {
			continue // never the working directory by accident
		}
		if p := filepath.Join(d, file); executable(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("exec: %q: executable file not found in $PATH", file)
}

// executable reports why path cannot be executed, if it cannot.
func executable(path string) error {
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return errors.Unwrap(err) // the *PathError's cause; the caller names the file
	case fi.IsDir() || fi.Mode()&0o111 == 0:
		return errors.New("permission denied")
	}
	return nil
}

// containerEnv is the container's environment: PATH and HOME from the
// agent (or Docker's default PATH), then the container's own variables,
// then PORT, the host port of the first port mapping, and
// PORT_<containerPort> for every mapping. A later value of a name wins.
func containerEnv(c runtime.ContainerSpec, bindings []runtime.Binding) []string {
	env := []string{"PATH=" + cmp.Or(os.Getenv("PATH"), defaultPath)}
	if home := os.Getenv("HOME"); home != "" {
		env = append(env, "HOME="+home)
	}
	env = append(env, c.Env...)
	if len(bindings) > 0 {
		env = append(env, "PORT="+strconv.Itoa(int(bindings[0].HostPort)))
	}
	for _, b := range bindings {
		env = append(env, fmt.Sprintf("PORT_%d=%d", b.ContainerPort, b.HostPort))
	}
	return dedupEnv(env)
}

// dedupEnv keeps the last value of every name, in first-seen order.
func dedupEnv(env []string) []string {
	last := map[string]string{}
	var names []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if _, seen := last[k]; !seen {
			names = append(names, k)
		}
		last[k] = kv
	}
	out := make([]string, len(names))
	for i, k := range names {
		out[i] = last[k]
	}
	return out
}

// envValue is the value of name in env, "" when unset.
func envValue(env []string, name string) string {
	for _, kv := range slices.Backward(env) {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// allocatePorts gives the task a host port for every mapping: the fixed
// one it asks for, or a free one the kernel picks that no task holds.
func (r *Runtime) allocatePorts(arn string, mappings []runtime.PortMapping) ([]runtime.Binding, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []runtime.Binding
	for _, m := range mappings {
		proto := cmp.Or(strings.ToLower(m.Protocol), "tcp")
		port := m.HostPort
		if port == 0 {
			var err error
			if port, err = r.freePort(proto); err != nil {
				return nil, err
			}
		}
		r.ports[portKey{proto, port}] = arn
		out = append(out, runtime.Binding{BindIP: "0.0.0.0", ContainerPort: m.ContainerPort, HostPort: port, Protocol: proto})
	}
	return out, nil
}

// freePort asks the kernel for a port it can bind (listen on :0, close),
// skipping ports given to tasks whose processes may not have bound them.
// r.mu is held.
func (r *Runtime) freePort(proto string) (int32, error) {
	for range 20 {
		var port int
		switch proto {
		case "udp":
			c, err := net.ListenPacket("udp", ":0")
			if err != nil {
				return 0, fmt.Errorf("pick a host port: %w", err)
			}
			port = c.LocalAddr().(*net.UDPAddr).Port
			c.Close()
		default:
			l, err := net.Listen("tcp", ":0")
			if err != nil {
				return 0, fmt.Errorf("pick a host port: %w", err)
			}
			port = l.Addr().(*net.TCPAddr).Port
			l.Close()
		}
		if _, taken := r.ports[portKey{proto, int32(port)}]; !taken {
			return int32(port), nil
		}
	}
	return 0, errors.New("pick a host port: no free port found")
}

// user is the uid and gid the container runs as: only when the agent runs
// as root and User is numeric ("uid" or "uid:gid", gid 0 when not given,
// as Docker does with a numeric user). Otherwise the container runs as the
// agent's user, and that is logged.
func (r *Runtime) user(c runtime.ContainerSpec) *ids {
	if c.User == "" {
		return nil
	}
	u, g, hasGID := strings.Cut(c.User, ":")
	uid, err := strconv.ParseUint(u, 10, 32)
	var gid uint64
	if err == nil && hasGID {
		gid, err = strconv.ParseUint(g, 10, 32)
	}
	switch {
	case err != nil:
		r.log.Info("ignoring non-numeric user", "container", c.Name, "user", c.User)
		return nil
	case os.Geteuid() != 0:
		r.log.Info("ignoring user: the agent is not root", "container", c.Name, "user", c.User)
		return nil
	}
	return &ids{UID: uint32(uid), GID: uint32(gid)}
}

// credential is what the process of a container run as u gets.
func credential(u *ids) *syscall.Credential {
	if u == nil {
		return nil
	}
	return &syscall.Credential{Uid: u.UID, Gid: u.GID}
}
