package docker

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// logCopier copies containers' output from Docker into LogDir/<name>.log:
// one worker per container follows its log stream, stdout and stderr
// merged, one write per line Docker recorded. Next to each log file,
// <name>.log.pos holds the latest Docker timestamp copied, so that a
// copier of a later Runtime resumes where this one stopped. A crash
// between the two writes repeats a line; a line of one stream recorded
// after, but timestamped before, the last line copied of the other (a
// window of microseconds) is lost when a copier resumes.
//
// A worker runs until its container has exited and its output is copied,
// or until forget or close.
type logCopier struct {
	*workers
	cli *client.Client
	log *slog.Logger
}

// maxLogFailures bounds retries on a container that no longer runs.
const maxLogFailures = 5

func newLogCopier(cli *client.Client, log *slog.Logger) *logCopier {
	return &logCopier{workers: newWorkers(), cli: cli, log: log}
}

// positionPath is where the position of a log file is kept.
func positionPath(logPath string) string { return logPath + ".pos" }

// follow starts copying the output of container id, named name in its
// task, to dir/<name>.log, unless that is under way or done.
func (l *logCopier) follow(id, name, dir string) {
	path := filepath.Join(dir, name+".log")
	l.start(id, func(ctx context.Context) bool { return l.run(ctx, id, path) })
}

// run copies until the container has exited and its output is copied
// (complete), or until ctx ends or the container is not started yet. Only
// one copier, in any process, writes a log file at a time: the others wait
// for its lock on the position file.
func (l *logCopier) run(ctx context.Context, id, path string) (complete bool) {
	if _, err := l.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{}); cerrdefs.IsNotFound(err) {
		return true // gone: make no files for it
	}
	out, pf, err := openLog(path)
	if err != nil {
		l.log.Warn("cannot copy container output", "id", id, "err", err)
		return true
	}
	defer out.Close()
	defer pf.Close()
	for {
		ok, err := tryLock(pf)
		if err != nil {
			l.log.Warn("cannot lock log position", "path", positionPath(path), "err", err)
			return true
		}
		if ok {
			break
		}
		if !sleep(ctx, time.Second) {
			return false
		}
	}
	pos := readPosition(pf)
	failures := 0
	for {
		err := l.copy(ctx, id, out, pf, &pos)
		if ctx.Err() != nil {
			return false
		}
		res, ierr := l.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
		switch {
		case cerrdefs.IsNotFound(ierr):
			return true
		case ierr == nil && res.Container.State != nil && res.Container.State.Status == container.StateCreated:
			return false // started later; Start or List follows it again
		case ierr == nil && res.Container.State != nil && !res.Container.State.Running:
			if err == nil {
				return true
			}
			if failures++; failures >= maxLogFailures {
				l.log.Warn("giving up copying container output", "id", id, "path", path, "err", err)
				return true
			}
		}
		if err != nil {
			l.log.Debug("container output stream broke", "id", id, "err", err)
		}
		if !sleep(ctx, time.Second) {
			return false
		}
	}
}

// openLog opens a log file for appending and its position file.
func openLog(path string) (out, pos *os.File, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, nil, err
	}
	out, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, err
	}
	pos, err = os.OpenFile(positionPath(path), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		out.Close()
		return nil, nil, err
	}
	return out, pos, nil
}

// copy copies one log stream of container id to out, from after pos,
// advancing pos, the latest timestamp copied, and its file pf. Lines come
// in the order the engine recorded them, which is not quite timestamp
// order (stdout and stderr are read concurrently), so every line is
// written; only the ones at pos, which the engine resends when asked for
// what came since pos, are skipped. It returns nil when the stream ends.
func (l *logCopier) copy(ctx context.Context, id string, out, pf *os.File, pos *time.Time) error {
	opts := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: true, Timestamps: true}
	if !pos.IsZero() {
		opts.Since = pos.Format(time.RFC3339Nano)
	}
	from := *pos
	rc, err := l.cli.ContainerLogs(ctx, id, opts)
	if err != nil {
		return fmt.Errorf("open log stream: %w", err)
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 32<<10)
	var hdr [8]byte
	var buf []byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		n := int(binary.BigEndian.Uint32(hdr[4:]))
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		frame := buf[:n]
		if _, err := io.ReadFull(br, frame); err != nil {
			return err
		}
		if hdr[0] == 3 { // the engine's own error, not the container's output
			return fmt.Errorf("log stream: %s", bytes.TrimSpace(frame))
		}
		stamp, line, ok := bytes.Cut(frame, []byte{' '})
		t, err := time.Parse(time.RFC3339Nano, string(stamp))
		if !ok || err != nil {
			line, t = frame, *pos
		} else if !from.IsZero() && !t.After(from) {
			continue // the engine resends the line at from: copied already
		}
		if _, err := out.Write(line); err != nil {
			return err
		}
		if t.After(*pos) {
			*pos = t
			if _, err := pf.WriteAt(fmt.Appendf(nil, "%020d\n", t.UnixNano()), 0); err != nil {
				return err
			}
		}
	}
}

// readPosition reads a position file; zero when it is empty.
func readPosition(f *os.File) time.Time {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	v, err := strconv.ParseInt(strings.TrimSpace(string(b[:n])), 10, 64)
	if err != nil || v <= 0 {
		return time.Time{}
	}
	return time.Unix(0, v)
}
