// Command tide is the Tide server: the AWS container stack (ECS, ECR, ALB,
// Application Auto Scaling, CloudWatch, SNS) as one binary that runs real
// containers on your own machines.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"tide/internal/ecs"
	"tide/internal/server"
)

const usage = `Usage: tide <command> [flags]

Commands:
  server    run a Tide server (the AWS APIs on one edge port, and a local agent)
  agent     run an agent: this host joins a cluster as a container instance
  image     build an image from a static binary and push it to Tide's registry
  version   print the version

Run 'tide server -h' or 'tide agent -h' for their flags.
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "server":
		err = runServer(os.Args[2:])
	case "agent":
		err = runAgent(os.Args[2:])
	case "image":
		err = runImage(os.Args[2:])
	case "version", "--version", "-v":
		fmt.Println("tide", version)
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "tide: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "tide:", err)
		}
		os.Exit(1)
	}
}

func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "tide")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "tide")
	}
	return ".tide"
}

func runServer(args []string) error {
	fs := flag.NewFlagSet("tide server", flag.ContinueOnError)
	dataDir := fs.String("data-dir", defaultDataDir(), "directory for the embedded etcd, credentials and registry blobs")
	listen := fs.String("listen", "127.0.0.1:4566", "edge address (host:port) for every AWS API")
	endpoints := fs.String("etcd-endpoints", "", "comma-separated external etcd endpoints; empty runs an embedded etcd")
	region := fs.String("region", "us-east-1", "AWS region that ARNs and signatures use")
	account := fs.String("account-id", "000000000000", "AWS account ID that ARNs use")
	akid := fs.String("access-key-id", os.Getenv("TIDE_ACCESS_KEY_ID"), "accepted access key ID (env TIDE_ACCESS_KEY_ID); empty: stored or generated")
	secret := fs.String("secret-access-key", os.Getenv("TIDE_SECRET_ACCESS_KEY"), "accepted secret access key (env TIDE_SECRET_ACCESS_KEY)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	localAgent := fs.Bool("local-agent", true, "run an agent in the server: capacity for FARGATE tasks on this host")
	rt := fs.String("runtime", "auto", "the local agent's runtime: docker, process, or auto (docker when reachable)")
	localCPU := fs.Int("local-agent-cpu", 0, "CPU units the local agent offers to FARGATE tasks (1024 per core); 0: the host's")
	localMem := fs.Int("local-agent-memory", 0, "MiB of memory the local agent offers; 0: the host's")
	hbTimeout := fs.Duration("agent-heartbeat-timeout", 15*time.Second, "silence after which an agent counts as disconnected and its tasks are replaced")
	retention := fs.Duration("stopped-task-retention", time.Hour, "how long stopped tasks stay visible in DescribeTasks")
	anonPull := fs.Bool("registry-anonymous-pull", false, "let clients without credentials pull from the registry")
	lbBind := fs.String("lb-bind", "127.0.0.1", "address the load balancers' listeners bind (0.0.0.0: every interface)")
	lifecycleEvery := fs.Duration("lifecycle-interval", time.Minute, "how often ECR lifecycle policies are applied")
	smtpAddr := fs.String("smtp-addr", "", "SMTP server (host:port) for SNS email subscriptions; empty refuses them")
	timing := fs.String("timing", "fast", "timing profile: fast (one-second metrics and alarm periods) or aws (AWS's one-minute periods and default cooldowns)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log, err := newLogger(*logLevel)
	if err != nil {
		return err
	}
	if len(*account) != 12 || strings.Trim(*account, "0123456789") != "" {
		return fmt.Errorf("--account-id must be 12 digits, got %q", *account)
	}
	var eps []string
	if *endpoints != "" {
		eps = strings.Split(*endpoints, ",")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	srv, err := server.Start(ctx, server.Config{
		DataDir: *dataDir, Listen: *listen, EtcdEndpoints: eps, Region: *region, AccountID: *account,
		Credentials: server.Credentials{AccessKeyID: *akid, SecretAccessKey: *secret}, Log: log,
		LocalAgent: *localAgent, Runtime: *rt, LocalCPU: int32(*localCPU), LocalMemory: int32(*localMem),
		AnonymousPull: *anonPull, LifecycleInterval: *lifecycleEvery, LBBindHost: *lbBind, Timing: *timing, SMTPAddr: *smtpAddr,
		Agent: ecs.AgentConfig{HeartbeatTimeout: *hbTimeout, StoppedTaskRetention: *retention},
	})
	if err != nil {
		return err
	}
	log.Info("tide server ready", "url", srv.URL(), "data_dir", *dataDir, "startup", time.Since(start).Round(time.Millisecond))
	<-ctx.Done()
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

func newLogger(level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}
