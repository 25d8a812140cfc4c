package process

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"tide/internal/runtime"
)

func TestUsageOfBusyLoop(t *testing.T) {
	r := newRuntime(t, t.TempDir())
	// The loop runs in a child of the command, in the same process group.
	start(t, r, "task/busy", shellContainer("c", "sh -c 'while :; do :; done' & wait"))
	first := await(t, r, "task/busy", "c", 5*time.Second, "using CPU", func(c runtime.ContainerStatus) bool {
		return running(c) && c.Usage.CPUNanos > 0
	})
	if first.Usage.MemoryBytes == 0 {
		t.Errorf("memory usage = 0")
	}
	if first.Usage.At.IsZero() {
		t.Errorf("usage has no time")
	}
	await(t, r, "task/busy", "c", 5*time.Second, "using 200ms more CPU", func(c runtime.ContainerStatus) bool {
		return c.Usage.CPUNanos >= first.Usage.CPUNanos+uint64(200*time.Millisecond)
	})
}

func TestParseStat(t *testing.T) {
	// A command name with spaces and parentheses, as a program may choose.
	line := "4242 (a) b (c)) S 1 4240 4240 0 -1 4194560 100 0 0 0 7 3 2 1 20 0 1 0 987654 1000 55 18446744073709551615\n"
	got, err := parseStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	want := procInfo{pid: 4242, ppid: 1, pgid: 4240, state: 'S', startTicks: 987654, cpuTicks: 7 + 3 + 2 + 1, rssPages: 55}
	if got != want {
		t.Errorf("parseStat = %+v, want %+v", got, want)
	}
	for _, bad := range []string{"", "12 (x", "12 (x) S 1 2"} {
		if _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q) succeeded", bad)
		}
	}
}

func TestSelfIsAlive(t *testing.T) {
	p, err := readProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if !alive(p.pid, p.startTicks) || alive(p.pid, p.startTicks+1) {
		t.Errorf("alive does not tell this process from a reused pid")
	}
	if clockTicks() == 0 {
		t.Errorf("clock ticks = 0")
	}
}

func TestCgroup2Mount(t *testing.T) {
	mountinfo := `25 30 0:23 / /sys ro,nosuid - sysfs sysfs rw
35 25 0:30 / /sys/fs/cgroup/unified rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate
36 25 0:31 / /sys/fs/cgroup/memory rw,nosuid shared:10 - cgroup cgroup rw,memory
`
	if got := cgroup2Mount([]byte(mountinfo)); got != "/sys/fs/cgroup/unified" {
		t.Errorf("cgroup2Mount = %q", got)
	}
	if got := cgroup2Mount([]byte("1 2 0:1 / / rw - ext4 /dev/sda rw\n")); got != "" {
		t.Errorf("cgroup2Mount without cgroup2 = %q", got)
	}
}

// TestCgroupFiles checks what the runtime writes to and reads from cgroup
// v2 files, on a directory laid out like one: the kernel's own behaviour
// needs a cgroup v2 host with writable cpu and memory controllers.
func TestCgroupFiles(t *testing.T) {
	mount := t.TempDir()
	write(t, mount, "cgroup.controllers", "cpuset cpu io memory pids\n")
	write(t, mount, "cgroup.subtree_control", "")
	write(t, mount, "tide/cgroup.subtree_control", "")

	cg, err := makeParent(mount, "tide")
	if err != nil {
		t.Fatal(err)
	}
	dir, err := cg.create("t-0", runtime.ContainerSpec{CPU: 512, Memory: 256, MemoryReservation: 128})
	if err != nil {
		t.Fatal(err)
	}
	small, err := cg.create("t-1", runtime.ContainerSpec{CPU: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := addProcess(dir, 4242); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{
		"root subtree_control":   read(t, mount, "cgroup.subtree_control"),
		"parent subtree_control": read(t, mount, "tide/cgroup.subtree_control"),
		"cpu.max":                read(t, dir, "cpu.max"),
		"memory.max":             read(t, dir, "memory.max"),
		"memory.low":             read(t, dir, "memory.low"),
		"cgroup.procs":           read(t, dir, "cgroup.procs"),
		"smallest cpu.max":       read(t, small, "cpu.max"),
	}
	want := map[string]string{
		"root subtree_control":   "+cpu +memory",
		"parent subtree_control": "+cpu +memory",
		"cpu.max":                "50000 100000",
		"memory.max":             "268435456",
		"memory.low":             "134217728",
		"cgroup.procs":           "4242",
		"smallest cpu.max":       "1000 100000",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cgroup files (-want +got):\n%s", diff)
	}

	write(t, dir, "cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n")
	write(t, dir, "memory.current", "8192\n")
	write(t, dir, "memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 0\n")
	cpu, mem, err := cgroupUsage(dir)
	if err != nil || cpu != 1500000 || mem != 8192 {
		t.Errorf("cgroupUsage = %d, %d, %v; want 1500000, 8192", cpu, mem, err)
	}
	if oomKilled(dir) {
		t.Errorf("oomKilled with oom_kill 0")
	}
	write(t, dir, "memory.events", "oom 1\noom_kill 1\n")
	if !oomKilled(dir) {
		t.Errorf("not oomKilled with oom_kill 1")
	}

	write(t, mount, "cgroup.controllers", "hugetlb\n")
	if _, err := makeParent(mount, "tide"); err == nil {
		t.Errorf("makeParent succeeded without cpu and memory controllers")
	}
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
