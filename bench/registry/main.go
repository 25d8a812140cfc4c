// Command registry is the helper of bench/registry.sh: it measures Tide's OCI
// registry against a peer registry (CNCF distribution, Debian's
// docker-registry) in one run, through go-containerregistry (the library
// crane, ko and many CI tools push and pull with) and raw HTTP, and writes one
// line per measurement; `summary` turns those lines into the tables. It talks
// only to the registries it is given (loopback in registry.sh) and, for the
// crane step, runs the crane binary it is given.
//
//	registry freeport
//	registry login    -endpoint URL -repos a,b -pass-out FILE [-docker-config DIR]
//	registry image    COMMON [-runs 5 -layers 5 -layer-mb 20 -crane PATH -docker-config DIR -tmp DIR]
//	registry small    COMMON [-count 1000 -workers 8 -layer-bytes 1024 -list-runs 5]
//	registry blob     COMMON -tide-blobs DIR -peer-blobs DIR [-mb 1024 -runs 5 -cold -ceiling HOST:PORT]
//	registry tcpserve -listen HOST:PORT [-mb 1024]
//	registry summary  -in FILE [-count 1000 -workers 8 -mb 1024 -image-mb 100 -peer-name NAME]
//
// COMMON is -tide HOST:PORT -peer HOST:PORT -pass FILE (Tide's registry
// password) -repo NAME -out FILE [-tide-pid P -peer-pid P -timeout 4m]; the
// PIDs give the servers' CPU time and VmRSS from /proc.
//
// Every result line is "section target metric run value": target is tide,
// peer, disk (dd) or loopback (raw TCP); times are seconds, rates MB/s
// (10^6 bytes), images/s or manifests/s, memory MiB. The ECR calls of login
// are SigV4-signed with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
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
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const region = "us-east-1"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: registry freeport|login|image|small|blob|tcpserve|summary [flags]")
		os.Exit(2)
	}
	var err error
	args := os.Args[2:]
	switch os.Args[1] {
	case "freeport":
		err = freeport()
	case "login":
		err = login(args)
	case "image":
		err = imageBench(args)
	case "small":
		err = smallBench(args)
	case "blob":
		err = blobBench(args)
	case "summary":
		err = summary(args)
	case "tcpserve":
		err = tcpServe(args)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "registry:", err)
		os.Exit(1)
	}
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

// ---------------------------------------------------------------- login

// ecrCall sends one SigV4-signed ECR JSON request to endpoint.
func ecrCall(ctx context.Context, endpoint, op string, in any) ([]byte, error) {
	body, _ := json.Marshal(in)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921."+op)
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: os.Getenv("AWS_ACCESS_KEY_ID"), SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY")}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "ecr", region, time.Now()); err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return out, fmt.Errorf("%s: HTTP %d: %s", op, resp.StatusCode, out)
	}
	return out, nil
}

// login creates the repositories (as ECR wants before a push), fetches an
// authorization token, and writes its password and a docker config for crane.
func login(args []string) error {
	fs := flag.NewFlagSet("login", flag.ExitOnError)
	endpoint := fs.String("endpoint", "", "Tide's endpoint URL")
	repos := fs.String("repos", "", "comma-separated repositories to create")
	passOut := fs.String("pass-out", "", "file for the registry password")
	dockerConfig := fs.String("docker-config", "", "directory for a config.json with the credentials (crane reads it via DOCKER_CONFIG)")
	fs.Parse(args)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, r := range strings.Split(*repos, ",") {
		if r == "" {
			continue
		}
		if out, err := ecrCall(ctx, *endpoint, "CreateRepository", map[string]string{"repositoryName": r}); err != nil && !bytes.Contains(out, []byte("RepositoryAlreadyExistsException")) {
			return err
		}
	}
	out, err := ecrCall(ctx, *endpoint, "GetAuthorizationToken", map[string]any{})
	if err != nil {
		return err
	}
	var resp struct {
		AuthorizationData []struct {
			AuthorizationToken string `json:"authorizationToken"`
		} `json:"authorizationData"`
	}
	if err := json.Unmarshal(out, &resp); err != nil || len(resp.AuthorizationData) == 0 {
		return fmt.Errorf("GetAuthorizationToken: unexpected answer %s", out)
	}
	tok := resp.AuthorizationData[0].AuthorizationToken
	raw, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		return fmt.Errorf("authorization token: %w", err)
	}
	pass, ok := strings.CutPrefix(string(raw), "AWS:")
	if !ok {
		return fmt.Errorf("authorization token is not AWS:<password>")
	}
	if err := os.WriteFile(*passOut, []byte(pass), 0o600); err != nil {
		return err
	}
	if *dockerConfig != "" {
		u, _ := url.Parse(*endpoint)
		cfg := map[string]any{"auths": map[string]any{u.Host: map[string]string{"auth": tok}}}
		if err := os.MkdirAll(*dockerConfig, 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(*dockerConfig, "config.json"), mustJSON(cfg), 0o600); err != nil {
			return err
		}
	}
	return nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// ---------------------------------------------------------------- targets

// target is one registry under test.
type target struct {
	name string // tide or peer
	host string // host:port
	auth authn.Authenticator
	user string // Basic credentials for raw HTTP ("" for none)
	pass string
	pid  int
}

type common struct {
	tide, peer, passFile, repo, out *string
	tidePID, peerPID                *int
}

func commonFlags(fs *flag.FlagSet) common {
	return common{
		tide:     fs.String("tide", "", "Tide's registry host:port"),
		peer:     fs.String("peer", "", "the peer registry's host:port"),
		passFile: fs.String("pass", "", "file with Tide's registry password"),
		repo:     fs.String("repo", "", "repository (created on Tide beforehand)"),
		out:      fs.String("out", "", "file to append result lines to"),
		tidePID:  fs.Int("tide-pid", 0, "Tide's PID (server CPU time and RSS)"),
		peerPID:  fs.Int("peer-pid", 0, "the peer's PID"),
	}
}

func (c common) targets() ([]*target, error) {
	pass, err := os.ReadFile(*c.passFile)
	if err != nil {
		return nil, err
	}
	p := strings.TrimSpace(string(pass))
	return []*target{
		{name: "tide", host: *c.tide, auth: &authn.Basic{Username: "AWS", Password: p}, user: "AWS", pass: p, pid: *c.tidePID},
		{name: "peer", host: *c.peer, auth: authn.Anonymous, pid: *c.peerPID},
	}, nil
}

// results appends result lines to a file and echoes them, indented.
type results struct {
	f *os.File
}

func openResults(path string) (*results, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	return &results{f: f}, nil
}

func (r *results) add(section, target, metric string, run int, v float64) {
	line := fmt.Sprintf("%s %s %s %d %.6g", section, target, metric, run, v)
	fmt.Fprintln(r.f, line)
}

func (r *results) close() error { return r.f.Close() }

// newTransport is a fresh client transport: no pooled connection, no cache,
// no transparent decompression.
func newTransport(conns int) *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}
}

// ---------------------------------------------------------------- image content

// gzLayer is a gzip-compressed tar layer held in memory: Compressed returns
// the stored bytes as they are, so a push sends exactly them (no compression
// on the client's CPU during the timed push).
type gzLayer struct {
	data   []byte
	digest v1.Hash
	diffID v1.Hash
}

func (l *gzLayer) Digest() (v1.Hash, error) { return l.digest, nil }
func (l *gzLayer) DiffID() (v1.Hash, error) { return l.diffID, nil }
func (l *gzLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.data)), nil
}
func (l *gzLayer) Size() (int64, error)                { return int64(len(l.data)), nil }
func (l *gzLayer) MediaType() (types.MediaType, error) { return types.DockerLayer, nil }

// newLayer returns a tar layer with one file of n pseudo-random
// (incompressible) bytes, gzipped without compression (stored blocks): a real
// .tar.gz whose size is n plus a few hundred bytes.
func newLayer(rng *rand.ChaCha8, n int64, file string) (v1.Layer, error) {
	var buf bytes.Buffer
	buf.Grow(int(n + n/60000*5 + 4096))
	gz, _ := gzip.NewWriterLevel(&buf, gzip.NoCompression)
	diff := sha256.New()
	tw := tar.NewWriter(io.MultiWriter(gz, diff))
	if err := tw.WriteHeader(&tar.Header{Name: file, Size: n, Mode: 0o644, Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}); err != nil {
		return nil, err
	}
	if _, err := io.CopyN(tw, rng, n); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(buf.Bytes())
	l := &gzLayer{
		data:   buf.Bytes(),
		digest: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])},
		diffID: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(diff.Sum(nil))},
	}
	return partial.CompressedToLayer(l)
}

func newRNG(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	for i := range 4 {
		v := seed + uint64(i)*0x9e3779b97f4a7c15
		for j := range 8 {
			s[i*8+j] = byte(v >> (8 * j))
		}
	}
	return rand.NewChaCha8(s)
}

// newImage returns an image of `layers` layers of layerBytes random bytes each.
func newImage(seed uint64, layers int, layerBytes int64) (v1.Image, error) {
	rng := newRNG(seed)
	var adds []mutate.Addendum
	for i := range layers {
		l, err := newLayer(rng, layerBytes, fmt.Sprintf("data-%d-%d.bin", seed, i))
		if err != nil {
			return nil, err
		}
		adds = append(adds, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: "bench/registry"}})
	}
	img, err := mutate.Append(empty.Image, adds...)
	if err != nil {
		return nil, err
	}
	if _, err := img.Digest(); err != nil { // compute the config and manifest now, untimed
		return nil, err
	}
	return img, nil
}

func seedBase() uint64 { return uint64(time.Now().UnixNano()) }

// ---------------------------------------------------------------- 1. image push and pull

func imageBench(args []string) error {
	fs := flag.NewFlagSet("image", flag.ExitOnError)
	c := commonFlags(fs)
	runs := fs.Int("runs", 5, "timed push+pull rounds per registry")
	layers := fs.Int("layers", 5, "layers per image")
	layerMB := fs.Int64("layer-mb", 20, "MB (10^6 bytes) of random data per layer")
	crane := fs.String("crane", "", "crane binary: also time crane push/pull of a tarball (empty: skip)")
	dockerConfig := fs.String("docker-config", "", "DOCKER_CONFIG for crane (Tide's credentials)")
	tmp := fs.String("tmp", os.TempDir(), "directory for crane's tarballs")
	timeout := fs.Duration("timeout", 4*time.Minute, "bound on the whole step")
	fs.Parse(args)
	ts, err := c.targets()
	if err != nil {
		return err
	}
	res, err := openResults(*c.out)
	if err != nil {
		return err
	}
	defer res.close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	base := seedBase()
	size := int64(*layers) * *layerMB * 1e6
	for run := 1; run <= *runs; run++ {
		img, err := newImage(base+uint64(run)*1000, *layers, *layerMB*1e6)
		if err != nil {
			return err
		}
		order := ts
		if run%2 == 0 { // alternate who goes first
			order = []*target{ts[1], ts[0]}
		}
		var line []string
		for _, t := range order {
			ref, err := name.NewTag(fmt.Sprintf("%s/%s:run%d", t.host, *c.repo, run))
			if err != nil {
				return err
			}
			push, err := timeIt(func() error {
				tr := newTransport(*layers)
				defer tr.CloseIdleConnections()
				return remote.Write(ref, img, remote.WithAuth(t.auth), remote.WithTransport(tr), remote.WithContext(ctx))
			})
			if err != nil {
				return fmt.Errorf("%s: push %s: %w", t.name, ref, err)
			}
			pull, n, err := pullImage(ctx, ref, t.auth, img)
			if err != nil {
				return fmt.Errorf("%s: pull %s: %w", t.name, ref, err)
			}
			if n < size {
				return fmt.Errorf("%s: pulled %d bytes, want at least %d", t.name, n, size)
			}
			res.add("image", t.name, "push", run, push.Seconds())
			res.add("image", t.name, "pull", run, pull.Seconds())
			line = append(line, fmt.Sprintf("%s push %.2fs pull %.2fs", t.name, push.Seconds(), pull.Seconds()))
		}
		fmt.Printf("  run %d: %s\n", run, strings.Join(line, ", "))
	}
	if *crane == "" {
		return nil
	}
	for run := 1; run <= *runs; run++ {
		img, err := newImage(base+uint64(run)*1000+500, *layers, *layerMB*1e6)
		if err != nil {
			return err
		}
		tarPath := filepath.Join(*tmp, "crane-push.tar")
		pulled := filepath.Join(*tmp, "crane-pull.tar")
		tag, _ := name.NewTag("bench.local/crane:latest")
		if err := tarball.WriteToFile(tarPath, tag, img); err != nil {
			return err
		}
		order := ts
		if run%2 == 0 {
			order = []*target{ts[1], ts[0]}
		}
		var line []string
		for _, t := range order {
			ref := fmt.Sprintf("%s/%s:crane%d", t.host, *c.repo, run)
			push, err := timeIt(func() error { return runCrane(ctx, *crane, *dockerConfig, "push", "--insecure", tarPath, ref) })
			if err != nil {
				return fmt.Errorf("%s: crane push: %w", t.name, err)
			}
			pull, err := timeIt(func() error { return runCrane(ctx, *crane, *dockerConfig, "pull", "--insecure", ref, pulled) })
			if err != nil {
				return fmt.Errorf("%s: crane pull: %w", t.name, err)
			}
			if fi, err := os.Stat(pulled); err != nil || fi.Size() < size {
				return fmt.Errorf("%s: crane pulled a short tarball (%v)", t.name, err)
			}
			os.Remove(pulled)
			res.add("crane", t.name, "push", run, push.Seconds())
			res.add("crane", t.name, "pull", run, pull.Seconds())
			line = append(line, fmt.Sprintf("%s push %.2fs pull %.2fs", t.name, push.Seconds(), pull.Seconds()))
		}
		os.Remove(tarPath)
		fmt.Printf("  crane run %d: %s\n", run, strings.Join(line, ", "))
	}
	return nil
}

func timeIt(fn func() error) (time.Duration, error) {
	start := time.Now()
	err := fn()
	return time.Since(start), err
}

// pullImage pulls ref into a fresh client (no connection, no cache): the
// manifest, the config and every layer, read fully (ggcr verifies each
// layer's digest as it reads). It checks the manifest digest against want.
func pullImage(ctx context.Context, ref name.Reference, auth authn.Authenticator, want v1.Image) (time.Duration, int64, error) {
	tr := newTransport(2)
	defer tr.CloseIdleConnections()
	var n int64
	d, err := timeIt(func() error {
		img, err := remote.Image(ref, remote.WithAuth(auth), remote.WithTransport(tr), remote.WithContext(ctx))
		if err != nil {
			return err
		}
		if _, err := img.RawConfigFile(); err != nil {
			return err
		}
		ls, err := img.Layers()
		if err != nil {
			return err
		}
		buf := make([]byte, 1<<20)
		for _, l := range ls {
			rc, err := l.Compressed()
			if err != nil {
				return err
			}
			m, err := io.CopyBuffer(writerOnly{io.Discard}, readerOnly{rc}, buf)
			rc.Close()
			if err != nil {
				return err
			}
			n += m
		}
		got, err := img.Digest()
		if err != nil {
			return err
		}
		wd, _ := want.Digest()
		if got != wd {
			return fmt.Errorf("pulled manifest %s, pushed %s", got, wd)
		}
		return nil
	})
	return d, n, err
}

// writerOnly and readerOnly hide ReadFrom / WriteTo, so copies use the
// given buffer.
type writerOnly struct{ io.Writer }
type readerOnly struct{ io.Reader }

func runCrane(ctx context.Context, bin, dockerConfig string, args ...string) error {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+dockerConfig)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("crane %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return nil
}

// ---------------------------------------------------------------- 2. small images

func smallBench(args []string) error {
	fs := flag.NewFlagSet("small", flag.ExitOnError)
	c := commonFlags(fs)
	count := fs.Int("count", 1000, "distinct small images (each with its own tag)")
	workers := fs.Int("workers", 8, "concurrent pushes / pulls")
	layerBytes := fs.Int64("layer-bytes", 1024, "random bytes in each image's one layer")
	listRuns := fs.Int("list-runs", 5, "timed tag listings")
	timeout := fs.Duration("timeout", 4*time.Minute, "bound on the whole step")
	fs.Parse(args)
	ts, err := c.targets()
	if err != nil {
		return err
	}
	res, err := openResults(*c.out)
	if err != nil {
		return err
	}
	defer res.close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	// The images, built (and their digests computed) before any timing: a
	// tiny config and one small layer each, all distinct.
	base := seedBase()
	imgs := make([]v1.Image, *count)
	for i := range imgs {
		img, err := newImage(base+uint64(i)*7, 1, *layerBytes)
		if err != nil {
			return err
		}
		if _, err := img.RawManifest(); err != nil {
			return err
		}
		imgs[i] = img
	}
	tag := func(i int) string { return fmt.Sprintf("t%05d", i) }
	for _, t := range ts {
		repo, err := name.NewRepository(t.host + "/" + *c.repo)
		if err != nil {
			return err
		}
		tr := newTransport(*workers)
		p, err := remote.NewPusher(remote.WithAuth(t.auth), remote.WithTransport(tr), remote.WithJobs(1))
		if err != nil {
			return err
		}
		cpu0 := cpuTicks(t.pid)
		push, err := timeIt(func() error {
			return parallel(ctx, *count, *workers, func(i int) error {
				return p.Push(ctx, repo.Tag(tag(i)), imgs[i])
			})
		})
		pushCPU := float64(cpuTicks(t.pid)-cpu0) * 1000 / clkTck / float64(*count)
		tr.CloseIdleConnections()
		if err != nil {
			return fmt.Errorf("%s: push: %w", t.name, err)
		}
		res.add("small", t.name, "push-rate", 1, float64(*count)/push.Seconds())
		res.add("small", t.name, "push-cpu-ms", 1, pushCPU)

		tr = newTransport(*workers)
		pl, err := remote.NewPuller(remote.WithAuth(t.auth), remote.WithTransport(tr))
		if err != nil {
			return err
		}
		cpu0 = cpuTicks(t.pid)
		pull, err := timeIt(func() error {
			return parallel(ctx, *count, *workers, func(i int) error {
				ref := repo.Tag(tag(i))
				d, err := pl.Head(ctx, ref)
				if err != nil {
					return err
				}
				m, err := pl.Get(ctx, ref)
				if err != nil {
					return err
				}
				want, _ := imgs[i].Digest()
				if d.Digest != want || m.Digest != want {
					return fmt.Errorf("%s: HEAD %s GET %s, pushed %s", ref, d.Digest, m.Digest, want)
				}
				return nil
			})
		})
		if err != nil {
			tr.CloseIdleConnections()
			return fmt.Errorf("%s: pull: %w", t.name, err)
		}
		pullCPU := float64(cpuTicks(t.pid)-cpu0) * 1000 / clkTck / float64(*count)
		res.add("small", t.name, "pull-rate", 1, float64(*count)/pull.Seconds())
		res.add("small", t.name, "pull-cpu-ms", 1, pullCPU)
		var lists []string
		for run := 1; run <= *listRuns; run++ {
			var tags []string
			d, err := timeIt(func() (err error) {
				tags, err = pl.List(ctx, repo)
				return err
			})
			if err != nil {
				tr.CloseIdleConnections()
				return fmt.Errorf("%s: list tags: %w", t.name, err)
			}
			if len(tags) < *count {
				return fmt.Errorf("%s: listed %d tags, pushed %d", t.name, len(tags), *count)
			}
			res.add("small", t.name, "list-ms", run, float64(d)/1e6)
			lists = append(lists, fmt.Sprintf("%.1f", float64(d)/1e6))
		}
		tr.CloseIdleConnections()
		fmt.Printf("  %s: push %d images in %.2fs (%.0f images/s, server CPU %.2f ms/image), HEAD+GET %d manifests in %.2fs (%.0f/s, server CPU %.3f ms/manifest), list %d tags: %s ms\n",
			t.name, *count, push.Seconds(), float64(*count)/push.Seconds(), pushCPU, *count, pull.Seconds(), float64(*count)/pull.Seconds(), pullCPU, *count, strings.Join(lists, " "))
	}
	return nil
}

// parallel runs fn(0..n-1) on `workers` goroutines and returns the first error.
func parallel(ctx context.Context, n, workers int, fn func(i int) error) error {
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		})
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// ---------------------------------------------------------------- 3 and 4. one large blob

func blobBench(args []string) error {
	fs := flag.NewFlagSet("blob", flag.ExitOnError)
	c := commonFlags(fs)
	mb := fs.Int64("mb", 1024, "blob size in MiB")
	runs := fs.Int("runs", 5, "pulls per registry and dd reads of each file, cold and warm each")
	cold := fs.Bool("cold", true, "also measure cold reads, after dropping the page cache (needs root)")
	ceiling := fs.String("ceiling", "", "a `registry tcpserve` address: also measure raw loopback TCP (the ceiling of any HTTP server here)")
	tideBlobs := fs.String("tide-blobs", "", "Tide's blob directory (<data-dir>/registry/blobs)")
	peerBlobs := fs.String("peer-blobs", "", "the peer's blob directory (<root>/docker/registry/v2/blobs)")
	timeout := fs.Duration("timeout", 4*time.Minute, "bound on the whole step")
	fs.Parse(args)
	ts, err := c.targets()
	if err != nil {
		return err
	}
	res, err := openResults(*c.out)
	if err != nil {
		return err
	}
	defer res.close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	size := *mb << 20
	seed := seedBase()
	h := sha256.New()
	if _, err := io.CopyN(h, newRNG(seed), size); err != nil {
		return err
	}
	dg := "sha256:" + hex.EncodeToString(h.Sum(nil))
	hexd := strings.TrimPrefix(dg, "sha256:")
	files := map[string]string{
		"tide": filepath.Join(*tideBlobs, "sha256", hexd[:2], hexd),
		"peer": filepath.Join(*peerBlobs, "sha256", hexd[:2], hexd, "data"),
	}
	for _, t := range ts {
		d, err := timeIt(func() error { return pushBlob(ctx, t, *c.repo, dg, io.LimitReader(newRNG(seed), size), size) })
		if err != nil {
			return fmt.Errorf("%s: push blob: %w", t.name, err)
		}
		if fi, err := os.Stat(files[t.name]); err != nil || fi.Size() != size {
			return fmt.Errorf("%s: blob file %s: %v", t.name, files[t.name], err)
		}
		res.add("blob", t.name, "push-mbs", 1, float64(size)/1e6/d.Seconds())
		fmt.Printf("  %s: pushed %d MiB in %.2fs (%.0f MB/s)\n", t.name, *mb, d.Seconds(), float64(size)/1e6/d.Seconds())
	}

	pull := func(t *target, kind string, run int) error {
		st, err := pullBlob(ctx, t, *c.repo, dg, size)
		if err != nil {
			return fmt.Errorf("%s: pull blob: %w", t.name, err)
		}
		mbs := float64(size) / 1e6 / st.d.Seconds()
		res.add("blob", t.name, "pull-"+kind+"-mbs", run, mbs)
		res.add("blob", t.name, "rss-before-"+kind, run, st.before)
		res.add("blob", t.name, "rss-peak-"+kind, run, st.peak)
		res.add("blob", t.name, "rss-after-"+kind, run, st.after)
		res.add("blob", t.name, "cpu-ms-per-gb-"+kind, run, st.cpuMS/(float64(size)/(1<<30)))
		fmt.Printf("  %s %s pull %d: %.0f MB/s, server RSS before %.1f peak %.1f after %.1f MiB (%d samples), server CPU %.0f ms\n",
			t.name, kind, run, mbs, st.before, st.peak, st.after, st.samples, st.cpuMS)
		return nil
	}
	dd := func(t *target, kind string, run int) error {
		mbs, err := ddRead(ctx, files[t.name])
		if err != nil {
			return err
		}
		res.add("blob", "disk", "dd-"+kind+"-mbs-"+t.name, run, mbs)
		fmt.Printf("  dd %s of %s's blob file %d: %.0f MB/s\n", kind, t.name, run, mbs)
		return nil
	}
	if *cold {
		if err := dropCaches(); err != nil {
			fmt.Printf("  cold reads skipped: cannot drop the page cache: %v\n", err)
		} else {
			for run := 1; run <= *runs; run++ {
				order := ts
				if run%2 == 0 {
					order = []*target{ts[1], ts[0]}
				}
				for _, t := range order {
					dropCaches()
					if err := dd(t, "cold", run); err != nil {
						return err
					}
					dropCaches()
					if err := pull(t, "cold", run); err != nil {
						return err
					}
				}
			}
		}
	}
	// Warm: every file read once before, so both are served from the page cache.
	for _, t := range ts {
		if _, err := ddRead(ctx, files[t.name]); err != nil {
			return err
		}
	}
	for run := 1; run <= *runs; run++ {
		order := ts
		if run%2 == 0 {
			order = []*target{ts[1], ts[0]}
		}
		for _, t := range order {
			if err := dd(t, "warm", run); err != nil {
				return err
			}
			if err := pull(t, "warm", run); err != nil {
				return err
			}
		}
		if *ceiling != "" {
			mbs, err := tcpRead(ctx, *ceiling)
			if err != nil {
				return fmt.Errorf("loopback ceiling: %w", err)
			}
			res.add("blob", "loopback", "tcp-mbs", run, mbs)
			fmt.Printf("  raw loopback TCP %d: %.0f MB/s\n", run, mbs)
		}
	}
	return nil
}

// tcpServe writes mb MiB from memory, in 1 MiB writes, to every connection
// and closes it: the most any server can send over loopback here.
func tcpServe(args []string) error {
	fs := flag.NewFlagSet("tcpserve", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address")
	mb := fs.Int("mb", 1024, "MiB per connection")
	fs.Parse(args)
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	newRNG(1).Read(buf)
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		c.SetDeadline(time.Now().Add(time.Minute))
		for range *mb {
			if _, err := c.Write(buf); err != nil {
				break
			}
		}
		c.Close()
	}
}

// tcpRead reads a tcpServe stream to its end in 1 MiB reads; MB/s.
func tcpRead(ctx context.Context, addr string) (float64, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	start := time.Now()
	n, err := io.CopyBuffer(writerOnly{io.Discard}, readerOnly{c}, make([]byte, 1<<20))
	if err != nil {
		return 0, err
	}
	return float64(n) / 1e6 / time.Since(start).Seconds(), nil
}

// pushBlob uploads body as blob dg: POST to start, then one PUT with the
// whole body (a monolithic upload, as the spec allows).
func pushBlob(ctx context.Context, t *target, repo, dg string, body io.Reader, size int64) error {
	client := &http.Client{Transport: newTransport(1)}
	defer client.CloseIdleConnections()
	base := "http://" + t.host
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v2/"+repo+"/blobs/uploads/", nil)
	t.authorize(req)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("start upload: HTTP %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return err
	}
	u, _ := url.Parse(base + "/")
	u = u.ResolveReference(loc)
	q := u.Query()
	q.Set("digest", dg)
	u.RawQuery = q.Encode()
	req, _ = http.NewRequestWithContext(ctx, http.MethodPut, u.String(), bufio.NewReaderSize(body, 1<<20))
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	t.authorize(req)
	resp, err = client.Do(req)
	if err != nil {
		return err
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("finish upload: HTTP %d: %s", resp.StatusCode, msg)
	}
	return nil
}

func (t *target) authorize(req *http.Request) {
	if t.user != "" {
		req.SetBasicAuth(t.user, t.pass)
	}
}

type pullStats struct {
	d                          time.Duration
	before, peak, after, cpuMS float64
	samples                    int
}

// pullBlob GETs blob dg with a fresh connection, reads and discards it in
// 1 MiB reads, while sampling the server's VmRSS every 100 ms.
func pullBlob(ctx context.Context, t *target, repo, dg string, size int64) (pullStats, error) {
	var st pullStats
	client := &http.Client{Transport: newTransport(1)}
	defer client.CloseIdleConnections()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+t.host+"/v2/"+repo+"/blobs/"+dg, nil)
	t.authorize(req)

	st.before = vmRSS(t.pid)
	cpu0 := cpuTicks(t.pid)
	stop := make(chan struct{})
	var mu sync.Mutex
	peak, samples := st.before, 1
	done := make(chan struct{})
	go func() {
		defer close(done)
		tk := time.NewTicker(100 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				v := vmRSS(t.pid)
				mu.Lock()
				peak = max(peak, v)
				samples++
				mu.Unlock()
			}
		}
	}()
	var n int64
	d, err := timeIt(func() error {
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET blob: HTTP %d", resp.StatusCode)
		}
		n, err = io.CopyBuffer(writerOnly{io.Discard}, readerOnly{resp.Body}, make([]byte, 1<<20))
		return err
	})
	close(stop)
	<-done
	st.d = d
	st.after = vmRSS(t.pid)
	st.cpuMS = float64(cpuTicks(t.pid)-cpu0) * 1000 / clkTck
	st.peak = max(peak, st.after)
	st.samples = samples + 1
	if err == nil && n != size {
		err = fmt.Errorf("read %d bytes, want %d", n, size)
	}
	return st, err
}

// vmRSS is VmRSS of pid in MiB (0 if unknown).
func vmRSS(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseFloat(f[0], 64)
				return kb / 1024
			}
		}
	}
	return 0
}

const clkTck = 100 // USER_HZ on Linux

// cpuTicks is utime+stime of pid (all threads), in clock ticks.
func cpuTicks(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return u + k
}

// dropCaches writes back dirty pages and drops the page cache (root only).
func dropCaches() error {
	syscall.Sync()
	return os.WriteFile("/proc/sys/vm/drop_caches", []byte("3\n"), 0)
}

var ddRE = regexp.MustCompile(`(\d+) bytes .*copied, ([0-9.e+-]+) s`)

// ddRead runs `dd if=file of=/dev/null bs=1M` and returns its MB/s.
func ddRead(ctx context.Context, file string) (float64, error) {
	out, err := exec.CommandContext(ctx, "dd", "if="+file, "of=/dev/null", "bs=1M").CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("dd %s: %w: %s", file, err, out)
	}
	m := ddRE.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("dd: unexpected output %q", out)
	}
	b, _ := strconv.ParseFloat(string(m[1]), 64)
	s, _ := strconv.ParseFloat(string(m[2]), 64)
	return b / 1e6 / s, nil
}

// ---------------------------------------------------------------- summary

type table map[string][]float64 // "section target metric" → values in run order

func readResults(path string) (table, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t := table{}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) != 5 {
			continue
		}
		v, err := strconv.ParseFloat(f[4], 64)
		if err != nil {
			continue
		}
		k := f[0] + " " + f[1] + " " + f[2]
		t[k] = append(t[k], v)
	}
	return t, nil
}

func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func (t table) med(k string) (float64, bool) {
	vs, ok := t[k]
	return median(vs), ok && len(vs) > 0
}

func summary(args []string) error {
	fs := flag.NewFlagSet("summary", flag.ExitOnError)
	in := fs.String("in", "", "results file")
	count := fs.Int("count", 1000, "small images pushed")
	workers := fs.Int("workers", 8, "concurrency of the small-image step")
	mb := fs.Int64("mb", 1024, "blob MiB")
	imageMB := fs.Int64("image-mb", 100, "image MB")
	peerName := fs.String("peer-name", "distribution", "the peer's name in the table")
	fs.Parse(args)
	t, err := readResults(*in)
	if err != nil {
		return err
	}
	fmtv := func(v float64, ok bool, prec int) string {
		if !ok {
			return "n/a"
		}
		return strconv.FormatFloat(v, 'f', prec, 64)
	}
	all := func(k string, prec int) string {
		vs := t[k]
		if len(vs) < 2 {
			return ""
		}
		var s []string
		for _, v := range vs {
			s = append(s, strconv.FormatFloat(v, 'f', prec, 64))
		}
		return " (" + strings.Join(s, ", ") + ")"
	}
	// ratio says how many times better Tide is: rates tide/peer, times peer/tide.
	ratio := func(tv, pv float64, ok bool, lowerBetter bool) string {
		if !ok || tv <= 0 || pv <= 0 {
			return "n/a"
		}
		if lowerBetter {
			return fmt.Sprintf("%.2f×", pv/tv)
		}
		return fmt.Sprintf("%.2f×", tv/pv)
	}
	fmt.Printf("| measurement (median of runs; all runs in brackets) | Tide | %s | Tide vs %s (>1: Tide better) |\n", *peerName, *peerName)
	fmt.Println("|---|---|---|---|")
	row := func(label, section, metric string, prec int, lowerBetter bool) {
		tk, pk := section+" tide "+metric, section+" peer "+metric
		tv, ok1 := t.med(tk)
		pv, ok2 := t.med(pk)
		if !ok1 && !ok2 {
			return
		}
		fmt.Printf("| %s | %s%s | %s%s | %s |\n", label, fmtv(tv, ok1, prec), all(tk, prec), fmtv(pv, ok2, prec), all(pk, prec), ratio(tv, pv, ok1 && ok2, lowerBetter))
	}
	row(fmt.Sprintf("%d MB image push, go-containerregistry (s)", *imageMB), "image", "push", 2, true)
	row(fmt.Sprintf("%d MB image pull, go-containerregistry, fresh client (s)", *imageMB), "image", "pull", 2, true)
	row(fmt.Sprintf("%d MB image push, crane tarball (s)", *imageMB), "crane", "push", 2, true)
	row(fmt.Sprintf("%d MB image pull, crane to a tarball (s)", *imageMB), "crane", "pull", 2, true)
	row(fmt.Sprintf("%d small images push, %d workers (images/s)", *count, *workers), "small", "push-rate", 0, false)
	row("  server CPU per image pushed (ms)", "small", "push-cpu-ms", 2, true)
	row(fmt.Sprintf("%d manifests HEAD+GET by tag, %d workers (manifests/s)", *count, *workers), "small", "pull-rate", 0, false)
	row("  server CPU per manifest HEAD+GET (ms)", "small", "pull-cpu-ms", 3, true)
	row(fmt.Sprintf("list %d tags (ms)", *count), "small", "list-ms", 1, true)
	row(fmt.Sprintf("%d MiB blob push, one PUT (MB/s)", *mb), "blob", "push-mbs", 0, false)
	row(fmt.Sprintf("%d MiB blob pull, cold page cache (MB/s)", *mb), "blob", "pull-cold-mbs", 0, false)
	row(fmt.Sprintf("%d MiB blob pull, warm page cache (MB/s)", *mb), "blob", "pull-warm-mbs", 0, false)
	row("server CPU per GiB pulled, warm (ms)", "blob", "cpu-ms-per-gb-warm", 0, true)
	row("server VmRSS before the warm pulls (MiB)", "blob", "rss-before-warm", 1, true)
	row("server VmRSS peak during the warm pulls (MiB)", "blob", "rss-peak-warm", 1, true)
	row("server VmRSS after the warm pulls (MiB)", "blob", "rss-after-warm", 1, true)
	row("server VmRSS peak during the cold pull (MiB)", "blob", "rss-peak-cold", 1, true)
	fmt.Println()
	fmt.Println("| disk sequential read, `dd if=<blob file> of=/dev/null bs=1M` | Tide's blob file | " + *peerName + "'s blob file |")
	fmt.Println("|---|---|---|")
	for _, kind := range []string{"cold", "warm"} {
		tk, pk := "blob disk dd-"+kind+"-mbs-tide", "blob disk dd-"+kind+"-mbs-peer"
		tv, ok1 := t.med(tk)
		pv, ok2 := t.med(pk)
		if ok1 || ok2 {
			fmt.Printf("| %s (MB/s) | %s%s | %s%s |\n", kind, fmtv(tv, ok1, 0), all(tk, 0), fmtv(pv, ok2, 0), all(pk, 0))
		}
	}
	ceil, okCeil := t.med("blob loopback tcp-mbs")
	if okCeil {
		fmt.Printf("| raw loopback TCP, %s from memory in 1 MiB writes, server CPU → client CPU (MB/s): the ceiling of any server here | %.0f%s | |\n", humanMB(*mb), ceil, all("blob loopback tcp-mbs", 0))
	}

	fmt.Println()
	fmt.Println("| target | figure | verdict |")
	fmt.Println("|---|---|---|")
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	// Each run pulls from both registries and reads both files back to back
	// (alternating who goes first), so the verdicts use the median of the
	// per-run ratios: noise that drifts over the run (other load, the host's
	// disk) cancels out of a pair.
	paired := func(a, b []float64) (float64, bool) {
		var rs []float64
		for i := range min(len(a), len(b)) {
			if b[i] > 0 {
				rs = append(rs, a[i]/b[i])
			}
		}
		return median(rs), len(rs) > 0
	}
	for _, kind := range []string{"cold", "warm"} {
		tide, peer, disk := t["blob tide pull-"+kind+"-mbs"], t["blob peer pull-"+kind+"-mbs"], t["blob disk dd-"+kind+"-mbs-tide"]
		tv, pv, dv := median(tide), median(peer), median(disk)
		if r, ok := paired(tide, peer); ok {
			fmt.Printf("| %s blob pull ≥ %s's (%s page cache) | medians %.0f vs %.0f MB/s; median per-run ratio %.2f× | %s |\n", humanMB(*mb), *peerName, kind, tv, pv, r, verdict(r >= 1))
		}
		if r, ok := paired(tide, disk); ok {
			what := "the disk's sequential read (cold: dd of the same file after dropping the page cache)"
			v := verdict(r >= 0.7)
			if kind == "warm" {
				what = "dd of the same file from the page cache (warm: memory, not the disk)"
				if okCeil && 0.7*dv > ceil {
					v += " (70% of it is above raw loopback TCP: out of reach for any server here)"
				}
			}
			fmt.Printf("| %s blob pull ≥ 70%% of %s | medians %.0f vs %.0f MB/s; median per-run ratio %.0f%% | %s |\n", humanMB(*mb), what, tv, dv, 100*r, v)
		}
		if kind == "warm" && okCeil && len(tide) > 0 {
			r, _ := paired(tide, t["blob loopback tcp-mbs"])
			fmt.Printf("| %s blob pull (warm) against raw loopback TCP | medians %.0f vs %.0f MB/s; median per-run ratio %.0f%% | reported |\n", humanMB(*mb), tv, ceil, 100*r)
		}
	}
	for _, who := range []string{"tide", "peer"} {
		// The largest growth of one pull: peak − the RSS just before it.
		var grow, before, peak, after []float64
		for _, kind := range []string{"cold", "warm"} {
			b, p, a := t["blob "+who+" rss-before-"+kind], t["blob "+who+" rss-peak-"+kind], t["blob "+who+" rss-after-"+kind]
			for i := range min(len(b), len(p), len(a)) {
				grow, before, peak, after = append(grow, p[i]-b[i]), append(before, b[i]), append(peak, p[i]), append(after, a[i])
			}
		}
		if len(grow) == 0 {
			continue
		}
		label := "Tide"
		if who == "peer" {
			label = *peerName
		}
		fmt.Printf("| %s's memory flat while serving the %s blob (peak − before ≤ 16 MiB in every pull) | before %.1f–%.1f, peak %.1f–%.1f, after %.1f–%.1f MiB; largest growth +%.1f MiB | %s |\n",
			label, humanMB(*mb), slices.Min(before), slices.Max(before), slices.Min(peak), slices.Max(peak), slices.Min(after), slices.Max(after), slices.Max(grow), verdict(slices.Max(grow) <= 16))
	}
	return nil
}

func humanMB(mb int64) string {
	if mb%1024 == 0 {
		return fmt.Sprintf("%d GiB", mb/1024)
	}
	return fmt.Sprintf("%d MiB", mb)
}
