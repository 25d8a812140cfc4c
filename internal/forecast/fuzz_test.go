package forecast

import (
	"encoding/binary"
	"math"
	"testing"
	"time"
)

// FuzzForecast: no history, step or horizon makes Forecast panic or loop;
// it returns ceil(horizon/step) finite samples or nil.
func FuzzForecast(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8}, int64(time.Hour), int64(48*time.Hour), uint16(24))
	f.Add([]byte{0xff, 0xf0, 0, 0, 0, 0, 0, 0}, int64(time.Minute), int64(time.Hour), uint16(3000))
	f.Add([]byte{}, int64(time.Hour), int64(time.Hour), uint16(0))
	f.Add([]byte{0x7f, 0xef, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, int64(time.Second), int64(time.Minute), uint16(500))
	f.Fuzz(func(t *testing.T, raw []byte, step, horizon int64, n uint16) {
		step = step % int64(48*time.Hour)
		horizon = horizon % int64(96*time.Hour)
		var history []Sample
		for i := range int(n) % 4000 {
			var v float64
			if len(raw) >= 8 {
				j := (i * 8) % (len(raw) - 7)
				v = math.Float64frombits(binary.LittleEndian.Uint64(raw[j:]))
			}
			history = append(history, Sample{Time: from.Add(-time.Duration(int(n)%4000-i) * time.Duration(max(step, 1))), Value: v})
		}
		got := Forecast(history, from, time.Duration(step), time.Duration(horizon))
		if got == nil {
			return
		}
		if want := (horizon + step - 1) / step; int64(len(got)) != want {
			t.Fatalf("%d samples, want %d", len(got), want)
		}
		for i, s := range got {
			if !finite(s.Value) || !s.Time.Equal(from.Add(time.Duration(int64(i)*step))) {
				t.Fatalf("sample %d = %+v", i, s)
			}
		}
	})
}

// BenchmarkForecast is predictive scaling's largest case at one-minute
// resolution: 14 days of history, 48 hours ahead.
func BenchmarkForecast(b *testing.B) {
	h := series(MaxHistory, time.Minute, weeklySine)
	for b.Loop() {
		if got := Forecast(h, from, time.Minute, 48*time.Hour); len(got) != 2880 {
			b.Fatal(len(got))
		}
	}
}

// BenchmarkForecastHourly is AWS's granularity: hourly, 48 hours ahead.
func BenchmarkForecastHourly(b *testing.B) {
	h := series(MaxHistory, time.Hour, weeklySine)
	for b.Loop() {
		Forecast(h, from, time.Hour, 48*time.Hour)
	}
}
