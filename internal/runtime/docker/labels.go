package docker

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// Labels that the runtime puts on every container it creates. They are
// how a later Runtime finds the task, its containers and their order.
const (
	labelManaged     = "com.tide.managed"        // always "true"
	labelTaskArn     = "com.tide.task-arn"       // the task's ARN
	labelContainer   = "com.tide.container-name" // the container's name in the task definition
	labelIndex       = "com.tide.container-index"
	labelCluster     = "com.tide.cluster"
	labelFamily      = "com.tide.family"
	labelRevision    = "com.tide.revision"
	labelNetworkMode = "com.tide.network-mode"
	labelLogDir      = "com.tide.log-dir" // set when the spec asked for a log file
	labelOwner       = "com.tide.owner"   // the owning agent's host ID (WithOwner)
	labelPullStarted = "com.tide.pull-started"
	labelPullStopped = "com.tide.pull-stopped"
)

// Network modes of a task.
const (
	modeBridge = "bridge"
	modeHost   = "host"
	modeAWSVPC = "awsvpc"
	modeNone   = "none"
)

// taskID is the last segment of a task ARN
// (arn:aws:ecs:region:account:task/cluster/<id>).
func taskID(arn string) string {
	if i := strings.LastIndexAny(arn, "/:"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// containerName is the Docker name of container name of task arn:
// tide-<task id>-<name>, with characters Docker refuses replaced by '-'.
func containerName(arn, name string) string {
	return "tide-" + sanitize(taskID(arn)) + "-" + sanitize(name)
}

// sanitize keeps the characters Docker allows in a container name.
func sanitize(s string) string {
	return strings.Map(func(c rune) rune {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '_', c == '.', c == '-':
			return c
		}
		return '-'
	}, s)
}

// labels returns the labels of container i of a task.
func labels(arn, cluster, family string, revision int32, mode string, i int, name, logDir string) map[string]string {
	l := map[string]string{
		labelManaged:     "true",
		labelTaskArn:     arn,
		labelContainer:   name,
		labelIndex:       strconv.Itoa(i),
		labelCluster:     cluster,
		labelFamily:      family,
		labelRevision:    strconv.Itoa(int(revision)),
		labelNetworkMode: mode,
	}
	if logDir != "" {
		l[labelLogDir] = logDir
	}
	return l
}

// index is a container's position in its task definition.
func index(l map[string]string) int {
	i, err := strconv.Atoi(l[labelIndex])
	if err != nil {
		return 1 << 30
	}
	return i
}

// managed lists the containers this runtime created, for every task or,
// when arn is set, for that task only; running or not, in task order.
func (r *Runtime) managed(ctx context.Context, arn string) ([]container.Summary, error) {
	f := make(client.Filters).Add("label", labelManaged+"=true")
	if r.owner != "" {
		f.Add("label", labelOwner+"="+r.owner)
	}
	if arn != "" {
		f.Add("label", labelTaskArn+"="+arn)
	}
	res, err := r.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	items := res.Items
	sort.SliceStable(items, func(a, b int) bool {
		la, lb := items[a].Labels, items[b].Labels
		if la[labelTaskArn] != lb[labelTaskArn] {
			return la[labelTaskArn] < lb[labelTaskArn]
		}
		return index(la) < index(lb)
	})
	return items, nil
}

// joined reports whether a container shares another's network namespace
// (network mode container:<id>), as the non-first containers of an awsvpc
// task do.
func joined(mode string) (owner string, ok bool) {
	owner, ok = strings.CutPrefix(mode, "container:")
	if !ok {
		return "", false
	}
	return owner, true
}

// stopOrder splits a task's containers into those that join another's
// network namespace and the rest, so that namespace owners are stopped
// and removed last.
func stopOrder(cs []container.Summary) (joiners, owners []container.Summary) {
	for _, c := range cs {
		if _, ok := joined(c.HostConfig.NetworkMode); ok {
			joiners = append(joiners, c)
		} else {
			owners = append(owners, c)
		}
	}
	return joiners, owners
}
