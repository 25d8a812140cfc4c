package docker

import (
	"fmt"
	"os/exec"
	"slices"
	"testing"
	"time"

	"tide/internal/runtime"
)

// TestStartLatency compares Start (until the container runs) with
// `docker run -d` of the same image and port mapping, interleaved, and
// holds Start to the target: a median at most 1 s.
func TestStartLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("timing run skipped in -short mode")
	}
	r := newRuntime(t)
	docker, lookErr := exec.LookPath("docker")
	const n = 10
	var starts, runs []time.Duration
	for i := range n {
		arn := newArn(t)
		c := app("web")
		c.PortMappings = []runtime.PortMapping{{ContainerPort: 8080}}
		began := time.Now()
		startTask(t, r, task(arn, "bridge", c))
		starts = append(starts, time.Since(began))
		if err := r.Remove(t.Context(), arn); err != nil {
			t.Fatal(err)
		}
		if lookErr != nil {
			continue
		}
		name := fmt.Sprintf("tide-latency-%s-%d", runID, i)
		t.Cleanup(func() { exec.Command(docker, "rm", "-f", name).Run() })
		began = time.Now()
		out, err := exec.Command(docker, "run", "-d", "--name", name, "-p", "8080", testImage).CombinedOutput()
		runs = append(runs, time.Since(began))
		if err != nil {
			t.Fatalf("docker run: %v\n%s", err, out)
		}
		exec.Command(docker, "rm", "-f", name).Run()
	}
	ms, mr := median(starts), median(runs)
	t.Logf("Start: median %v, min %v, max %v", ms, slices.Min(starts), slices.Max(starts))
	if len(runs) > 0 {
		t.Logf("docker run -d: median %v, min %v, max %v; ratio %.2f", mr, slices.Min(runs), slices.Max(runs), float64(ms)/float64(mr))
	}
	if ms > time.Second {
		t.Errorf("median Start %v, want at most 1s", ms)
	}
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
