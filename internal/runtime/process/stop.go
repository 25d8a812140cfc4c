package process

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"syscall"
	"time"
)

// killWait bounds how long Stop waits for processes to die after SIGKILL.
const killWait = 10 * time.Second

// Stop stops every container of the task at once: SIGTERM to its process
// group, SIGKILL after its StopTimeout (at once if ctx ends first). It
// returns when the containers' processes are gone. A container killed with
// SIGKILL exits with 137, as in Docker.
func (r *Runtime) Stop(ctx context.Context, taskArn string) error {
	unlock := r.lock(taskArn)
	defer unlock()
	dir := r.taskDir(taskArn)
	ts, err := loadTask(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	errs := make([]error, len(ts.Containers))
	var wg sync.WaitGroup
	for i, cs := range ts.Containers {
		wg.Go(func() {
			if err := r.stopContainer(ctx, cs, exitPath(dir, i)); err != nil {
				errs[i] = fmt.Errorf("stop container %s: %w", cs.Name, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// stopContainer stops one container and waits for it.
func (r *Runtime) stopContainer(ctx context.Context, cs containerState, exitFile string) error {
	// The supervisor's pid is the group ID. It is signalled only while the
	// supervisor itself runs: once it is gone, the ID may belong to
	// another process group.
	gone := func() bool { return !alive(cs.Pid, cs.StartTicks) && groupMembers(cs.Pid) == 0 }
	if !alive(cs.Pid, cs.StartTicks) {
		return nil
	}
	if err := syscall.Kill(-cs.Pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("SIGTERM: %w", err)
	}
	timeout := cs.StopTimeout
	if timeout <= 0 {
		timeout = defaultStopTimeout
	}
	if waitFor(ctx, timeout, gone) {
		return nil
	}
	r.log.Info("container ignored SIGTERM; killing it", "container", cs.Name, "pid", cs.Pid, "after", timeout)
	if alive(cs.Pid, cs.StartTicks) {
		if err := syscall.Kill(-cs.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("SIGKILL: %w", err)
		}
	}
	if cs.Cgroup != "" {
		if err := killCgroup(cs.Cgroup); err != nil {
			return err
		}
	}
	if !waitFor(context.Background(), killWait, gone) {
		return fmt.Errorf("process group %d still runs %s after SIGKILL", cs.Pid, killWait)
	}
	// SIGKILL took the supervisor with the command: record for it how the
	// command ended, unless it did so first.
	return writeExitIfMissing(exitFile, 128+int32(syscall.SIGKILL))
}

// Remove forgets a task whose containers have all exited: it deletes its
// directory and cgroups and frees its host ports. Removing a task the
// runtime does not have is not an error.
func (r *Runtime) Remove(ctx context.Context, taskArn string) error {
	unlock := r.lock(taskArn)
	defer unlock()
	dir := r.taskDir(taskArn)
	ts, err := loadTask(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return ignoreMissing(os.RemoveAll(dir))
	}
	if err != nil {
		return err
	}
	for _, cs := range ts.Containers {
		if alive(cs.Pid, cs.StartTicks) {
			return fmt.Errorf("remove task %s: container %s is running", taskArn, cs.Name)
		}
	}
	r.removeCgroups(ts)
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove task %s: %w", taskArn, err)
	}
	r.releasePorts(taskArn)
	r.mu.Lock()
	for _, cs := range ts.Containers {
		delete(r.health, [2]string{taskArn, cs.Name})
	}
	r.mu.Unlock()
	return nil
}
