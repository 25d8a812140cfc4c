package docker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// logDrainTimeout bounds how long Remove waits for the output of an exited
// container to be copied to its log file.
const logDrainTimeout = 5 * time.Second

// Stop stops the task's containers: Docker sends SIGTERM, waits for the
// container's StopTimeout (recorded on the container when it was created,
// so a later Runtime honours it too), then sends SIGKILL. Containers are
// stopped in parallel, those joining an awsvpc namespace before its
// owner. Docker reports the exit code: a program that dies of SIGTERM
// exits 143, one killed after the timeout 137, one that handles SIGTERM
// whatever it chose. Stopping an unknown or stopped task does nothing.
// Containers that never started stay in state "created".
func (r *Runtime) Stop(ctx context.Context, taskArn string) error {
	unlock := r.locks.lock(taskArn)
	defer unlock()
	cs, err := r.managed(ctx, taskArn)
	if err != nil {
		return err
	}
	joiners, owners := stopOrder(cs)
	for _, group := range [][]container.Summary{joiners, owners} {
		err := parallel(len(group), func(i int) error {
			c := group[i]
			if c.State != container.StateRunning && c.State != container.StatePaused && c.State != container.StateRestarting {
				return nil
			}
			_, err := r.cli.ContainerStop(ctx, c.ID, client.ContainerStopOptions{})
			if err != nil && !cerrdefs.IsNotFound(err) {
				return fmt.Errorf("stop container %s of %s: %w", c.Labels[labelContainer], taskArn, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Remove removes the task's containers, running or not, after copying the
// rest of their output to their log files, and forgets where each log file
// was read up to. The log files themselves belong to whoever chose LogDir
// and are left in place. Removing an unknown task does nothing.
func (r *Runtime) Remove(ctx context.Context, taskArn string) error {
	unlock := r.locks.lock(taskArn)
	defer unlock()
	cs, err := r.managed(ctx, taskArn)
	if err != nil {
		return err
	}
	joiners, owners := stopOrder(cs)
	for _, group := range [][]container.Summary{joiners, owners} {
		err := parallel(len(group), func(i int) error {
			c := group[i]
			wait := time.Duration(0)
			if c.State == container.StateExited || c.State == container.StateDead {
				wait = logDrainTimeout
			}
			r.logs.forget(c.ID, wait)
			r.stats.forget(c.ID)
			_, err := r.cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
			if err != nil && !cerrdefs.IsNotFound(err) {
				return fmt.Errorf("remove container %s of %s: %w", c.Labels[labelContainer], taskArn, err)
			}
			if dir := c.Labels[labelLogDir]; dir != "" {
				pos := positionPath(filepath.Join(dir, c.Labels[labelContainer]+".log"))
				if err := os.Remove(pos); err != nil && !os.IsNotExist(err) {
					return fmt.Errorf("remove log position of %s: %w", c.Labels[labelContainer], err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
