package server

import (
	"context"
	"time"

	"tide/internal/lb"
	"tide/internal/metrics"
)

// publishMetrics turns the data plane's counters and the agents' task
// usage into CloudWatch metrics every period until ctx ends: into this
// server's metric store when it leads, else to the leader's.
func (s *Server) publishMetrics(ctx context.Context, period time.Duration, hires bool) {
	t := time.NewTicker(period)
	defer t.Stop()
	prev := s.lb.Counters()
	for {
		select {
		case <-ctx.Done():
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
