package ecs

import (
	"encoding/json"
	"sort"
	"strings"
	"time"

	"tide/internal/metrics"
)

// taskLoad is what one running task uses and reserves.
type taskLoad struct {
	id                       string
	cpuUsed, memUsed         float64 // CPU units, MiB
	cpuReserved, memReserved float64
	rx, tx                   float64 // bytes per second
	hasCPU                   bool    // two samples give a CPU rate
}

// usageOf returns a running task's load from the latest two reports.
func (b *usageBook) usageOf(arn string, cpuRes, memRes int32) (taskLoad, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	tu, ok := b.tasks[arn]
	if !ok {
		return taskLoad{}, false
	}
	l := taskLoad{id: taskID(arn), cpuReserved: float64(cpuRes), memReserved: float64(memRes), hasCPU: true}
	for name, u := range tu.containers {
		l.memUsed += float64(u.MemoryBytes) / (1 << 20)
		p, ok := tu.prev[name]
		if !ok || !p.At.Before(u.At) || u.CPUNanos < p.CPUNanos {
			l.hasCPU = false
			continue
		}
		secs := u.At.Sub(p.At).Seconds()
		l.cpuUsed += float64(u.CPUNanos-p.CPUNanos) / 1e9 / secs * 1024
		if u.RxBytes >= p.RxBytes && u.TxBytes >= p.TxBytes {
			l.rx += float64(u.RxBytes-p.RxBytes) / secs
			l.tx += float64(u.TxBytes-p.TxBytes) / secs
		}
	}
	return l, true
}

// MetricData returns the metrics ECS and Container Insights publish for the
// tasks the agents report, stamped at (hires stores them at one second):
//
//   - AWS/ECS CPUUtilization and MemoryUtilization per ClusterName and
//     ServiceName and per ClusterName, computed as ECS does: the units used
//     by a task ÷ the units it reserves × 100 (above 100 when a task uses
//     more than it reserved), as a statistic set over the tasks, so that
//     Average, Minimum and Maximum are those of the tasks;
//     CPUReservation and MemoryReservation per ClusterName: what tasks on
//     container instances reserve ÷ what the instances registered × 100.
//   - ECS/ContainerInsights per ClusterName, ServiceName and TaskId (the
//     per-task view), per ClusterName and ServiceName, and per ClusterName:
//     CpuUtilized and CpuReserved (CPU units), MemoryUtilized and
//     MemoryReserved (MiB), NetworkRxBytes and NetworkTxBytes (bytes per
//     second); per service also RunningTaskCount, PendingTaskCount,
//     DesiredTaskCount and DeploymentCount; per cluster TaskCount,
//     ServiceCount and ContainerInstanceCount.
//
// A task's CPU appears from its second report on (a rate needs two).
func (a *API) MetricData(at time.Time, hires bool) []metrics.Datum {
	a.usage.expire(at.Add(-30 * time.Second))
	var out []metrics.Datum
	put := func(ns, name, unit string, v float64, dims ...metrics.Dimension) {
		out = append(out, metrics.Datum{Namespace: ns, MetricName: name, Dimensions: dims, Time: at, Value: v, Unit: unit, HighResolution: hires})
	}
	for _, cluster := range a.clusterNames() {
		cdim := metrics.Dimension{Name: "ClusterName", Value: cluster}
		byService := map[string][]taskLoad{}
		var all []taskLoad
		var reservedCPU, reservedMem float64
		tasks := 0
		for _, t := range a.tasksOf(cluster) {
			if t.LastStatus == "STOPPED" {
				continue
			}
			tasks++
			cpu, mem := taskReservation(t)
			if t.ContainerInstanceArn != "" && t.LaunchType != "FARGATE" {
				reservedCPU += float64(cpu)
				reservedMem += float64(mem)
			}
			if t.LastStatus != "RUNNING" {
				continue
			}
			l, ok := a.usage.usageOf(t.TaskArn, cpu, mem)
			if !ok {
				continue
			}
			all = append(all, l)
			if svc, ok := strings.CutPrefix(t.Group, "service:"); ok {
				byService[svc] = append(byService[svc], l)
			}
		}
		services := 0
		for _, s := range a.servicesOf(cluster) {
			if s.Status != "ACTIVE" {
				continue
			}
			services++
			s = a.describeService(cluster, s)
			sdim := metrics.Dimension{Name: "ServiceName", Value: s.ServiceName}
			loads := byService[s.ServiceName]
			out = append(out, utilization(loads, at, hires, cdim, sdim)...)
			out = append(out, insights(loads, at, hires, cdim, sdim)...)
			for _, l := range loads {
				out = append(out, insights([]taskLoad{l}, at, hires, cdim, sdim, metrics.Dimension{Name: "TaskId", Value: l.id})...)
			}
			put(insightsNS, "RunningTaskCount", "Count", float64(s.RunningCount), cdim, sdim)
			put(insightsNS, "PendingTaskCount", "Count", float64(s.PendingCount), cdim, sdim)
			put(insightsNS, "DesiredTaskCount", "Count", float64(s.DesiredCount), cdim, sdim)
			put(insightsNS, "DeploymentCount", "Count", float64(len(s.Deployments)), cdim, sdim)
		}
		out = append(out, utilization(all, at, hires, cdim)...)
		out = append(out, insights(all, at, hires, cdim)...)
		put(insightsNS, "TaskCount", "Count", float64(tasks), cdim)
		put(insightsNS, "ServiceCount", "Count", float64(services), cdim)
		regCPU, regMem, instances := a.registeredCapacity(cluster)
		put(insightsNS, "ContainerInstanceCount", "Count", float64(instances), cdim)
		if regCPU > 0 {
			put("AWS/ECS", "CPUReservation", "Percent", reservedCPU/regCPU*100, cdim)
		}
		if regMem > 0 {
			put("AWS/ECS", "MemoryReservation", "Percent", reservedMem/regMem*100, cdim)
		}
	}
	return out
}

const insightsNS = "ECS/ContainerInsights"

// utilization is AWS/ECS CPUUtilization and MemoryUtilization over loads:
// one statistic set of the tasks' percentages.
func utilization(loads []taskLoad, at time.Time, hires bool, dims ...metrics.Dimension) []metrics.Datum {
	var cpu, mem metrics.StatisticSet
	for _, l := range loads {
		if l.hasCPU && l.cpuReserved > 0 {
			addSample(&cpu, l.cpuUsed/l.cpuReserved*100)
		}
		if l.memReserved > 0 {
			addSample(&mem, l.memUsed/l.memReserved*100)
		}
	}
	var out []metrics.Datum
	for _, m := range []struct {
		name string
		s    metrics.StatisticSet
	}{{"CPUUtilization", cpu}, {"MemoryUtilization", mem}} {
		if m.s.SampleCount > 0 {
			s := m.s
			out = append(out, metrics.Datum{Namespace: "AWS/ECS", MetricName: m.name, Dimensions: dims, Time: at, Stats: &s, Unit: "Percent", HighResolution: hires})
		}
	}
	return out
}

func addSample(s *metrics.StatisticSet, v float64) {
	if s.SampleCount == 0 || v < s.Minimum {
		s.Minimum = v
	}
	if s.SampleCount == 0 || v > s.Maximum {
		s.Maximum = v
	}
	s.SampleCount++
	s.Sum += v
}

// insights is the Container Insights usage sums over loads.
func insights(loads []taskLoad, at time.Time, hires bool, dims ...metrics.Dimension) []metrics.Datum {
	if len(loads) == 0 {
		return nil
	}
	var cpuUsed, cpuRes, memUsed, memRes, rx, tx float64
	cpuKnown := true
	for _, l := range loads {
		cpuKnown = cpuKnown && l.hasCPU
		cpuUsed += l.cpuUsed
		cpuRes += l.cpuReserved
		memUsed += l.memUsed
		memRes += l.memReserved
		rx += l.rx
		tx += l.tx
	}
	d := func(name, unit string, v float64) metrics.Datum {
		return metrics.Datum{Namespace: insightsNS, MetricName: name, Dimensions: dims, Time: at, Value: v, Unit: unit, HighResolution: hires}
	}
	out := []metrics.Datum{
		d("CpuReserved", "None", cpuRes), d("MemoryUtilized", "Megabytes", memUsed), d("MemoryReserved", "Megabytes", memRes),
	}
	if cpuKnown {
		out = append(out, d("CpuUtilized", "None", cpuUsed), d("NetworkRxBytes", "Bytes/Second", rx), d("NetworkTxBytes", "Bytes/Second", tx))
	}
	return out
}

// clusterNames returns the names of the clusters that have tasks or
// services, sorted.
func (a *API) clusterNames() []string {
	seen := map[string]bool{}
	for _, prefix := range []string{"tasks/", "services/"} {
		for _, kv := range a.store.List(prefix) {
			name, _, _ := strings.Cut(strings.TrimPrefix(kv.Key, prefix), "/")
			seen[name] = true
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (a *API) servicesOf(cluster string) []*Service {
	var out []*Service
	for _, kv := range a.store.List("services/" + cluster + "/") {
		var s Service
		if json.Unmarshal(kv.Value, &s) == nil {
			out = append(out, &s)
		}
	}
	return out
}

// registeredCapacity sums the CPU units and MiB the cluster's active
// container instances registered.
func (a *API) registeredCapacity(cluster string) (cpu, mem float64, n int) {
	for _, kv := range a.store.List("instances/" + cluster + "/") {
		var ci ContainerInstance
		if json.Unmarshal(kv.Value, &ci) != nil || ci.Status != "ACTIVE" {
			continue
		}
		n++
		for _, r := range ci.RegisteredResources {
			switch r.Name {
			case "CPU":
				cpu += float64(r.IntegerValue)
			case "MEMORY":
				mem += float64(r.IntegerValue)
			}
		}
	}
	return cpu, mem, n
}
