package ecs

import (
	"encoding/json"
	"strconv"
)

// clusterCounts are the derived counts of a cluster.
type clusterCounts struct {
	instances, running, pending, services, draining int32
	byLaunch                                        map[string]int32 // statistics keys
}

func (c clusterCounts) pairs() []KeyValuePair {
	out := []KeyValuePair{}
	for _, k := range []string{
		"runningEC2TasksCount", "runningFargateTasksCount", "pendingEC2TasksCount", "pendingFargateTasksCount",
		"activeEC2ServiceCount", "activeFargateServiceCount", "drainingEC2ServiceCount", "drainingFargateServiceCount",
	} {
		out = append(out, KeyValuePair{Name: str(k), Value: str(strconv.Itoa(int(c.byLaunch[k])))})
	}
	return out
}

// clusterStats counts a cluster's instances, tasks and services.
func (a *API) clusterStats(cluster string) clusterCounts {
	c := clusterCounts{byLaunch: map[string]int32{}}
	for _, kv := range a.store.List("instances/" + cluster + "/") {
		var ci ContainerInstance
		if json.Unmarshal(kv.Value, &ci) == nil && (ci.Status == "ACTIVE" || ci.Status == "DRAINING") {
			c.instances++
		}
	}
	for _, t := range a.tasksOf(cluster) {
		lt := "EC2"
		if t.LaunchType == "FARGATE" {
			lt = "Fargate"
		}
		switch {
		case t.LastStatus == "RUNNING":
			c.running++
			c.byLaunch["running"+lt+"TasksCount"]++
		case t.LastStatus != "STOPPED":
			c.pending++
			c.byLaunch["pending"+lt+"TasksCount"]++
		}
	}
	for _, kv := range a.store.List("services/" + cluster + "/") {
		var s Service
		if json.Unmarshal(kv.Value, &s) != nil {
			continue
		}
		lt := "EC2"
		if s.LaunchType == "FARGATE" || len(s.CapacityProviderStrategy) > 0 {
			lt = "Fargate"
		}
		switch s.Status {
		case "ACTIVE":
			c.services++
			c.byLaunch["active"+lt+"ServiceCount"]++
		case "DRAINING":
			c.draining++
			c.byLaunch["draining"+lt+"ServiceCount"]++
		}
	}
	return c
}
