package process

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"tide/internal/runtime"
)

// stateFile is the name of a task's record inside its task directory.
const stateFile = "task.json"

// taskState is what the runtime keeps on disk for one task, so that a new
// Runtime on the same directory finds the task again after an agent restart.
type taskState struct {
	TaskArn    string           `json:"taskArn"`
	Containers []containerState `json:"containers"`
}

// containerState is the record of one container. Pid 0 means the container
// has not been started (yet, or ever: the agent died while starting it).
type containerState struct {
	Name string `json:"name"`
	// Pid is the supervisor's process ID; it leads the container's session
	// and process group, so it is also the group ID that Stop signals.
	Pid int `json:"pid,omitempty"`
	// StartTicks is field 22 of /proc/PID/stat when the supervisor started:
	// a pid whose start time differs is another process that reused it.
	StartTicks  uint64               `json:"startTicks,omitempty"`
	StartedAt   time.Time            `json:"startedAt,omitzero"`
	Bindings    []runtime.Binding    `json:"bindings,omitempty"`
	StopTimeout time.Duration        `json:"stopTimeout"`
	Cgroup      string               `json:"cgroup,omitempty"` // cgroup v2 directory, when limits apply
	HealthCheck *runtime.HealthCheck `json:"healthCheck,omitempty"`
	// Env, Dir and User are kept for health checks, which run like the
	// container: with its environment, in its directory, as its user.
	Env  []string `json:"env,omitempty"`
	Dir  string   `json:"dir,omitempty"`
	User *ids     `json:"user,omitempty"`
}

// ids is a numeric user and group a container runs as.
type ids struct {
	UID uint32 `json:"uid"`
	GID uint32 `json:"gid"`
}

// taskKey names a task's directory: the task ID for people reading the
// directory, and a hash of the whole ARN so that names never collide.
func taskKey(arn string) string {
	sum := sha256.Sum256([]byte(arn))
	tail := arn[strings.LastIndexByte(arn, '/')+1:]
	tail = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, tail)
	if len(tail) > 64 {
		tail = tail[:64]
	}
	return tail + "-" + hex.EncodeToString(sum[:8])
}

// exitPath is where container i's supervisor records its exit code.
func exitPath(taskDir string, i int) string {
	return filepath.Join(taskDir, strconv.Itoa(i)+".exit")
}

// loadTask reads the record in taskDir; the error wraps fs.ErrNotExist when
// there is none.
func loadTask(taskDir string) (taskState, error) {
	var ts taskState
	b, err := os.ReadFile(filepath.Join(taskDir, stateFile))
	if err != nil {
		return ts, err
	}
	if err := json.Unmarshal(b, &ts); err != nil {
		return ts, fmt.Errorf("task record %s: %w", taskDir, err)
	}
	return ts, nil
}

// saveTask replaces the record in taskDir atomically, so that a reader (or
// the next agent) sees the old record or the new one, never half of one.
func saveTask(taskDir string, ts taskState) error {
	b, err := json.MarshalIndent(ts, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(taskDir, stateFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("save task record: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(taskDir, stateFile)); err != nil {
		return fmt.Errorf("save task record: %w", err)
	}
	return nil
}

// readExit reads an exit file. ok is false while the container has not
// exited: the file is created empty at start and the supervisor writes the
// code into it, in one write, when the command ends.
func readExit(path string) (code int32, at time.Time, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, time.Time{}, false
	}
	defer f.Close()
	var buf [32]byte
	n, _ := f.Read(buf[:])
	s := string(bytes.TrimSpace(buf[:n]))
	c, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, time.Time{}, false
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, time.Time{}, false
	}
	return int32(c), fi.ModTime(), true
}

// writeExitIfMissing records code for a container whose supervisor died
// before it could (Stop killed it with its group).
func writeExitIfMissing(path string, code int32) error {
	if _, _, ok := readExit(path); ok {
		return nil
	}
	err := os.WriteFile(path, []byte(strconv.Itoa(int(code))+"\n"), 0o600)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("record exit code: %w", err)
	}
	return nil
}
