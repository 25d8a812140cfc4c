package metrics

import (
	"fmt"
	"math"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

func cpu(s int, v float64, hires bool) Datum {
	return Datum{Namespace: "AWS/ECS", MetricName: "CPUUtilization", Dimensions: []Dimension{{"ServiceName", "web"}, {"ClusterName", "c"}},
		Time: at(s), Value: v, Unit: "Percent", HighResolution: hires}
}

func query(stat string, period time.Duration, from, to int) Query {
	return Query{Namespace: "AWS/ECS", MetricName: "CPUUtilization", Dimensions: []Dimension{{"ClusterName", "c"}, {"ServiceName", "web"}},
		Stat: stat, Period: period, Start: at(from), End: at(to)}
}

func TestStatistics(t *testing.T) {
	s := New(func() time.Time { return at(300) })
	for i, v := range []float64{10, 20, 30, 40, 100} {
		s.Put(cpu(i, v, true))
	}
	s.Put(Datum{Namespace: "AWS/ECS", MetricName: "CPUUtilization", Dimensions: []Dimension{{"ClusterName", "c"}, {"ServiceName", "web"}},
		Time: at(70), Values: []float64{1, 2, 3}, Counts: []float64{1, 1, 2}, Unit: "Percent"})
	for _, tc := range []struct {
		stat   string
		period time.Duration
		want   []Point
	}{
		{"Average", time.Second, []Point{{at(0), 10}, {at(1), 20}, {at(2), 30}, {at(3), 40}, {at(4), 100}}},
		{"Average", 5 * time.Second, []Point{{at(0), 40}}},
		{"Sum", time.Minute, []Point{{at(0), 200}, {at(60), 9}}},
		{"SampleCount", time.Minute, []Point{{at(0), 5}, {at(60), 4}}},
		{"Minimum", time.Minute, []Point{{at(0), 10}, {at(60), 1}}},
		{"Maximum", time.Minute, []Point{{at(0), 100}, {at(60), 3}}},
		{"p50", time.Minute, []Point{{at(0), 30}, {at(60), 2}}},
		{"p100", time.Minute, []Point{{at(0), 100}, {at(60), 3}}},
		{"tm80", time.Minute, []Point{{at(0), 25}, {at(60), 2.0625}}}, // (1+2+3+0.2×3) ÷ 3.2
		{"TM(20%:80%)", time.Minute, []Point{{at(0), 30}}},
		{"tc80", time.Minute, []Point{{at(0), 4}, {at(60), 3.2}}},
		{"nonsense", time.Minute, nil},
	} {
		t.Run(tc.stat+"/"+tc.period.String(), func(t *testing.T) {
			got := s.Get(query(tc.stat, tc.period, 0, 120))
			if tc.stat == "TM(20%:80%)" {
				got = got[:1]
			}
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) <= 0.02*math.Max(1, math.Abs(b)) })); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestTiersAndRetention(t *testing.T) {
	now := at(0)
	s := New(func() time.Time { return now })
	s.Put(cpu(-4*3600, 50, true))    // beyond the 3-hour high-resolution tier
	s.Put(cpu(-2*3600, 60, true))    // within it
	s.Put(cpu(-20*86400, 70, false)) // only the 5-minute and 1-hour tiers keep it
	if got := s.Get(query("Average", time.Second, -5*3600, 0)); len(got) != 1 || got[0].Value != 60 {
		t.Errorf("one-second data over 5 h: %v, want only the datum of 2 h ago", got)
	}
	if got := s.Get(query("Average", time.Minute, -5*3600, 0)); len(got) != 2 {
		t.Errorf("one-minute data over 5 h: %v, want both datums", got)
	}
	if got := s.Get(query("Average", time.Minute, -30*86400, 0)); len(got) != 2 {
		t.Errorf("one-minute data over 30 days: %v, want the 2 datums of the last 15 days", got)
	}
	if got := s.Get(query("Average", 5*time.Minute, -30*86400, 0)); len(got) != 3 {
		t.Errorf("five-minute data over 30 days: %v, want 3", got)
	}
	std := cpu(-2*3600+30, 10, false)
	std.MetricName = "MemoryUtilization"
	s.Put(std)
	q := query("Maximum", 10*time.Second, -3*3600, 0)
	q.MetricName = "MemoryUtilization"
	if diff := cmp.Diff([]Point{{at(-2 * 3600), 10}}, s.Get(q)); diff != "" {
		t.Errorf("standard-resolution data at 10 s (-want +got):\n%s", diff)
	}
	now = at(4 * 3600)
	s.Put(cpu(4*3600-1, 1, true)) // expires what the new time leaves behind
	if got := s.Get(query("Average", time.Second, -3*3600, 4*3600)); len(got) != 1 {
		t.Errorf("after 4 h: %v, want only the newest one-second datum", got)
	}
}

func TestUnitsAndLateData(t *testing.T) {
	s := New(func() time.Time { return at(100) })
	s.Put(cpu(10, 5, true), cpu(5, 7, true)) // late
	d := cpu(7, 100, true)
	d.Unit = "Count"
	s.Put(d)
	want := []Point{{at(5), 7}, {at(7), 100}, {at(10), 5}}
	if diff := cmp.Diff(want, s.Get(query("Maximum", time.Second, 0, 20))); diff != "" {
		t.Errorf("any unit (-want +got):\n%s", diff)
	}
	q := query("Maximum", time.Second, 0, 20)
	q.Unit = "Percent"
	if diff := cmp.Diff([]Point{{at(5), 7}, {at(10), 5}}, s.Get(q)); diff != "" {
		t.Errorf("unit Percent (-want +got):\n%s", diff)
	}
}

func TestStatisticSets(t *testing.T) {
	s := New(func() time.Time { return at(100) })
	d := cpu(0, 0, true)
	d.Stats = &StatisticSet{SampleCount: 4, Sum: 200, Minimum: 20, Maximum: 80}
	s.Put(d)
	if got := s.Get(query("Average", time.Second, 0, 1)); len(got) != 1 || got[0].Value != 50 {
		t.Errorf("Average of a statistic set: %v", got)
	}
	if got := s.Get(query("p90", time.Second, 0, 1)); len(got) != 0 {
		t.Errorf("p90 of a statistic set: %v, want none (no distribution)", got)
	}
	one := cpu(2, 0, true)
	one.Stats = &StatisticSet{SampleCount: 3, Sum: 90, Minimum: 30, Maximum: 30}
	s.Put(one, cpu(3, 10, true))
	if diff := cmp.Diff([]Point{{at(2), 30}, {at(3), 10}}, s.Get(query("p90", time.Second, 0, 5))); diff != "" {
		t.Errorf("p90 of a set of one value and of a value (-want +got):\n%s", diff)
	}
	if got := s.Get(query("p90", 5*time.Second, 0, 5)); len(got) != 0 {
		t.Errorf("p90 over a period with a statistic set: %v, want none", got)
	}
	s.Put(cpu(4, -1, true))
	if got := s.Get(query("p50", time.Second, 4, 5)); len(got) != 0 {
		t.Errorf("p50 of a negative value: %v, want none", got)
	}
	if got := s.Get(query("tm100", time.Second, 4, 5)); len(got) != 1 || got[0].Value != -1 {
		t.Errorf("tm100 of a negative value: %v, want -1", got)
	}
}

func TestList(t *testing.T) {
	now := at(0)
	s := New(func() time.Time { return now })
	for _, d := range []Datum{ // each put when its timestamp says
		{Namespace: "App", MetricName: "Requests", Dimensions: []Dimension{{"Route", "/"}}, Time: at(-30 * 86400), Value: 1},
		{Namespace: "App", MetricName: "Requests", Time: at(-5 * 3600), Value: 1},
		cpu(-60, 1, false),
	} {
		now = d.Time
		s.Put(d)
	}
	now = at(0)
	names := func(ms []Metric) []string {
		var out []string
		for _, m := range ms {
			out = append(out, fmt.Sprint(m.Namespace, " ", m.MetricName, " ", m.Dimensions))
		}
		return out
	}
	if diff := cmp.Diff([]string{"AWS/ECS CPUUtilization [{ClusterName c} {ServiceName web}]", "App Requests []"}, names(s.List("", "", nil, time.Time{}))); diff != "" {
		t.Errorf("all (-want +got):\n%s", diff)
	}
	web := "web"
	if got := names(s.List("", "", []DimensionFilter{{Name: "ServiceName", Value: &web}}, at(-3*3600))); len(got) != 1 {
		t.Errorf("recently active web: %v", got)
	}
	if got := names(s.List("App", "", nil, at(-3*3600))); len(got) != 0 {
		t.Errorf("recently active App: %v, want none", got)
	}
	now = at(3600) // a datum put now, timestamped two hours ago, is recent
	s.Put(Datum{Namespace: "App", MetricName: "Late", Time: at(-3600), Value: 1})
	if got := names(s.List("App", "", nil, at(0))); len(got) != 1 || got[0] != "App Late []" {
		t.Errorf("recently active App after a late datum: %v", got)
	}
}

// BenchmarkPut ingests one-second datums of 1,000 series, 1,000 per call.
func BenchmarkPut(b *testing.B) {
	now := at(0)
	s := New(func() time.Time { return now })
	batch := make([]Datum, 1000)
	for i := range batch {
		batch[i] = Datum{Namespace: "ECS/ContainerInsights", MetricName: "CpuUtilized",
			Dimensions: []Dimension{{"ClusterName", "c"}, {"ServiceName", "web"}, {"TaskId", fmt.Sprintf("%032x", i)}}, Value: float64(i % 100), Unit: "None", HighResolution: true}
	}
	b.ReportAllocs()
	sec := 0
	for b.Loop() {
		for i := range batch {
			batch[i].Time = at(sec)
		}
		s.Put(batch...)
		sec++
		now = at(sec)
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "datapoints/s")
}

// BenchmarkSeriesMemory reports the heap a series takes after four hours
// of one datum a second (what a task's metric costs in the fast profile),
// the one-second tier full and turning over: 10,801 one-second buckets,
// 240 one-minute, 48 five-minute, 4 one-hour.
func BenchmarkSeriesMemory(b *testing.B) {
	const series = 20
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		now := at(0)
		s := New(func() time.Time { return now })
		for sec := range 4 * 3600 {
			now = at(sec)
			for i := range series {
				s.Put(Datum{Namespace: "N", MetricName: "M", Dimensions: []Dimension{{"TaskId", strconv.Itoa(i)}}, Time: now, Value: float64(sec % 97), HighResolution: true})
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/series, "bytes/series")
		runtime.KeepAlive(s)
	}
}

// BenchmarkGet queries one series holding three hours of one-second data:
// what an alarm (the last minute at one second), a dashboard (the last
// three hours at one minute) and a percentile graph read.
func BenchmarkGet(b *testing.B) {
	now := at(0)
	s := New(func() time.Time { return now })
	for sec := range 3 * 3600 {
		now = at(sec)
		s.Put(Datum{Namespace: "N", MetricName: "M", Dimensions: []Dimension{{"TaskId", "t"}}, Time: now, Value: float64(sec % 97), HighResolution: true})
	}
	end := now.Add(time.Second)
	for _, bc := range []struct {
		name   string
		stat   string
		period time.Duration
		span   time.Duration
	}{
		{"Average/1s/1m", "Average", time.Second, time.Minute},
		{"Average/1m/3h", "Average", time.Minute, 3 * time.Hour},
		{"p99/1m/3h", "p99", time.Minute, 3 * time.Hour},
		{"p99/5s/1h", "p99", 5 * time.Second, time.Hour},
	} {
		b.Run(bc.name, func(b *testing.B) {
			q := Query{Namespace: "N", MetricName: "M", Dimensions: []Dimension{{"TaskId", "t"}}, Stat: bc.stat, Period: bc.period, Start: end.Add(-bc.span), End: end}
			want := int(bc.span / bc.period)
			b.ReportAllocs()
			for b.Loop() {
				if got := s.Get(q); len(got) != want {
					b.Fatalf("%d points, want %d", len(got), want)
				}
			}
		})
	}
}

// TestIdleSeriesExpire: a series that stops receiving data (a stopped
// task's) gives back its one-second buckets after three hours and is
// forgotten when no tier keeps anything, while data keeps arriving for
// others.
func TestIdleSeriesExpire(t *testing.T) {
	now := at(0)
	s := New(func() time.Time { return now })
	task := func(id string, sec int) Datum {
		return Datum{Namespace: "ECS/ContainerInsights", MetricName: "CpuUtilized", Dimensions: []Dimension{{"TaskId", id}}, Time: at(sec), Value: 1, HighResolution: true}
	}
	for sec := range 3600 {
		now = at(sec)
		s.Put(task("gone", sec), task("busy", sec))
	}
	buckets := func(id string) [len(Tiers)]int {
		var out [len(Tiers)]int
		for i := range s.shards {
			for _, list := range s.shards[i].series {
				for _, se := range list {
					if se.dims[0].Value == id {
						for j := range se.tiers {
							out[j] = se.tiers[j].n
						}
					}
				}
			}
		}
		return out
	}
	if got := buckets("gone"); got != [len(Tiers)]int{3600, 60, 12, 1} {
		t.Fatalf("after an hour: %v buckets", got)
	}
	// Four hours later, one datum a minute for the busy task.
	for sec := 3600; sec < 5*3600; sec += 60 {
		now = at(sec)
		s.Put(task("busy", sec))
	}
	if got := buckets("gone"); got != [len(Tiers)]int{0, 60, 12, 1} {
		t.Errorf("four hours idle: %v buckets, want the one-second tier empty", got)
	}
	if got := s.Get(Query{Namespace: "ECS/ContainerInsights", MetricName: "CpuUtilized", Dimensions: []Dimension{{"TaskId", "gone"}}, Stat: "Sum", Period: time.Hour, Start: at(0), End: at(3600)}); len(got) != 1 || got[0].Value != 3600 {
		t.Errorf("the idle task's hour: %v", got)
	}
	for sec := 456 * 86400; sec < 456*86400+shards; sec++ { // a shard a second
		now = at(sec)
		s.Put(task("busy", sec))
	}
	if got := s.List("", "", []DimensionFilter{{Name: "TaskId"}}, time.Time{}); len(got) != 1 || got[0].Dimensions[0].Value != "busy" {
		t.Errorf("after 456 days: %v", got)
	}
	if got := buckets("gone"); got != [len(Tiers)]int{} {
		t.Errorf("after 456 days: %v buckets, want none", got)
	}
}

// TestConcurrentUse: Put, Get and List from several goroutines at once
// (run with -race) lose no datum.
func TestConcurrentUse(t *testing.T) {
	var mu sync.Mutex
	now := at(0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := New(clock)
	const writers, seconds = 4, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for sec := range seconds {
				s.Put(Datum{Namespace: "N", MetricName: "M", Dimensions: []Dimension{{"W", strconv.Itoa(w % 2)}}, Time: at(sec), Value: 1, HighResolution: true})
				if w == 0 {
					mu.Lock()
					now = at(sec)
					mu.Unlock()
				}
			}
		})
	}
	wg.Go(func() {
		for range seconds {
			s.Get(Query{Namespace: "N", MetricName: "M", Dimensions: []Dimension{{"W", "0"}}, Stat: "p50", Period: time.Second, Start: at(0), End: at(seconds)})
			s.List("N", "", nil, time.Time{})
		}
	})
	wg.Wait()
	var total float64
	for _, w := range []string{"0", "1"} {
		for _, p := range s.Get(Query{Namespace: "N", MetricName: "M", Dimensions: []Dimension{{"W", w}}, Stat: "SampleCount", Period: time.Minute, Start: at(0), End: at(seconds)}) {
			total += p.Value
		}
	}
	if total != writers*seconds {
		t.Errorf("%v datums stored, want %d", total, writers*seconds)
	}
}

// TestPeriodsStartAtStart: periods run from the query's start, as
// CloudWatch's do from the rounded StartTime, read from a tier whose
// buckets fit in them.
func TestPeriodsStartAtStart(t *testing.T) {
	s := New(func() time.Time { return at(4 * 3600) })
	for m := range 180 { // one datum a minute for 3 h: 1, 2, 3, ...
		s.Put(cpu(m*60, float64(m+1), false))
	}
	for _, tc := range []struct {
		name   string
		period time.Duration
		from   int
		want   []Point
	}{
		{"5 min from minute 2", 5 * time.Minute, 120, []Point{{at(120), 3 + 4 + 5 + 6 + 7}, {at(420), 8 + 9 + 10 + 11 + 12}}},
		{"1 h from minute 2", time.Hour, 120, []Point{{at(120), 1950}, {at(3720), 5550}}}, // 3..62, 63..122
		{"1 h from the hour", time.Hour, 0, []Point{{at(0), 1830}, {at(3600), 5430}}},     // 1..60, 61..120
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := s.Get(query("Sum", tc.period, tc.from, tc.from+int(2*tc.period/time.Second)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
