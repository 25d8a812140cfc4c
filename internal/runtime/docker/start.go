package docker

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/authconfig"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"

	"tide/internal/runtime"
)

// Start creates and starts the containers of spec. When the task already
// has containers (started by this or an earlier Runtime), it does nothing.
//
// Images are pulled as ensureImage says (with the credential from
// WithAuth: every time; without: when absent). In bridge mode a host port of 0 lets
// Docker pick one. In awsvpc mode the task gets its own address on the
// runtime's network (see WithNetworkName): the first essential container
// owns the network namespace and the others join it, so they all share
// the address and localhost, as containers of an awsvpc task do on ECS.
// There is no pause container, so the namespace lives as long as its
// owner; when the owner exits the others lose their network, which ECS
// semantics make moot, since an essential container's exit stops the task.
//
// When a container cannot be created, Start removes the ones it created
// and returns an error wrapping ErrCannotPull or ErrCannotCreate; the task
// then does not exist. When a container cannot be started, Start returns
// an error wrapping ErrCannotStart and leaves the task in place: List
// reports that container exited, with the reason.
func (r *Runtime) Start(ctx context.Context, spec runtime.TaskSpec) error {
	if err := validate(spec); err != nil {
		return err
	}
	unlock := r.locks.lock(spec.TaskArn)
	defer unlock()
	existing, err := r.managed(ctx, spec.TaskArn)
	if err != nil {
		return err
	}
	if len(existing) > 0 {
		return nil
	}
	pull := pullWindow{start: time.Now()}
	for _, image := range images(spec) {
		if err := r.ensureImage(ctx, image); err != nil {
			return fmt.Errorf("%w: %w", ErrCannotPull, err)
		}
	}
	pull.stop = time.Now()
	ids, err := r.create(ctx, spec, pull)
	if err != nil {
		r.removeIDs(context.WithoutCancel(ctx), ids)
		return fmt.Errorf("%w: %w", ErrCannotCreate, err)
	}
	return r.start(ctx, spec, ids)
}

// pullWindow is when a task's image pulls began and ended (ECS's
// pullStartedAt and pullStoppedAt); it is kept in container labels.
type pullWindow struct{ start, stop time.Time }

// images lists the distinct images of a task.
func images(spec runtime.TaskSpec) []string {
	var out []string
	for _, c := range spec.Containers {
		if !slices.Contains(out, c.Image) {
			out = append(out, c.Image)
		}
	}
	return out
}

// ensureImage makes sure the host has image. An image WithAuth has
// credentials for is pulled every time, as the ECS agent does by default, so
// that a tag pushed again (web:latest) runs its new content; Docker fetches
// only what changed, and a failed pull falls back to the copy the host has.
// Other images are pulled only when absent.
func (r *Runtime) ensureImage(ctx context.Context, image string) error {
	_, err := r.cli.ImageInspect(ctx, image)
	present := err == nil
	if err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("inspect image %q: %w", image, err)
	}
	var a RegistryAuth
	if r.auth != nil {
		if a, err = r.auth(ctx, image); err != nil {
			if present {
				return nil
			}
			return fmt.Errorf("credentials for %q: %w", image, err)
		}
	}
	if present && a == (RegistryAuth{}) {
		return nil
	}
	var opts client.ImagePullOptions
	if a != (RegistryAuth{}) {
		enc, err := authconfig.Encode(registry.AuthConfig{
			Username:      a.Username,
			Password:      a.Password,
			ServerAddress: a.ServerAddress,
			IdentityToken: a.IdentityToken,
			RegistryToken: a.RegistryToken,
		})
		if err != nil {
			return fmt.Errorf("encode credentials for %q: %w", image, err)
		}
		opts.RegistryAuth = enc
	}
	r.log.InfoContext(ctx, "pulling image", "image", image)
	err = r.pull(ctx, image, opts)
	if err != nil && present {
		r.log.WarnContext(ctx, "pull failed; using the image the host has", "image", image, "err", err)
		return nil
	}
	return err
}

func (r *Runtime) pull(ctx context.Context, image string, opts client.ImagePullOptions) error {
	resp, err := r.cli.ImagePull(ctx, image, opts)
	if err != nil {
		return fmt.Errorf("pull %q: %w", image, err)
	}
	defer resp.Close()
	if err := resp.Wait(ctx); err != nil {
		return fmt.Errorf("pull %q: %w", image, err)
	}
	return nil
}

// create creates the task's containers and returns their IDs by index
// ("" for those not created). In awsvpc mode the namespace owner is
// created first, on the runtime's network, and the others join it.
func (r *Runtime) create(ctx context.Context, spec runtime.TaskSpec, pull pullWindow) ([]string, error) {
	ids := make([]string, len(spec.Containers))
	netMode := taskMode(spec)
	var rest []int
	for i := range spec.Containers {
		rest = append(rest, i)
	}
	if netMode == modeAWSVPC {
		netID, err := r.ensureNetwork(ctx)
		if err != nil {
			return ids, err
		}
		owner := namespaceOwner(spec)
		if ids[owner], err = r.createOne(ctx, spec, owner, netID, pull); err != nil {
			return ids, err
		}
		rest = slices.DeleteFunc(rest, func(i int) bool { return i == owner })
		netMode = "container:" + ids[owner]
	}
	err := parallel(len(rest), func(k int) error {
		id, err := r.createOne(ctx, spec, rest[k], netMode, pull)
		ids[rest[k]] = id
		return err
	})
	return ids, err
}

// createOne creates container i of spec in network mode netMode.
func (r *Runtime) createOne(ctx context.Context, spec runtime.TaskSpec, i int, netMode string, pull pullWindow) (string, error) {
	opts, err := createOptions(spec, i, netMode, cpuPolicy{sharesOnly: r.cpuShares, ncpu: r.ncpu})
	if err != nil {
		return "", err
	}
	if r.owner != "" {
		opts.Config.Labels[labelOwner] = r.owner
	}
	opts.Config.Labels[labelPullStarted] = pull.start.UTC().Format(time.RFC3339Nano)
	opts.Config.Labels[labelPullStopped] = pull.stop.UTC().Format(time.RFC3339Nano)
	res, err := r.cli.ContainerCreate(ctx, opts)
	if err != nil {
		return "", fmt.Errorf("create container %q: %w", spec.Containers[i].Name, err)
	}
	return res.ID, nil
}

// start starts the created containers, the awsvpc namespace owner first,
// and begins copying their logs. If the owner fails to start, the others
// cannot, and are removed.
func (r *Runtime) start(ctx context.Context, spec runtime.TaskSpec, ids []string) error {
	order := make([]int, len(ids))
	for i := range order {
		order[i] = i
	}
	if taskMode(spec) == modeAWSVPC {
		owner := namespaceOwner(spec)
		if err := r.startOne(ctx, spec, owner, ids[owner]); err != nil {
			others := slices.Delete(slices.Clone(ids), owner, owner+1)
			r.removeIDs(context.WithoutCancel(ctx), others)
			return err
		}
		order = slices.Delete(order, owner, owner+1)
	}
	return parallel(len(order), func(k int) error {
		i := order[k]
		return r.startOne(ctx, spec, i, ids[i])
	})
}

// startOne starts one container and, when asked, copies its output to
// LogDir/<name>.log.
func (r *Runtime) startOne(ctx context.Context, spec runtime.TaskSpec, i int, id string) error {
	c := spec.Containers[i]
	if _, err := r.cli.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		return fmt.Errorf("%w: start container %q: %w", ErrCannotStart, c.Name, err)
	}
	r.stats.watch(id)
	if c.LogDir != "" {
		r.logs.follow(id, c.Name, c.LogDir)
	}
	return nil
}

// removeIDs force-removes containers, ignoring empty IDs and those
// already gone; it is the clean-up of a failed Start, so it only logs.
func (r *Runtime) removeIDs(ctx context.Context, ids []string) {
	for _, id := range ids {
		if id == "" {
			continue
		}
		r.logs.forget(id, 0)
		r.stats.forget(id)
		_, err := r.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true})
		if err != nil && !cerrdefs.IsNotFound(err) {
			r.log.WarnContext(ctx, "remove container after failed start", "id", id, "err", err)
		}
	}
}

// ensureNetwork returns the ID of the awsvpc network, creating it when it
// does not exist. Docker picks its subnet from its address pools. When
// several networks have the name (Docker before API 1.44 allowed it), the
// oldest wins.
func (r *Runtime) ensureNetwork(ctx context.Context) (string, error) {
	r.netMu.Lock()
	defer r.netMu.Unlock()
	res, err := r.cli.NetworkList(ctx, client.NetworkListOptions{
		Filters: make(client.Filters).Add("name", r.network),
	})
	if err != nil {
		return "", fmt.Errorf("list networks: %w", err)
	}
	nets := slices.DeleteFunc(res.Items, func(n network.Summary) bool { return n.Name != r.network })
	if len(nets) > 0 {
		sort.Slice(nets, func(a, b int) bool { return nets[a].Created.Before(nets[b].Created) })
		return nets[0].ID, nil
	}
	created, err := r.cli.NetworkCreate(ctx, r.network, client.NetworkCreateOptions{
		Driver: "bridge",
		Labels: map[string]string{labelManaged: "true"},
	})
	if err != nil {
		return "", fmt.Errorf("create network %q: %w", r.network, err)
	}
	r.log.InfoContext(ctx, "created awsvpc network", "network", r.network, "id", created.ID)
	return created.ID, nil
}

// Prefetch pulls image unless the host already has it, so that the tasks
// that need it later start without a pull.
func (r *Runtime) Prefetch(ctx context.Context, image string) error {
	return r.ensureImage(ctx, image)
}
