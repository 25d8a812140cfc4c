package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"tide/internal/agent"
	"tide/internal/runtime/pick"
)

// attrFlag collects repeated --attribute k=v flags.
type attrFlag map[string]string

func (a attrFlag) String() string { return fmt.Sprint(map[string]string(a)) }

func (a attrFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("attribute %q: want name=value", s)
	}
	a[k] = v
	return nil
}

func runAgent(args []string) error {
	fs := flag.NewFlagSet("tide agent", flag.ContinueOnError)
	serverURL := fs.String("server", "http://127.0.0.1:4566", "URL of a Tide server's edge")
	cluster := fs.String("cluster", "default", "cluster to join as a container instance")
	dataDir := fs.String("data-dir", filepath.Join(defaultDataDir(), "agent-ec2"), "the agent's state: host identity, task logs, process runtime state")
	region := fs.String("region", envOr("AWS_DEFAULT_REGION", "us-east-1"), "region the server signs for")
	akid := fs.String("access-key-id", envOr("TIDE_ACCESS_KEY_ID", os.Getenv("AWS_ACCESS_KEY_ID")), "access key ID (env TIDE_ACCESS_KEY_ID or AWS_ACCESS_KEY_ID)")
	secret := fs.String("secret-access-key", envOr("TIDE_SECRET_ACCESS_KEY", os.Getenv("AWS_SECRET_ACCESS_KEY")), "secret access key (env TIDE_SECRET_ACCESS_KEY or AWS_SECRET_ACCESS_KEY)")
	az := fs.String("availability-zone", "", "availability zone reported as ecs.availability-zone")
	rt := fs.String("runtime", "auto", "docker, process, or auto (docker when reachable)")
	cpu := fs.Int("cpu", 0, "CPU units to offer (1024 per core); 0: all of the host's")
	mem := fs.Int("memory", 0, "memory in MiB to offer; 0: all of the host's")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	attrs := attrFlag{}
	fs.Var(attrs, "attribute", "custom attribute name=value (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log, err := newLogger(*logLevel)
	if err != nil {
		return err
	}
	if *akid == "" || *secret == "" {
		return fmt.Errorf("credentials needed: --access-key-id and --secret-access-key (or TIDE_/AWS_ environment variables)")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	owner, err := agent.LoadHostID(*dataDir)
	if err != nil {
		return err
	}
	runtime, err := pick.Open(ctx, *rt, *dataDir, owner, agent.RegistryAuth(*serverURL, *akid, *secret, *region), log)
	if err != nil {
		return err
	}
	ag, err := agent.New(agent.Config{
		ServerURL: *serverURL, AccessKeyID: *akid, SecretAccessKey: *secret, Region: *region,
		Cluster: *cluster, StateDir: *dataDir, AvailabilityZone: *az, Attributes: attrs,
		CPU: int32(*cpu), Memory: int32(*mem), Runtime: runtime, Log: log,
	})
	if err != nil {
		return err
	}
	log.Info("tide agent starting", "server", *serverURL, "cluster", *cluster, "runtime", runtime.Name(), "host", ag.HostID())
	err = ag.Run(ctx)
	pick.Close(runtime)
	return err
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
