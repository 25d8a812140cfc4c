package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"tide/internal/agentapi"
	"tide/internal/edge"
	"tide/internal/metrics"
	"tide/internal/sigv4"
)

// Metrics live in the leader's memory: it evaluates the alarms that read
// them. Every other server forwards CloudWatch requests to the leader and
// sends it the metrics of its own load balancers and agents, so that every
// server answers the same and alarms see all the data. After a change of
// leader the new one starts with the data that arrives from then on.

const electionPrefix = "/tide-election/controllers"

// watchLeader keeps the elected leader's edge address in s.leaderAddr,
// reading the election every second until ctx ends.
func (s *Server) watchLeader(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		resp, err := s.client.Get(ctx, electionPrefix+"/", clientv3.WithFirstCreate()...)
		if err == nil {
			addr := ""
			if len(resp.Kvs) > 0 {
				addr = string(resp.Kvs[0].Value)
			}
			s.leaderAddr.Store(addr)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// leaderURL returns the leader's base URL when another server leads.
func (s *Server) leaderURL() (string, bool) {
	if s.leader.Load() {
		return "", false
	}
	addr, _ := s.leaderAddr.Load().(string)
	if addr == "" || addr == s.listener.Addr().String() {
		return "", false
	}
	return "http://" + addr, true
}

// forwardCloudWatch sends CloudWatch requests, in any of its protocols, to
// the leader when another server leads, with their Host header (their
// signature covers it) and body untouched.
func (s *Server) forwardCloudWatch(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		base, ok := s.leaderURL()
		if !ok || !isCloudWatch(r) {
			next.ServeHTTP(w, r)
			return
		}
		u, err := url.Parse(base)
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		proxy := &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(u)
				pr.Out.Host = pr.In.Host
			},
			ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
				s.log.Warn("forward to the leader", "leader", base, "err", err)
				w.WriteHeader(http.StatusServiceUnavailable)
			},
		}
		proxy.ServeHTTP(w, r)
	})
}

// isCloudWatch tells a CloudWatch request by its protocol's marks: the RPC
// v2 path, the JSON target, or the awsquery Version (read from a form body,
// which is put back).
func isCloudWatch(r *http.Request) bool {
	const svc = "GraniteServiceVersion20100801"
	if strings.HasPrefix(r.URL.Path, "/service/"+svc+"/") || strings.HasPrefix(r.Header.Get("X-Amz-Target"), svc+".") {
		return true
	}
	if r.URL.Path != "/" {
		return false
	}
	if r.Method == http.MethodGet {
		return r.URL.Query().Get("Version") == "2010-08-01"
	}
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, edge.MaxBodyBytes+1))
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return false
	}
	v, err := url.ParseQuery(string(body))
	return err == nil && v.Get("Version") == "2010-08-01"
}

// metricsPath is where servers send the leader their metrics.
const metricsPath = "/_tide/metrics"

// receiveMetrics takes the metrics another server sends.
func (s *Server) receiveMetrics(w http.ResponseWriter, r *http.Request, body []byte) {
	var data []metrics.Datum
	if err := json.Unmarshal(body, &data); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.metrics.Put(data...)
	w.WriteHeader(http.StatusNoContent)
}

// sendMetrics sends data to the leader at base.
func (s *Server) sendMetrics(ctx context.Context, base string, data []metrics.Datum) error {
	body, err := json.Marshal(data)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+metricsPath, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if err := sigv4.Sign(req, body, s.creds.AccessKeyID, s.creds.SecretAccessKey, s.cfg.Region, agentapi.SigningService, time.Now()); err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("leader answered %s", resp.Status)
	}
	return nil
}
