package server

import (
	"context"
	"time"

	"tide/internal/lb"
	"tide/internal/metrics"
)

// publishLag is how long after a period ends its metrics are published:
// the alarm controller evaluates a period publishLag plus a little after
// its end (timing.alarmDelay).
const publishLag = 100 * time.Millisecond

// publishMetrics turns the data plane's counters and the agents' task
// usage into CloudWatch metrics every period, publishLag after each
// period's end, until ctx ends: into this server's metric store when it
// leads, else to the leader's.
func (s *Server) publishMetrics(ctx context.Context, period time.Duration, hires bool) {
	prev := s.lb.Counters()
	for {
		next := time.Now().Truncate(period).Add(period + publishLag)
		t := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case now := <-t.C:
			at := now.Truncate(period).Add(-period) // the period that just ended
			cur := s.lb.Counters()
			data := lb.Datums(prev, cur, at, hires)
			prev = cur
			data = append(data, s.ecs.MetricData(at, hires)...)
			s.deliverMetrics(ctx, data)
		}
	}
}

// deliverMetrics puts data into the leader's metric store.
func (s *Server) deliverMetrics(ctx context.Context, data []metrics.Datum) {
	if len(data) == 0 {
		return
	}
	if base, ok := s.leaderURL(); ok {
		err := s.sendMetrics(ctx, base, data)
		if err == nil {
			return
		}
		if ctx.Err() == nil {
			s.log.Warn("send metrics to the leader", "leader", base, "err", err)
		}
	}
	s.metrics.Put(data...)
}
