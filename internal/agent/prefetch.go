package agent

import (
	"context"
	"time"
)

// prefetcher is a runtime that can pull an image ahead of need.
type prefetcher interface {
	Prefetch(ctx context.Context, image string) error
}

// prefetchRetry is how long a failed prefetch waits before it is tried again.
const prefetchRetry = 30 * time.Second

// prefetchLoop pulls the images the server lists for this host's services,
// one at a time, so that the tasks a scale-out places here start without
// waiting on a pull. The latest list sent on wants replaces any older one.
func (a *Agent) prefetchLoop(ctx context.Context, pf prefetcher, wants <-chan []string) {
	done := map[string]bool{}
	failed := map[string]time.Time{}
	for {
		var images []string
		select {
		case <-ctx.Done():
			return
		case images = <-wants:
		}
		for _, img := range images {
			if done[img] || time.Since(failed[img]) < prefetchRetry || ctx.Err() != nil {
				continue
			}
			start := time.Now()
			if err := pf.Prefetch(ctx, img); err != nil {
				failed[img] = time.Now()
				a.log.Warn("image prefetch", "image", img, "err", err)
				continue
			}
			done[img] = true
			a.log.Info("image prefetched", "image", img, "took", time.Since(start).Round(time.Millisecond))
		}
	}
}

// offer hands the latest image list to the prefetch loop without blocking.
func offer(ch chan []string, images []string) {
	select {
	case <-ch: // drop the stale list
	default:
	}
	select {
	case ch <- images:
	default:
	}
}
