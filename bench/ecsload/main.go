// Command ecsload is the benchmark's helper (bench/run.sh drives it): it
// creates ECS fixtures through the AWS SDK for Go v2, writes wrk Lua scripts
// that replay one SigV4-signed request, parses wrk's output, and times cold
// starts. It talks only to the endpoint it is given (loopback in run.sh).
//
//	ecsload freeport
//	ecsload setup     -endpoint URL [-cluster bench -services 10]
//	ecsload wrkscript -endpoint URL -op DescribeServices|RegisterTaskDefinition -out FILE.lua
//	ecsload wrkparse  FILE
//	ecsload load      -endpoint URL [-taskdefs 10000 -families 1000 -services 1000 -clusters 10 -concurrency 16 -readonly]
//	ecsload coldstart -bin bin/tide -data-dir DIR [-runs 5 -fresh -cpus 0]
//	ecsload rss       -pid PID
//
// Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (moto
// accepts any).
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

const region = "us-east-1"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: ecsload freeport|setup|wrkscript|wrkparse|load|coldstart|rss [flags]")
		os.Exit(2)
	}
	var err error
	args := os.Args[2:]
	switch os.Args[1] {
	case "freeport":
		err = freeport()
	case "setup":
		err = setup(args)
	case "wrkscript":
		err = wrkscript(args)
	case "wrkparse":
		err = wrkparse(args)
	case "load":
		err = load(args)
	case "coldstart":
		err = coldstart(args)
	case "rss":
		err = rss(args)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ecsload:", err)
		os.Exit(1)
	}
}

func creds() aws.Credentials {
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" {
		id, secret = "testing", "testing"
	}
	return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}
}

func client(endpoint string, conns int) *ecs.Client {
	c := creds()
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = conns * 2
		t.MaxIdleConnsPerHost = conns * 2
	})
	return ecs.NewFromConfig(aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, ""),
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

// taskDefJSON is the AWS JSON body of the RegisterTaskDefinition used
// everywhere: one web container (bridge networking, EC2 launch type, so that
// moto needs no VPC fixture) with the usual trimmings (~1 KB).
func taskDefJSON(family string) []byte {
	return []byte(`{"family":"` + family + `","networkMode":"bridge","requiresCompatibilities":["EC2"],"cpu":"256","memory":"512",` +
		`"executionRoleArn":"arn:aws:iam::000000000000:role/ecsTaskExecutionRole",` +
		`"containerDefinitions":[{"name":"web","image":"public.ecr.aws/nginx/nginx:1.27","essential":true,"cpu":256,"memory":512,` +
		`"portMappings":[{"containerPort":8080,"hostPort":0,"protocol":"tcp"}],` +
		`"environment":[{"name":"APP_ENV","value":"production"},{"name":"LOG_LEVEL","value":"info"},{"name":"PORT","value":"8080"},{"name":"REGION","value":"us-east-1"},{"name":"FEATURE_FLAGS","value":"a,b,c"}],` +
		`"logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"/ecs/` + family + `","awslogs-region":"us-east-1","awslogs-stream-prefix":"web"}},` +
		`"healthCheck":{"command":["CMD-SHELL","curl -f http://localhost:8080/health || exit 1"],"interval":30,"timeout":5,"retries":3,"startPeriod":10}}]}`)
}

// registerInput is taskDefJSON as an SDK input.
func registerInput(family string) *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String(family),
		NetworkMode:             types.NetworkModeBridge,
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityEc2},
		Cpu:                     aws.String("256"),
		Memory:                  aws.String("512"),
		ExecutionRoleArn:        aws.String("arn:aws:iam::000000000000:role/ecsTaskExecutionRole"),
		ContainerDefinitions: []types.ContainerDefinition{{
			Name: aws.String("web"), Image: aws.String("public.ecr.aws/nginx/nginx:1.27"), Essential: aws.Bool(true),
			Cpu: 256, Memory: aws.Int32(512),
			PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080), HostPort: aws.Int32(0), Protocol: types.TransportProtocolTcp}},
			Environment: []types.KeyValuePair{
				{Name: aws.String("APP_ENV"), Value: aws.String("production")},
				{Name: aws.String("LOG_LEVEL"), Value: aws.String("info")},
				{Name: aws.String("PORT"), Value: aws.String("8080")},
				{Name: aws.String("REGION"), Value: aws.String("us-east-1")},
				{Name: aws.String("FEATURE_FLAGS"), Value: aws.String("a,b,c")},
			},
			LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": "/ecs/" + family, "awslogs-region": region, "awslogs-stream-prefix": "web",
			}},
			HealthCheck: &types.HealthCheck{
				Command:  []string{"CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"},
				Interval: aws.Int32(30), Timeout: aws.Int32(5), Retries: aws.Int32(3), StartPeriod: aws.Int32(10),
			},
		}},
	}
}

func serviceInput(cluster, name, taskDef string) *ecs.CreateServiceInput {
	return &ecs.CreateServiceInput{
		Cluster: aws.String(cluster), ServiceName: aws.String(name), TaskDefinition: aws.String(taskDef),
		DesiredCount: aws.Int32(2), LaunchType: types.LaunchTypeEc2,
	}
}

func serviceNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("svc-%02d", i)
	}
	return out
}

// setup creates the throughput fixture: a cluster, a task definition and n
// services running it.
func setup(args []string) error {
	fs := flag.NewFlagSet("setup", flag.ExitOnError)
	endpoint := fs.String("endpoint", "", "ECS endpoint URL")
	cluster := fs.String("cluster", "bench", "cluster name")
	n := fs.Int("services", 10, "services to create")
	fs.Parse(args)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := client(*endpoint, 4)
	if _, err := c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: cluster}); err != nil {
		return fmt.Errorf("CreateCluster: %w", err)
	}
	td, err := c.RegisterTaskDefinition(ctx, registerInput("bench-web"))
	if err != nil {
		return fmt.Errorf("RegisterTaskDefinition: %w", err)
	}
	for _, name := range serviceNames(*n) {
		if _, err := c.CreateService(ctx, serviceInput(*cluster, name, *td.TaskDefinition.TaskDefinitionArn)); err != nil {
			return fmt.Errorf("CreateService %s: %w", name, err)
		}
	}
	out, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: cluster, Services: serviceNames(*n)})
	if err != nil {
		return fmt.Errorf("DescribeServices: %w", err)
	}
	if len(out.Services) != *n || len(out.Failures) != 0 {
		return fmt.Errorf("DescribeServices found %d services and %d failures, want %d and 0", len(out.Services), len(out.Failures), *n)
	}
	fmt.Printf("fixture at %s: cluster %s, task definition %s, %d services\n", *endpoint, *cluster, *td.TaskDefinition.TaskDefinitionArn, *n)
	return nil
}

// wrkscript signs one request with the SDK's SigV4 signer and writes a wrk
// script that replays it (a signature stays valid for 15 minutes). It sends
// the request once first and checks the answer.
func wrkscript(args []string) error {
	fs := flag.NewFlagSet("wrkscript", flag.ExitOnError)
	endpoint := fs.String("endpoint", "", "ECS endpoint URL")
	op := fs.String("op", "DescribeServices", "DescribeServices or RegisterTaskDefinition")
	cluster := fs.String("cluster", "bench", "cluster (DescribeServices)")
	n := fs.Int("services", 10, "services per DescribeServices request")
	out := fs.String("out", "", "Lua script to write")
	fs.Parse(args)
	var body []byte
	switch *op {
	case "DescribeServices":
		body, _ = json.Marshal(map[string]any{"cluster": *cluster, "services": serviceNames(*n)})
	case "RegisterTaskDefinition":
		body = taskDefJSON("bench-rtd")
	default:
		return fmt.Errorf("unsupported op %q", *op)
	}
	req, err := http.NewRequest(http.MethodPost, strings.TrimRight(*endpoint, "/")+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113."+*op)
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds(), req, hex.EncodeToString(sum[:]), "ecs", region, time.Now()); err != nil {
		return err
	}
	var lua strings.Builder
	fmt.Fprintf(&lua, "-- %s against %s, signed %s (valid 15 minutes)\n", *op, *endpoint, req.Header.Get("X-Amz-Date"))
	lua.WriteString("wrk.method = \"POST\"\nwrk.path = \"/\"\n")
	fmt.Fprintf(&lua, "wrk.body = [==[%s]==]\n", body)
	keys := make([]string, 0, len(req.Header))
	for k := range req.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&lua, "wrk.headers[%q] = %q\n", k, req.Header.Get(k))
	}
	if err := os.WriteFile(*out, []byte(lua.String()), 0o644); err != nil {
		return err
	}
	// Send it once: the replayed request must succeed.
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s: signed request got %d: %s", *endpoint, resp.StatusCode, rb)
	}
	var check struct {
		Services       []json.RawMessage `json:"services"`
		Failures       []json.RawMessage `json:"failures"`
		TaskDefinition *struct {
			Revision int `json:"revision"`
		} `json:"taskDefinition"`
	}
	if err := json.Unmarshal(rb, &check); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	switch {
	case *op == "DescribeServices" && (len(check.Services) != *n || len(check.Failures) != 0):
		return fmt.Errorf("signed DescribeServices returned %d services, %d failures", len(check.Services), len(check.Failures))
	case *op == "RegisterTaskDefinition" && check.TaskDefinition == nil:
		return fmt.Errorf("signed RegisterTaskDefinition returned no taskDefinition: %s", rb)
	}
	fmt.Printf("%s: %s request of %d bytes, response of %d bytes: ok\n", *out, *op, len(body), len(rb))
	return nil
}

var (
	rpsRE     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	pctRE     = regexp.MustCompile(`(?m)^\s+(50|75|90|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
	totalRE   = regexp.MustCompile(`(\d+) requests in`)
	non2xxRE  = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	sockErrRE = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// wrkparse prints "rps p50_ms p99_ms requests non2xx socket_errors" from a
// wrk --latency output.
func wrkparse(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: ecsload wrkparse FILE")
	}
	b, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	s := string(b)
	m := rpsRE.FindStringSubmatch(s)
	if m == nil {
		return fmt.Errorf("%s: no Requests/sec line", args[0])
	}
	pct := map[string]float64{}
	for _, p := range pctRE.FindAllStringSubmatch(s, -1) {
		v, _ := strconv.ParseFloat(p[2], 64)
		switch p[3] {
		case "us":
			v /= 1000
		case "s":
			v *= 1000
		}
		pct[p[1]] = v
	}
	total := "0"
	if t := totalRE.FindStringSubmatch(s); t != nil {
		total = t[1]
	}
	non2xx := "0"
	if t := non2xxRE.FindStringSubmatch(s); t != nil {
		non2xx = t[1]
	}
	sockErrs := 0
	if t := sockErrRE.FindStringSubmatch(s); t != nil {
		for _, x := range t[1:] {
			v, _ := strconv.Atoi(x)
			sockErrs += v
		}
	}
	fmt.Printf("%s %.3f %.3f %s %s %d\n", m[1], pct["50"], pct["99"], total, non2xx, sockErrs)
	return nil
}

// load fills a server with the scale fixture: taskdefs task definitions over
// families families, then services services over clusters clusters, each
// running its family's latest revision, with a bounded number of requests
// in flight.
func load(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	endpoint := fs.String("endpoint", "", "ECS endpoint URL")
	nTD := fs.Int("taskdefs", 10000, "task definitions to register")
	nFam := fs.Int("families", 1000, "families they spread over")
	nSvc := fs.Int("services", 1000, "services to create")
	nClu := fs.Int("clusters", 10, "clusters the services spread over")
	conc := fs.Int("concurrency", 16, "requests in flight")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after")
	readOnly := fs.Bool("readonly", false, "only read the fixture back (it was loaded before)")
	fs.Parse(args)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	c := client(*endpoint, *conc)
	var seen atomic.Int64

	run := func(what string, n int, fn func(ctx context.Context, i int) error) error {
		start := time.Now()
		var next atomic.Int64
		var firstErr error
		var once sync.Once
		var wg sync.WaitGroup
		for range *conc {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= n || ctx.Err() != nil {
						return
					}
					if err := fn(ctx, i); err != nil {
						once.Do(func() { firstErr = fmt.Errorf("%s #%d: %w", what, i, err); cancel() })
						return
					}
				}
			})
		}
		wg.Wait()
		if firstErr != nil {
			return firstErr
		}
		d := time.Since(start)
		fmt.Printf("%-24s %6d in %6.1fs  (%.0f/s at concurrency %d)\n", what, n, d.Seconds(), float64(n)/d.Seconds(), *conc)
		return nil
	}
	family := func(i int) string { return fmt.Sprintf("scale-fam-%04d", i%*nFam) }
	cluster := func(i int) string { return fmt.Sprintf("scale-%02d", i%*nClu) }
	if *readOnly {
		goto read
	}
	if err := run("CreateCluster", *nClu, func(ctx context.Context, i int) error {
		_, err := c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(cluster(i))})
		return err
	}); err != nil {
		return err
	}
	// Revision-major order: requests in flight at once hit different families.
	if err := run("RegisterTaskDefinition", *nTD, func(ctx context.Context, i int) error {
		_, err := c.RegisterTaskDefinition(ctx, registerInput(family(i)))
		return err
	}); err != nil {
		return err
	}
	if err := run("CreateService", *nSvc, func(ctx context.Context, i int) error {
		_, err := c.CreateService(ctx, serviceInput(cluster(i), fmt.Sprintf("scale-svc-%04d", i), family(i)))
		return err
	}); err != nil {
		return err
	}
	// Read everything back once, as a client would.
read:
	if err := run("DescribeServices(x10)", *nSvc/10, func(ctx context.Context, i int) error {
		var names []string
		for j := range 10 {
			names = append(names, fmt.Sprintf("scale-svc-%04d", (i / *nClu)*10**nClu+j**nClu+i%*nClu))
		}
		out, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster(i)), Services: names})
		if err != nil {
			return err
		}
		if len(out.Failures) > 0 {
			return fmt.Errorf("%d failures, first %s %s", len(out.Failures), aws.ToString(out.Failures[0].Arn), aws.ToString(out.Failures[0].Reason))
		}
		seen.Add(int64(len(out.Services)))
		return nil
	}); err != nil {
		return err
	}
	if int(seen.Load()) != *nSvc {
		return fmt.Errorf("described %d services, want %d", seen.Load(), *nSvc)
	}
	return nil
}

// coldstart times, over several runs, how long the server takes from the
// moment its process starts until GET /_tide/health answers 200, then stops it
// with SIGTERM. With -fresh the data dir is emptied before each run.
func coldstart(args []string) error {
	fs := flag.NewFlagSet("coldstart", flag.ExitOnError)
	bin := fs.String("bin", "bin/tide", "tide binary")
	dir := fs.String("data-dir", "", "data dir")
	runs := fs.Int("runs", 5, "runs")
	fresh := fs.Bool("fresh", false, "empty the data dir before each run")
	cpus := fs.String("cpus", "", "taskset CPU list for the server (empty: no pinning)")
	fs.Parse(args)
	if *dir == "" {
		return errors.New("-data-dir is required")
	}
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var times []time.Duration
	for r := range *runs {
		if *fresh {
			if err := os.RemoveAll(*dir); err != nil {
				return err
			}
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		addr := l.Addr().String()
		l.Close()
		argv := []string{*bin, "server", "--data-dir", *dir, "--listen", addr, "--log-level", "warn"}
		if *cpus != "" {
			argv = append([]string{"taskset", "-c", *cpus}, argv...)
		}
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
		start := time.Now()
		if err := cmd.Start(); err != nil {
			return err
		}
		var took time.Duration
		for {
			resp, err := hc.Get("http://" + addr + "/_tide/health")
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					took = time.Since(start)
					break
				}
			}
			if time.Since(start) > 60*time.Second {
				cmd.Process.Kill()
				cmd.Wait()
				return fmt.Errorf("run %d: not healthy after 60s", r+1)
			}
			time.Sleep(time.Millisecond)
		}
		times = append(times, took)
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
			return fmt.Errorf("run %d: server did not stop within 20s of SIGTERM", r+1)
		}
	}
	sorted := slices.Clone(times)
	slices.Sort(sorted)
	var each []string
	for _, t := range times {
		each = append(each, fmt.Sprintf("%.0f", ms(t)))
	}
	// "median_ms min_ms max_ms each_ms,..."
	fmt.Printf("%.0f %.0f %.0f %s\n", ms(sorted[len(sorted)/2]), ms(sorted[0]), ms(sorted[len(sorted)-1]), strings.Join(each, ","))
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// rss prints "VmRSS_MB VmHWM_MB RssAnon_MB RssFile_MB" of a process.
func rss(args []string) error {
	fs := flag.NewFlagSet("rss", flag.ExitOnError)
	pid := fs.Int("pid", 0, "process id")
	fs.Parse(args)
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", *pid))
	if err != nil {
		return err
	}
	defer f.Close()
	kb := map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		if fields := strings.Fields(v); len(fields) == 2 && fields[1] == "kB" {
			n, _ := strconv.ParseFloat(fields[0], 64)
			kb[k] = n
		}
	}
	mb := func(k string) float64 { return kb[k] / 1024 }
	fmt.Printf("%.1f %.1f %.1f %.1f\n", mb("VmRSS"), mb("VmHWM"), mb("RssAnon"), mb("RssFile"))
	return nil
}
