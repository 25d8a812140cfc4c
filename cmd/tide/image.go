package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"tide/internal/imagebuild"
)

const imageUsage = `Usage: tide image build --binary PATH --tag HOST:PORT/REPO:TAG [flags]

Packages a static Linux binary (and any --file) into an OCI image with no
base image and pushes it to Tide's registry, or writes a docker-load tarball
with --output. Credentials come from AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY (or TIDE_ACCESS_KEY_ID and TIDE_SECRET_ACCESS_KEY), as
'tide server' prints them.

Run 'tide image build -h' for its flags.
`

// listFlag collects a repeatable flag's values in order.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, " ") }

func (l *listFlag) Set(s string) error {
	*l = append(*l, s)
	return nil
}

func runImage(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(os.Stderr, imageUsage)
		return flag.ErrHelp
	}
	if args[0] != "build" {
		return fmt.Errorf("image: unknown subcommand %q; want 'tide image build'", args[0])
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return imageBuild(ctx, args[1:], os.Getenv, os.Stdout, os.Stderr)
}

// imageBuildOptions are the parsed flags of 'tide image build'.
type imageBuildOptions struct {
	binary, tag, entrypoint, workdir, user, platform string
	output, endpoint, region, akid, secret           string
	cmd, env, ports, files, labels                   listFlag
	dockerMediaTypes                                 bool
	timeout                                          time.Duration
}

func parseImageBuild(args []string, getenv func(string) string, stderr io.Writer) (*imageBuildOptions, error) {
	o := &imageBuildOptions{}
	fs := flag.NewFlagSet("tide image build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: tide image build --binary PATH --tag HOST:PORT/REPO:TAG [flags]\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.binary, "binary", "", "static Linux binary to package (required)")
	fs.StringVar(&o.tag, "tag", "", "image reference HOST:PORT/REPO:TAG to push (required); with --output, the tag docker load gives it")
	fs.StringVar(&o.entrypoint, "entrypoint", "", "path of the binary in the image, and the command it runs (default /<basename of --binary>)")
	fs.Var(&o.cmd, "cmd", "argument passed to the entrypoint (repeatable, in order)")
	fs.Var(&o.env, "env", "environment variable NAME=value (repeatable)")
	fs.Var(&o.ports, "port", "exposed port, 8080 or 8080/tcp or 53/udp (repeatable)")
	fs.Var(&o.files, "file", "extra file SRC:DST, copied from SRC on disk to the absolute path DST (repeatable)")
	fs.Var(&o.labels, "label", "image label NAME=value (repeatable)")
	fs.StringVar(&o.workdir, "workdir", "", "working directory of the process")
	fs.StringVar(&o.user, "user", "", "user[:group] the process runs as (default root)")
	fs.StringVar(&o.platform, "platform", imagebuild.DefaultPlatform().String(), "OS/ARCH of the image; the binary must match it")
	fs.BoolVar(&o.dockerMediaTypes, "docker-media-types", false, "make a Docker schema 2 image instead of an OCI one")
	fs.StringVar(&o.output, "output", "", "write a docker-load tarball to this file instead of pushing")
	fs.StringVar(&o.endpoint, "endpoint", "", "Tide's API endpoint, for the registry token (default http://<registry host of --tag>)")
	fs.StringVar(&o.region, "region", cmp.Or(firstEnv(getenv, "AWS_REGION", "AWS_DEFAULT_REGION"), "us-east-1"), "region Tide signs for (env AWS_REGION or AWS_DEFAULT_REGION)")
	fs.StringVar(&o.akid, "access-key-id", "", "access key ID (default env AWS_ACCESS_KEY_ID, else TIDE_ACCESS_KEY_ID)")
	fs.StringVar(&o.secret, "secret-access-key", "", "secret access key (default env AWS_SECRET_ACCESS_KEY, else TIDE_SECRET_ACCESS_KEY)")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "give up on the token request and push after this long")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("image build: unexpected argument %q", fs.Arg(0))
	}
	if o.binary == "" || o.tag == "" {
		return nil, errors.New("image build: --binary and --tag are required")
	}
	if o.entrypoint == "" {
		o.entrypoint = "/" + filepath.Base(o.binary)
	}
	// The environment's credentials are taken as a pair, so that an AWS_
	// key ID never meets a TIDE_ secret.
	for _, prefix := range []string{"AWS_", "TIDE_"} {
		akid, secret := getenv(prefix+"ACCESS_KEY_ID"), getenv(prefix+"SECRET_ACCESS_KEY")
		if akid != "" && secret != "" {
			o.akid, o.secret = cmp.Or(o.akid, akid), cmp.Or(o.secret, secret)
			break
		}
	}
	return o, nil
}

func firstEnv(getenv func(string) string, names ...string) string {
	for _, n := range names {
		if v := getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// spec turns the options into an image spec, checking the binary.
func (o *imageBuildOptions) spec(stderr io.Writer) (imagebuild.Spec, error) {
	platform, err := v1.ParsePlatform(o.platform)
	if err != nil {
		return imagebuild.Spec{}, fmt.Errorf("--platform: %w", err)
	}
	interp, err := imagebuild.CheckBinary(o.binary, *platform)
	if err != nil {
		return imagebuild.Spec{}, err
	}
	if interp != "" {
		fmt.Fprintf(stderr, "tide: warning: %s is dynamically linked (interpreter %s), and the image has no C library: it will not start. Build Go programs with CGO_ENABLED=0.\n", o.binary, interp)
	}
	files := []imagebuild.File{{Src: o.binary, Dst: o.entrypoint, Mode: 0o755}}
	for _, f := range o.files {
		i := strings.LastIndexByte(f, ':')
		if i <= 0 || i == len(f)-1 {
			return imagebuild.Spec{}, fmt.Errorf("--file %q: want SRC:DST", f)
		}
		files = append(files, imagebuild.File{Src: f[:i], Dst: f[i+1:]})
	}
	var labels map[string]string
	for _, l := range o.labels {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" {
			return imagebuild.Spec{}, fmt.Errorf("--label %q: want NAME=value", l)
		}
		if labels == nil {
			labels = map[string]string{}
		}
		labels[k] = v
	}
	return imagebuild.Spec{
		Files:            files,
		Entrypoint:       []string{o.entrypoint},
		Cmd:              o.cmd,
		Env:              o.env,
		ExposedPorts:     o.ports,
		WorkingDir:       o.workdir,
		User:             o.user,
		Labels:           labels,
		Platform:         *platform,
		DockerMediaTypes: o.dockerMediaTypes,
	}, nil
}

// imageBuild runs 'tide image build' with args, printing the pushed
// reference (or, with --output, the tag) on stdout.
func imageBuild(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseImageBuild(args, getenv, stderr)
	if err != nil {
		return err
	}
	spec, err := o.spec(stderr)
	if err != nil {
		return err
	}
	if o.output != "" {
		img, err := imagebuild.Build(ctx, spec)
		if err != nil {
			return err
		}
		if err := writeTarballFile(img, o.tag, o.output); err != nil {
			return err
		}
		fmt.Fprintln(stdout, o.tag)
		return nil
	}

	tag, err := name.NewTag(o.tag)
	if err != nil {
		return fmt.Errorf("--tag: %w", err)
	}
	if first, _, ok := strings.Cut(o.tag, "/"); !ok || !(strings.ContainsAny(first, ".:") || first == "localhost") {
		return fmt.Errorf("--tag %q names no registry host; push to Tide's, like 127.0.0.1:4566/%s (or use --output)", o.tag, tag.RepositoryStr())
	}
	if o.endpoint == "" {
		o.endpoint = "http://" + tag.RegistryStr()
	}
	if !strings.HasPrefix(o.endpoint, "http://") && !strings.HasPrefix(o.endpoint, "https://") {
		return fmt.Errorf("--endpoint %q: want an http:// or https:// URL", o.endpoint)
	}
	if o.akid == "" || o.secret == "" {
		return errors.New("credentials needed: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY as 'tide server' prints them (or TIDE_ACCESS_KEY_ID and TIDE_SECRET_ACCESS_KEY)")
	}
	img, err := imagebuild.Build(ctx, spec)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	user, password, err := imagebuild.ECRToken(ctx, o.endpoint, o.region, o.akid, o.secret)
	if err != nil {
		return err
	}
	insecure := strings.HasPrefix(o.endpoint, "http://")
	digest, err := imagebuild.Push(ctx, img, o.tag, &authn.Basic{Username: user, Password: password}, insecure)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tag.Context().Digest(digest).String())
	return nil
}

// writeTarballFile writes img, tagged tag, to the file path, leaving no
// partial file behind on failure.
func writeTarballFile(img v1.Image, tag, path string) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	return imagebuild.WriteTarball(img, tag, f)
}
