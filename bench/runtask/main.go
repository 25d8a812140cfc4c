// Command runtask is the helper of bench/runtask.sh: it times RunTask until
// the task is RUNNING (against `docker run` of the same image, interleaved),
// runs and deletes services through the AWS SDK for Go v2, and samples the
// RSS and CPU time of processes from /proc. It talks only to the endpoint it
// is given (loopback in runtask.sh) and to the local Docker CLI.
//
//	runtask freeport
//	runtask latency  -endpoint URL -cluster C -runtime docker|process -image IMG [-app PATH] [-n 20 -warmup 2 -peers -network NET -label K=V] -out DIR
//	runtask agents   -endpoint URL -cluster C -want N
//	runtask service  -endpoint URL -cluster C -name S -count N -runtime docker|process -image IMG -marker M
//	runtask delete   -endpoint URL -cluster C -name S
//	runtask scale    -endpoint URL -cluster C -name S -count N
//	runtask taskversions -endpoint URL -cluster C -name S
//	runtask sample   -pids name=PID,... -window 30s
//	runtask marked   -marker M [-kill]
//	runtask dockerrss -cluster C
//	runtask benchparse FILE
//
// Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

const region = "us-east-1"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: runtask freeport|latency|agents|service|delete|sample|marked|dockerrss|benchparse [flags]")
		os.Exit(2)
	}
	var err error
	args := os.Args[2:]
	switch os.Args[1] {
	case "freeport":
		err = freeport()
	case "latency":
		err = latency(args)
	case "agents":
		err = agents(args)
	case "service":
		err = service(args)
	case "delete":
		err = deleteService(args)
	case "scale":
		err = scale(args)
	case "taskversions":
		err = taskVersions(args)
	case "sample":
		err = sample(args)
	case "marked":
		err = marked(args)
	case "dockerrss":
		err = dockerRSS(args)
	case "benchparse":
		err = benchparse(args)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "runtask:", err)
		os.Exit(1)
	}
}

func client(endpoint string) *ecs.Client {
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConnsPerHost = 8
	})
	return ecs.NewFromConfig(aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""),
		HTTPClient:  hc,
	}, func(o *ecs.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

func freeport() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer l.Close()
	fmt.Println(l.Addr().(*net.TCPAddr).Port)
	return nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// pct is the p-th percentile (0–100) of xs, linearly interpolated between
// the closest ranks (numpy's default): p50 of 20 samples is the mean of the
// 10th and 11th.
func pct(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	r := p / 100 * float64(len(s)-1)
	lo := int(math.Floor(r))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (s[hi]-s[lo])*(r-float64(lo))
}

var awsvpc = &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"subnet-local"}}}

// latency registers a FARGATE awsvpc task definition of the image and, n
// times (after warmup untimed rounds), runs a task and polls DescribeTasks
// every 20 ms until it is RUNNING, then stops it and waits until it is
// STOPPED (a task that stops before it runs is counted in failed-starts
// and its round run again). With -peers, each round also times `docker run -d --rm` of the
// same image on the default bridge and on -network, until `docker inspect`
// reports it Running. Writes DIR/samples.txt (kind round ms) and prints
// "tide-RUNTIME-failed-starts N", then one line per kind: "kind n p50 p90
// min max" (ms).
func latency(args []string) error {
	fs := flag.NewFlagSet("latency", flag.ExitOnError)
	endpoint := fs.String("endpoint", "", "ECS endpoint URL")
	cluster := fs.String("cluster", "", "cluster (created)")
	rt := fs.String("runtime", "docker", "the server's local agent runtime: docker or process")
	image := fs.String("image", "", "image of the task (docker)")
	app := fs.String("app", "", "host path of the same program (process runtime's entryPoint)")
	n := fs.Int("n", 20, "timed rounds")
	warmup := fs.Int("warmup", 2, "untimed rounds first")
	peers := fs.Bool("peers", false, "also time docker run -d of the image, interleaved")
	network := fs.String("network", "tide-awsvpc", "second docker run peer joins this network (empty: skip)")
	label := fs.String("label", "", "label (K=V) on peer containers, for cleanup")
	marker := fs.String("marker", "", "value of TIDE_BENCH_RUN in the task's environment")
	out := fs.String("out", "", "directory for samples.txt")
	maxFailures := fs.Int("max-failures", 5, "tasks that may fail to start (each is retried) before giving up")
	fs.Parse(args)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	c := client(*endpoint)
	if _, err := c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: cluster}); err != nil {
		return fmt.Errorf("CreateCluster: %w", err)
	}
	cd := types.ContainerDefinition{
		Name: aws.String("app"), Image: image, Essential: aws.Bool(true),
		Environment: []types.KeyValuePair{{Name: aws.String("TIDE_BENCH_RUN"), Value: marker}},
	}
	if *rt == "process" {
		cd.EntryPoint = []string{*app}
		cd.Command = []string{"-port", "0"}
	}
	td, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("rt-latency"), NetworkMode: types.NetworkModeAwsvpc,
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		Cpu:                     aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []types.ContainerDefinition{cd},
	})
	if err != nil {
		return fmt.Errorf("RegisterTaskDefinition: %w", err)
	}
	tdArn := td.TaskDefinition.TaskDefinitionArn
	f, err := os.Create(filepath.Join(*out, "samples.txt"))
	if err != nil {
		return err
	}
	defer f.Close()
	samples := map[string][]float64{}
	var kinds []string
	add := func(kind string, round int, v float64) {
		fmt.Fprintf(f, "%s %d %.1f\n", kind, round, v)
		if round < 0 {
			return // warmup
		}
		if _, ok := samples[kind]; !ok {
			kinds = append(kinds, kind)
		}
		samples[kind] = append(samples[kind], v)
	}
	failures := 0
	for i := -*warmup; i < *n; i++ {
		// Tide: RunTask → RUNNING.
		t0 := time.Now()
		run, err := c.RunTask(ctx, &ecs.RunTaskInput{
			Cluster: cluster, TaskDefinition: tdArn, LaunchType: types.LaunchTypeFargate, NetworkConfiguration: awsvpc,
		})
		if err != nil {
			return fmt.Errorf("round %d: RunTask: %w", i, err)
		}
		if len(run.Tasks) != 1 {
			return fmt.Errorf("round %d: RunTask returned %d tasks, failures %+v", i, len(run.Tasks), run.Failures)
		}
		returned := time.Since(t0)
		arn := run.Tasks[0].TaskArn
		task, err := waitTask(ctx, c, *cluster, *arn, "RUNNING", 60*time.Second, 20*time.Millisecond)
		if err != nil && aws.ToString(task.LastStatus) == "STOPPED" && failures < *maxFailures {
			// A task that failed to start is a finding, not the end of
			// the run: count it, say why, and run the round again.
			failures++
			fmt.Fprintf(os.Stderr, "round %d: %v\n", i, err)
			fmt.Fprintf(f, "failed-start %d %.1f %s: %s\n", i, ms(time.Since(t0)), task.StopCode, aws.ToString(task.StoppedReason))
			i--
			continue
		}
		if err != nil {
			return fmt.Errorf("round %d: %w", i, err)
		}
		running := time.Since(t0)
		add("tide-"+*rt+"-runtask-returned", i, ms(returned))
		add("tide-"+*rt+"-running", i, ms(running))
		if *rt == "docker" && len(task.Containers) > 0 && task.Containers[0].RuntimeId != nil {
			// Where the time went: the engine's own record of the container.
			if created, started, err := dockerTimes(ctx, *task.Containers[0].RuntimeId); err == nil {
				add("tide-docker-container-created", i, ms(created.Sub(t0)))
				add("tide-docker-container-started", i, ms(started.Sub(t0)))
			}
		}
		ts := time.Now()
		if _, err := c.StopTask(ctx, &ecs.StopTaskInput{Cluster: cluster, Task: arn}); err != nil {
			return fmt.Errorf("round %d: StopTask: %w", i, err)
		}
		stopped, err := waitTask(ctx, c, *cluster, *arn, "STOPPED", 60*time.Second, 20*time.Millisecond)
		if err != nil {
			return fmt.Errorf("round %d: %w", i, err)
		}
		add("tide-"+*rt+"-stoptask-to-stopped", i, ms(time.Since(ts)))
		// Is the task's container really gone when the API says STOPPED?
		// (1 = still running then, 0 = not; docker only.) And did the
		// stopped task report its container's exit code?
		if *rt == "docker" && len(task.Containers) > 0 && task.Containers[0].RuntimeId != nil {
			o, _ := exec.CommandContext(ctx, "docker", "inspect", "-f", "{{.State.Running}}", *task.Containers[0].RuntimeId).Output()
			add("tide-docker-container-running-at-STOPPED", i, b2f(strings.TrimSpace(string(o)) == "true"))
		}
		add("tide-"+*rt+"-STOPPED-without-exitCode", i, b2f(len(stopped.Containers) == 0 || stopped.Containers[0].ExitCode == nil))

		if !*peers {
			continue
		}
		nets := []string{""}
		if *network != "" {
			nets = append(nets, *network)
		}
		for _, nw := range nets {
			kind := "docker-run"
			argv := []string{"run", "-d", "--rm"}
			if *label != "" {
				argv = append(argv, "--label", *label)
			}
			if nw != "" {
				kind += "-net"
				argv = append(argv, "--network", nw)
			}
			argv = append(argv, *image)
			t0 := time.Now()
			o, err := exec.CommandContext(ctx, "docker", argv...).CombinedOutput()
			if err != nil {
				return fmt.Errorf("round %d: docker %s: %v: %s", i, strings.Join(argv, " "), err, o)
			}
			returned := time.Since(t0)
			id := strings.TrimSpace(string(o))
			for {
				o, err := exec.CommandContext(ctx, "docker", "inspect", "-f", "{{.State.Running}}", id).Output()
				if err == nil && strings.TrimSpace(string(o)) == "true" {
					break
				}
				if time.Since(t0) > 60*time.Second {
					return fmt.Errorf("round %d: container %s not running after 60 s", i, id)
				}
				time.Sleep(20 * time.Millisecond)
			}
			add(kind+"-returned", i, ms(returned))
			add(kind+"-running", i, ms(time.Since(t0)))
			exec.CommandContext(ctx, "docker", "rm", "-f", id).Run()
		}
	}
	fmt.Fprintln(f)
	fmt.Printf("tide-%s-failed-starts %d\n", *rt, failures)
	for _, k := range kinds {
		xs := samples[k]
		fmt.Printf("%s %d %.1f %.1f %.1f %.1f\n", k, len(xs), pct(xs, 50), pct(xs, 90), slices.Min(xs), slices.Max(xs))
	}
	return nil
}

// dockerTimes is a container's Created and State.StartedAt, as the engine
// recorded them.
func dockerTimes(ctx context.Context, id string) (created, started time.Time, err error) {
	o, err := exec.CommandContext(ctx, "docker", "inspect", "-f", "{{.Created}} {{.State.StartedAt}}", id).Output()
	if err != nil {
		return
	}
	fields := strings.Fields(string(o))
	if len(fields) != 2 {
		return created, started, fmt.Errorf("docker inspect: %q", o)
	}
	if created, err = time.Parse(time.RFC3339Nano, fields[0]); err != nil {
		return
	}
	started, err = time.Parse(time.RFC3339Nano, fields[1])
	return
}

// waitTask polls DescribeTasks every interval until the task's lastStatus
// is want (a STOPPED task that should run is an error).
func waitTask(ctx context.Context, c *ecs.Client, cluster, arn, want string, timeout, interval time.Duration) (types.Task, error) {
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		out, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: []string{arn}})
		if err != nil {
			return types.Task{}, fmt.Errorf("DescribeTasks: %w", err)
		}
		if len(out.Tasks) == 1 {
			t := out.Tasks[0]
			last = aws.ToString(t.LastStatus)
			if last == want {
				return t, nil
			}
			if last == "STOPPED" {
				return t, fmt.Errorf("task %s STOPPED (%s: %s) while waiting for %s", arn, t.StopCode, aws.ToString(t.StoppedReason), want)
			}
		}
		if time.Now().After(deadline) {
			return types.Task{}, fmt.Errorf("task %s not %s after %v (last %q)", arn, want, timeout, last)
		}
		time.Sleep(interval)
	}
}

// agents creates the cluster (agents retry their registration until it
// exists) and waits until it has want container instances with a connected
// agent.
func agents(args []string) error {
	fs := flag.NewFlagSet("agents", flag.ExitOnError)
	endpoint := fs.String("endpoint", "", "ECS endpoint URL")
	cluster := fs.String("cluster", "", "cluster")
	want := fs.Int("want", 1, "connected instances to wait for")
	timeout := fs.Duration("timeout", 60*time.Second, "give up after")
	fs.Parse(args)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	c := client(*endpoint)
	if _, err := c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: cluster}); err != nil {
		return fmt.Errorf("CreateCluster: %w", err)
	}
	for {
		got := 0
		l, err := c.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Cluster: cluster})
		if err == nil && len(l.ContainerInstanceArns) > 0 {
			d, err := c.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: cluster, ContainerInstances: l.ContainerInstanceArns})
			if err == nil {
				for _, ci := range d.ContainerInstances {
					if ci.AgentConnected && aws.ToString(ci.Status) == "ACTIVE" {
						got++
					}
				}
			}
		}
		if got >= *want {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d agents connected after %v", got, *want, *timeout)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// service registers an EC2 task definition (bridge, no ports, 16 MiB
// reserved, no CPU reserved) and creates a service of count tasks: on the
// process runtime `sleep 600`, on docker the image's own program. Every
// container's environment has TIDE_BENCH_RUN=marker. It waits until the
// service is stable (one deployment, runningCount = desiredCount) and prints
// "first_running_s stable_s".
func service(args []string) error {
	fs := flag.NewFlagSet("service", flag.ExitOnError)
	endpoint := fs.String("endpoint", "", "ECS endpoint URL")
	cluster := fs.String("cluster", "", "cluster (created)")
	name := fs.String("name", "svc", "service name")
	count := fs.Int("count", 20, "desired count")
	rt := fs.String("runtime", "process", "docker or process")
	image := fs.String("image", "", "image (docker; recorded on process)")
	marker := fs.String("marker", "", "value of TIDE_BENCH_RUN in every container")
	timeout := fs.Duration("timeout", 3*time.Minute, "give up after")
	fs.Parse(args)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	c := client(*endpoint)
	if _, err := c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: cluster}); err != nil {
		return fmt.Errorf("CreateCluster: %w", err)
	}
	cd := types.ContainerDefinition{
		Name: aws.String("app"), Image: image, Essential: aws.Bool(true), MemoryReservation: aws.Int32(16),
		Environment: []types.KeyValuePair{{Name: aws.String("TIDE_BENCH_RUN"), Value: marker}},
	}
	if *rt == "process" {
		cd.Command = []string{"sleep", "600"}
	}
	td, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("rt-" + *name), NetworkMode: types.NetworkModeBridge,
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityEc2},
		ContainerDefinitions:    []types.ContainerDefinition{cd},
	})
	if err != nil {
		return fmt.Errorf("RegisterTaskDefinition: %w", err)
	}
	t0 := time.Now()
	if _, err := c.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: cluster, ServiceName: name, TaskDefinition: td.TaskDefinition.TaskDefinitionArn,
		DesiredCount: aws.Int32(int32(*count)), LaunchType: types.LaunchTypeEc2,
	}); err != nil {
		return fmt.Errorf("CreateService: %w", err)
	}
	var first time.Duration
	var last types.Service
	for {
		d, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: cluster, Services: []string{*name}})
		if err != nil {
			return fmt.Errorf("DescribeServices after %v: %w", time.Since(t0), err)
		}
		if len(d.Services) == 1 {
			last = d.Services[0]
			if first == 0 && last.RunningCount > 0 {
				first = time.Since(t0)
			}
			if len(last.Deployments) == 1 && last.RunningCount == last.DesiredCount && last.DesiredCount == int32(*count) {
				fmt.Printf("%.3f %.3f\n", first.Seconds(), time.Since(t0).Seconds())
				return nil
			}
		}
		if ctx.Err() != nil {
			return fmt.Errorf("service %s not stable after %v: running %d pending %d desired %d, %d deployments", *name, *timeout,
				last.RunningCount, last.PendingCount, last.DesiredCount, len(last.Deployments))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// scale sets a service's desired count and waits until it is stable (one
// deployment, runningCount = desiredCount); prints the seconds it took.
func scale(args []string) error {
	fs := flag.NewFlagSet("scale", flag.ExitOnError)
	endpoint := fs.String("endpoint", "", "ECS endpoint URL")
	cluster := fs.String("cluster", "", "cluster")
	name := fs.String("name", "svc", "service name")
	count := fs.Int("count", 20, "desired count")
	timeout := fs.Duration("timeout", 3*time.Minute, "give up after")
	fs.Parse(args)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	c := client(*endpoint)
	t0 := time.Now()
	if _, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: cluster, Service: name, DesiredCount: aws.Int32(int32(*count))}); err != nil {
		return fmt.Errorf("UpdateService: %w", err)
	}
	for {
		d, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: cluster, Services: []string{*name}})
		if err != nil {
			return fmt.Errorf("DescribeServices after %v: %w", time.Since(t0), err)
		}
		if len(d.Services) == 1 {
			s := d.Services[0]
			if len(s.Deployments) == 1 && s.RunningCount == s.DesiredCount && s.DesiredCount == int32(*count) {
				fmt.Printf("%.3f\n", time.Since(t0).Seconds())
				return nil
			}
		}
		if ctx.Err() != nil {
			return fmt.Errorf("service %s not stable at %d after %v", *name, *count, *timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// deleteService deletes a service with force and waits until every task it
// had is STOPPED. Prints "tasks seconds".
func deleteService(args []string) error {
	fs := flag.NewFlagSet("delete", flag.ExitOnError)
	endpoint := fs.String("endpoint", "", "ECS endpoint URL")
	cluster := fs.String("cluster", "", "cluster")
	name := fs.String("name", "svc", "service name")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after")
	fs.Parse(args)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	c := client(*endpoint)
	var arns []string
	p := ecs.NewListTasksPaginator(c, &ecs.ListTasksInput{Cluster: cluster, ServiceName: name})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("ListTasks: %w", err)
		}
		arns = append(arns, page.TaskArns...)
	}
	t0 := time.Now()
	if _, err := c.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: cluster, Service: name, Force: aws.Bool(true)}); err != nil {
		return fmt.Errorf("DeleteService: %w", err)
	}
	for {
		left := 0
		for chunk := range slices.Chunk(arns, 100) {
			d, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: cluster, Tasks: chunk})
			if err != nil {
				return fmt.Errorf("DescribeTasks: %w", err)
			}
			for _, t := range d.Tasks {
				if aws.ToString(t.LastStatus) != "STOPPED" {
					left++
				}
			}
		}
		if left == 0 {
			fmt.Printf("%d %.3f\n", len(arns), time.Since(t0).Seconds())
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%d of %d tasks not STOPPED %v after DeleteService", left, len(arns), *timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// taskVersions prints "tasks sum_of_versions" for a service's tasks: every
// write of a task record raises its version, so the difference over a window
// counts the writes.
func taskVersions(args []string) error {
	fs := flag.NewFlagSet("taskversions", flag.ExitOnError)
	endpoint := fs.String("endpoint", "", "ECS endpoint URL")
	cluster := fs.String("cluster", "", "cluster")
	name := fs.String("name", "svc", "service name")
	fs.Parse(args)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := client(*endpoint)
	var arns []string
	p := ecs.NewListTasksPaginator(c, &ecs.ListTasksInput{Cluster: cluster, ServiceName: name})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("ListTasks: %w", err)
		}
		arns = append(arns, page.TaskArns...)
	}
	var sum int64
	for chunk := range slices.Chunk(arns, 100) {
		d, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: cluster, Tasks: chunk})
		if err != nil {
			return fmt.Errorf("DescribeTasks: %w", err)
		}
		for _, t := range d.Tasks {
			sum += t.Version
		}
	}
	fmt.Printf("%d %d\n", len(arns), sum)
	return nil
}

// procStat is a process's utime+stime (clock ticks) and VmRSS (kB).
func procStat(pid int) (ticks int64, rssKB int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, errors.New("bad stat")
	}
	f := strings.Fields(s[i+2:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, 0, errors.New("short stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return ut + st, statusKB(pid, "VmRSS"), nil
}

func statusKB(pid int, key string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && k == key {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	return 0
}

// sample watches processes for a window and prints, for each, "name
// rss_mb_mean rss_mb_end cpu_ms" (VmRSS sampled every second; CPU is
// user+system time of all its threads over the window).
func sample(args []string) error {
	fs := flag.NewFlagSet("sample", flag.ExitOnError)
	pids := fs.String("pids", "", "name=PID,...")
	window := fs.Duration("window", 30*time.Second, "how long")
	hz := fs.Int("hz", 100, "clock ticks per second (getconf CLK_TCK)")
	fs.Parse(args)
	type proc struct {
		name   string
		pid    int
		t0     int64
		rssSum int64
		n      int64
		rss    int64
	}
	var ps []*proc
	for _, kv := range strings.Split(*pids, ",") {
		name, p, _ := strings.Cut(kv, "=")
		pid, err := strconv.Atoi(p)
		if err != nil {
			return fmt.Errorf("bad pid %q", kv)
		}
		t, _, err := procStat(pid)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		ps = append(ps, &proc{name: name, pid: pid, t0: t})
	}
	start := time.Now()
	for time.Since(start) < *window {
		time.Sleep(time.Second)
		for _, p := range ps {
			if _, rss, err := procStat(p.pid); err == nil {
				p.rssSum += rss
				p.n++
				p.rss = rss
			}
		}
	}
	el := time.Since(start)
	for _, p := range ps {
		t, _, err := procStat(p.pid)
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		cpu := float64(t-p.t0) / float64(*hz) * 1000 * window.Seconds() / el.Seconds()
		fmt.Printf("%s %.1f %.1f %.0f\n", p.name, float64(p.rssSum)/float64(max(p.n, 1))/1024, float64(p.rss)/1024, cpu)
	}
	return nil
}

// marked finds the processes whose environment has TIDE_BENCH_RUN=marker
// (a bench run's tasks and their supervisors) and prints "count rss_mb";
// with -kill it SIGKILLs them (cleanup of a run that went wrong).
func marked(args []string) error {
	fs := flag.NewFlagSet("marked", flag.ExitOnError)
	marker := fs.String("marker", "", "TIDE_BENCH_RUN value")
	kill := fs.Bool("kill", false, "SIGKILL them")
	fs.Parse(args)
	if *marker == "" {
		return errors.New("-marker is required")
	}
	want := []byte("TIDE_BENCH_RUN=" + *marker + "\x00")
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return err
	}
	n, rss := 0, int64(0)
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil || !bytes.Contains(env, want) {
			continue
		}
		n++
		rss += statusKB(pid, "VmRSS")
		if *kill {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	fmt.Printf("%d %.1f\n", n, float64(rss)/1024)
	return nil
}

// dockerRSS prints "containers rss_mb" for the running containers of a
// Tide cluster (label com.tide.cluster): the VmRSS of each container's main
// process as the host sees it. The engine's and shims' memory is not in it.
func dockerRSS(args []string) error {
	fs := flag.NewFlagSet("dockerrss", flag.ExitOnError)
	cluster := fs.String("cluster", "", "Tide cluster name")
	fs.Parse(args)
	o, err := exec.Command("docker", "ps", "-q", "--filter", "label=com.tide.cluster="+*cluster).Output()
	if err != nil {
		return err
	}
	ids := strings.Fields(string(o))
	var rss int64
	if len(ids) > 0 {
		o, err = exec.Command("docker", append([]string{"inspect", "-f", "{{.State.Pid}}"}, ids...)...).Output()
		if err != nil {
			return err
		}
		for _, p := range strings.Fields(string(o)) {
			if pid, err := strconv.Atoi(p); err == nil && pid > 0 {
				rss += statusKB(pid, "VmRSS")
			}
		}
	}
	fmt.Printf("%d %.1f\n", len(ids), float64(rss)/1024)
	return nil
}

var benchRE = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+.*?([0-9.e+]+) placements/s`)

// benchparse reads `go test -bench` output and prints, per benchmark, "name
// runs median min max" of its placements/s.
func benchparse(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: runtask benchparse FILE")
	}
	b, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	vals := map[string][]float64{}
	var names []string
	for _, line := range strings.Split(string(b), "\n") {
		m := benchRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			continue
		}
		if _, ok := vals[m[1]]; !ok {
			names = append(names, m[1])
		}
		vals[m[1]] = append(vals[m[1]], v)
	}
	if len(names) == 0 {
		return fmt.Errorf("%s: no placements/s lines", args[0])
	}
	for _, n := range names {
		xs := vals[n]
		fmt.Printf("%s %d %.0f %.0f %.0f\n", n, len(xs), pct(xs, 50), slices.Min(xs), slices.Max(xs))
	}
	return nil
}
