// Package imagebuild packages files on disk — usually one static Go binary —
// into an OCI image with a single layer and no base image, the way ko builds
// Go images, and pushes it to a registry such as Tide's own. It lets Tide
// build every image it runs from the project's code on machines that cannot
// pull from the internet.
//
// Builds are reproducible: the same inputs give the same image digest. The
// package depends on go-containerregistry and Tide's sigv4 signer, and on no
// other Tide package: it is a client of Tide, not a part of the server.
package imagebuild

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// epoch is the time every file, the layer's history and the image config
// carry, so that a build does not depend on when it ran.
var epoch = time.Unix(0, 0).UTC()

// File is one file copied into the image.
type File struct {
	// Src is the file's path on disk. It must be a regular file (a symbolic
	// link is followed).
	Src string
	// Dst is the absolute path of the file in the image, such as "/app".
	Dst string
	// Mode is the file's permission bits in the image. Zero means 0755 when
	// Src is executable by anyone and 0644 otherwise, whatever the umask.
	Mode fs.FileMode
}

// Spec describes an image to build.
type Spec struct {
	// Files are copied into the image's only layer, with their parent
	// directories (mode 0755). Every file is owned by uid and gid 0.
	Files []File
	// Entrypoint and Cmd are the container's default command, as in a
	// Dockerfile's exec-form ENTRYPOINT and CMD.
	Entrypoint []string
	Cmd        []string
	// Env holds "NAME=value" entries.
	Env []string
	// ExposedPorts holds "8080/tcp" entries; a bare port means TCP.
	ExposedPorts []string
	WorkingDir   string
	// User is the user (and optionally ":group") the process runs as; empty
	// means root.
	User   string
	Labels map[string]string
	// Platform is the image's OS and architecture. A zero OS means linux and
	// a zero Architecture means the architecture Tide was built for.
	Platform v1.Platform
	// DockerMediaTypes makes a Docker schema 2 image instead of an OCI one,
	// for clients and registries that accept nothing else.
	DockerMediaTypes bool
}

// Build returns the image that spec describes. The image is held in memory:
// its one layer is built and compressed before Build returns.
func Build(ctx context.Context, spec Spec) (v1.Image, error) {
	if len(spec.Files) == 0 {
		return nil, fmt.Errorf("build image: no files")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg, err := configFile(spec)
	if err != nil {
		return nil, fmt.Errorf("build image: %w", err)
	}
	mt := mediaTypes(spec.DockerMediaTypes)
	layerBytes, err := layerArchive(spec.Files)
	if err != nil {
		return nil, fmt.Errorf("build image: %w", err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerBytes)), nil
	}, tarball.WithMediaType(mt.layer))
	if err != nil {
		return nil, fmt.Errorf("build image: layer: %w", err)
	}
	img, err := mutate.ConfigFile(empty.Image, cfg)
	if err != nil {
		return nil, fmt.Errorf("build image: config: %w", err)
	}
	img = mutate.MediaType(img, mt.manifest)
	img = mutate.ConfigMediaType(img, mt.config)
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:     layer,
		MediaType: mt.layer,
		History:   v1.History{Created: v1.Time{Time: epoch}, CreatedBy: "tide image build", Comment: filesComment(spec.Files)},
	})
	if err != nil {
		return nil, fmt.Errorf("build image: append layer: %w", err)
	}
	return img, nil
}

// DefaultPlatform is the platform Build uses when Spec.Platform is zero:
// linux on the architecture this program was built for.
func DefaultPlatform() v1.Platform {
	return v1.Platform{OS: "linux", Architecture: goruntime.GOARCH}
}

func platformOrDefault(p v1.Platform) v1.Platform {
	d := DefaultPlatform()
	if p.OS == "" {
		p.OS = d.OS
	}
	if p.Architecture == "" {
		p.Architecture = d.Architecture
	}
	return p
}

type mediaTypeSet struct{ manifest, config, layer types.MediaType }

func mediaTypes(docker bool) mediaTypeSet {
	if docker {
		return mediaTypeSet{types.DockerManifestSchema2, types.DockerConfigJSON, types.DockerLayer}
	}
	return mediaTypeSet{types.OCIManifestSchema1, types.OCIConfigJSON, types.OCILayer}
}

// configFile returns the image configuration for spec, without its root
// filesystem, which mutate.Append fills in.
func configFile(spec Spec) (*v1.ConfigFile, error) {
	ports := map[string]struct{}{}
	for _, p := range spec.ExposedPorts {
		np, err := NormalizePort(p)
		if err != nil {
			return nil, err
		}
		ports[np] = struct{}{}
	}
	if len(ports) == 0 {
		ports = nil
	}
	for _, e := range spec.Env {
		if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
			return nil, fmt.Errorf("env %q: want NAME=value", e)
		}
	}
	p := platformOrDefault(spec.Platform)
	return &v1.ConfigFile{
		Architecture: p.Architecture,
		OS:           p.OS,
		Variant:      p.Variant,
		OSVersion:    p.OSVersion,
		Created:      v1.Time{Time: epoch},
		RootFS:       v1.RootFS{Type: "layers"},
		Config: v1.Config{
			Entrypoint:   slices.Clone(spec.Entrypoint),
			Cmd:          slices.Clone(spec.Cmd),
			Env:          slices.Clone(spec.Env),
			ExposedPorts: ports,
			WorkingDir:   spec.WorkingDir,
			User:         spec.User,
			Labels:       maps.Clone(spec.Labels),
		},
	}, nil
}

// NormalizePort returns a port in the image config's "PORT/PROTOCOL" form:
// "8080" becomes "8080/tcp"; "53/udp" stays as it is.
func NormalizePort(p string) (string, error) {
	num, proto, ok := strings.Cut(p, "/")
	if !ok {
		proto = "tcp"
	}
	n, err := parsePortNumber(num)
	if err != nil || (proto != "tcp" && proto != "udp" && proto != "sctp") {
		return "", fmt.Errorf("port %q: want NUMBER or NUMBER/tcp|udp|sctp, with NUMBER from 1 to 65535", p)
	}
	return fmt.Sprintf("%d/%s", n, proto), nil
}

func parsePortNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || strconv.Itoa(n) != s || n < 1 || n > 65535 {
		return 0, fmt.Errorf("bad port number %q", s)
	}
	return n, nil
}

func filesComment(files []File) string {
	dsts := make([]string, len(files))
	for i, f := range files {
		dsts[i] = f.Dst
	}
	slices.Sort(dsts)
	return "files: " + strings.Join(dsts, " ")
}

// layerArchive returns the gzip-compressed tar of files and their parent
// directories, in name order, with fixed times and owners, so that equal
// inputs give equal bytes.
func layerArchive(files []File) ([]byte, error) {
	entries, err := layerEntries(files)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		if err := e.write(tw); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// entry is one member of the layer: a directory (src empty) or a file.
type entry struct {
	name string // relative, without a leading slash; directories end in "/"
	src  string
	mode fs.FileMode
	size int64
}

func (e entry) write(tw *tar.Writer) error {
	h := &tar.Header{
		Name:     e.name,
		Mode:     int64(e.mode.Perm()),
		ModTime:  epoch,
		Typeflag: tar.TypeDir,
	}
	if e.src == "" {
		return tw.WriteHeader(h)
	}
	h.Typeflag = tar.TypeReg
	h.Size = e.size
	f, err := os.Open(e.src)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := tw.WriteHeader(h); err != nil {
		return fmt.Errorf("add %s: %w", e.src, err)
	}
	n, err := io.Copy(tw, f)
	if err != nil {
		return fmt.Errorf("add %s: %w", e.src, err)
	}
	if n != e.size {
		return fmt.Errorf("add %s: file changed size while being read", e.src)
	}
	return nil
}

// layerEntries checks files and returns the layer's members, sorted.
func layerEntries(files []File) ([]entry, error) {
	byName := map[string]entry{}
	for _, f := range files {
		dst := path.Clean(f.Dst)
		if !path.IsAbs(f.Dst) || dst == "/" {
			return nil, fmt.Errorf("file %s: destination %q must be an absolute path to a file, like /app", f.Src, f.Dst)
		}
		name := dst[1:]
		if _, dup := byName[name]; dup {
			return nil, fmt.Errorf("file %s: destination %s given twice or is also a directory", f.Src, dst)
		}
		fi, err := os.Stat(f.Src)
		if err != nil {
			return nil, fmt.Errorf("file %s: %w", f.Src, err)
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("file %s: not a regular file", f.Src)
		}
		mode := f.Mode.Perm()
		if mode == 0 {
			mode = 0o644
			if fi.Mode().Perm()&0o111 != 0 {
				mode = 0o755
			}
		}
		byName[name] = entry{name: name, src: f.Src, mode: mode, size: fi.Size()}
		for d := path.Dir(name); d != "."; d = path.Dir(d) {
			if _, isFile := byName[d]; isFile {
				return nil, fmt.Errorf("file %s: %s is also a file", f.Src, "/"+d)
			}
			byName[d+"/"] = entry{name: d + "/", mode: 0o755}
		}
	}
	for name, e := range byName {
		if e.src != "" {
			if _, isDir := byName[name+"/"]; isDir {
				return nil, fmt.Errorf("file %s: /%s is also a directory", e.src, name)
			}
		}
	}
	entries := make([]entry, 0, len(byName))
	for _, e := range byName {
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	return entries, nil
}
