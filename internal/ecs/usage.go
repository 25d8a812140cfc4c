package ecs

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"tide/internal/runtime"
)

// usageBook keeps the latest resource usage that agents reported for each
// running container, in memory: agents report it with every poll (at least
// once a second), and it is kept for the metrics, not in the store.
type usageBook struct {
	mu    sync.Mutex
	tasks map[string]taskUsage // by task ARN
}

type taskUsage struct {
	cluster, family, service string
	containers               map[string]runtime.Usage
	prev                     map[string]runtime.Usage // the sample before, for rates
	seen                     time.Time
}

// record folds one report into the book.
func (b *usageBook) record(cluster, group, family string, st runtime.TaskStatus, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tasks == nil {
		b.tasks = map[string]taskUsage{}
	}
	tu := taskUsage{cluster: cluster, family: family, containers: map[string]runtime.Usage{}, prev: map[string]runtime.Usage{}, seen: now}
	old := b.tasks[st.TaskArn]
	if s, ok := strings.CutPrefix(group, "service:"); ok {
		tu.service = s
	}
	running := false
	for _, c := range st.Containers {
		if c.State == runtime.StateRunning && !c.Usage.At.IsZero() {
			tu.containers[c.Name] = c.Usage
			running = true
			if o, ok := old.containers[c.Name]; ok && o.At.Before(c.Usage.At) {
				tu.prev[c.Name] = o
			} else if p, ok := old.prev[c.Name]; ok {
				tu.prev[c.Name] = p // the same sample reported again
			}
		}
	}
	if running {
		b.tasks[st.TaskArn] = tu
	} else {
		delete(b.tasks, st.TaskArn)
	}
}

// expire forgets tasks no agent reported for a while (stopped, or lost).
func (b *usageBook) expire(before time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for arn, tu := range b.tasks {
		if tu.seen.Before(before) {
			delete(b.tasks, arn)
		}
	}
}

// ServeMetrics writes the containers' usage in the Prometheus text format.
func (a *API) ServeMetrics(w http.ResponseWriter, r *http.Request) {
	a.usage.expire(a.now().Add(-30 * time.Second))
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	a.writeMetrics(w)
}

func (a *API) writeMetrics(w io.Writer) {
	a.usage.mu.Lock()
	arns := make([]string, 0, len(a.usage.tasks))
	for arn := range a.usage.tasks {
		arns = append(arns, arn)
	}
	sort.Strings(arns)
	type row struct {
		labels string
		u      runtime.Usage
	}
	var rows []row
	for _, arn := range arns {
		tu := a.usage.tasks[arn]
		names := make([]string, 0, len(tu.containers))
		for n := range tu.containers {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			rows = append(rows, row{fmt.Sprintf(`cluster=%q,service=%q,task_definition_family=%q,task_id=%q,container=%q`, tu.cluster, tu.service, tu.family, taskID(arn), n), tu.containers[n]})
		}
	}
	a.usage.mu.Unlock()
	fmt.Fprintln(w, "# HELP tide_container_cpu_seconds_total CPU time a task's container has used.")
	fmt.Fprintln(w, "# TYPE tide_container_cpu_seconds_total counter")
	for _, r := range rows {
		fmt.Fprintf(w, "tide_container_cpu_seconds_total{%s} %g\n", r.labels, float64(r.u.CPUNanos)/1e9)
	}
	fmt.Fprintln(w, "# HELP tide_container_memory_bytes Memory a task's container uses now.")
	fmt.Fprintln(w, "# TYPE tide_container_memory_bytes gauge")
	for _, r := range rows {
		fmt.Fprintf(w, "tide_container_memory_bytes{%s} %d\n", r.labels, r.u.MemoryBytes)
	}
	fmt.Fprintln(w, "# HELP tide_container_network_receive_bytes_total Bytes a task's container received.")
	fmt.Fprintln(w, "# TYPE tide_container_network_receive_bytes_total counter")
	for _, r := range rows {
		fmt.Fprintf(w, "tide_container_network_receive_bytes_total{%s} %d\n", r.labels, r.u.RxBytes)
	}
	fmt.Fprintln(w, "# HELP tide_container_network_transmit_bytes_total Bytes a task's container sent.")
	fmt.Fprintln(w, "# TYPE tide_container_network_transmit_bytes_total counter")
	for _, r := range rows {
		fmt.Fprintf(w, "tide_container_network_transmit_bytes_total{%s} %d\n", r.labels, r.u.TxBytes)
	}
}
