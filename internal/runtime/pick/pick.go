// Package pick opens the runtime an agent should use: "docker" (Docker
// Engine), "process" (host processes), or "auto", which is docker when an
// engine answers and process otherwise.
package pick

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"tide/internal/runtime"
	"tide/internal/runtime/docker"
	"tide/internal/runtime/process"
)

// Open returns the runtime named kind, keeping its state under dir. owner
// (the agent's host ID) keeps agents that share a Docker engine apart; auth
// (may be nil) gives the docker runtime its registry credentials.
func Open(ctx context.Context, kind, dir, owner string, auth docker.AuthFunc, log *slog.Logger) (runtime.Runtime, error) {
	opts := []docker.Option{docker.WithOwner(owner)}
	if auth != nil {
		opts = append(opts, docker.WithAuth(auth))
	}
	switch kind {
	case "docker":
		return docker.New(ctx, log, opts...)
	case "process":
		return process.New(filepath.Join(dir, "process"), log)
	case "auto", "":
		rt, err := docker.New(ctx, log, opts...)
		if err == nil {
			return rt, nil
		}
		log.Info("docker engine unreachable, using the process runtime", "err", err)
		return process.New(filepath.Join(dir, "process"), log)
	}
	return nil, fmt.Errorf("unknown runtime %q: use docker, process or auto", kind)
}

// Close releases what a runtime holds in this process (health checkers, log
// followers); the tasks it runs keep running.
func Close(rt runtime.Runtime) {
	switch c := rt.(type) {
	case interface{ Close() error }:
		c.Close()
	case interface{ Close() }:
		c.Close()
	}
}
