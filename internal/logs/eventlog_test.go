package logs

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readAll(t *testing.T, l *eventLog) []string {
	t.Helper()
	idx, err := l.index(0)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := l.read(idx)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, e := range evs {
		out = append(out, e.msg)
	}
	return out
}

// TestLogsEventLogTornTail cuts the last record short, as a crash in the middle
// of an append does: the log reopens with the whole records and appends
// after them.
func TestLogsEventLogTornTail(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(seg string)
	}{
		{"short record", func(seg string) {
			info, _ := os.Stat(seg)
			os.Truncate(seg, info.Size()-3)
		}},
		{"garbage", func(seg string) {
			b, _ := os.ReadFile(seg)
			os.WriteFile(seg, append(b[:len(b)-29], 9, 0, 0), 0o644)
		}},
		{"bit flip", func(seg string) {
			b, _ := os.ReadFile(seg)
			b[len(b)-6] ^= 1
			os.WriteFile(seg, b, 0o644)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			l := newEventLog(dir)
			if err := l.append([]inputEvent{{1, "one"}, {2, "two"}}, 10); err != nil {
				t.Fatal(err)
			}
			if err := l.append([]inputEvent{{3, "three"}}, 11); err != nil {
				t.Fatal(err)
			}
			l.unload()
			tc.damage(filepath.Join(dir, fmt.Sprintf("%020d.seg", 0)))
			l = newEventLog(dir)
			if diff := cmp.Diff([]string{"one", "two"}, readAll(t, l)); diff != "" {
				t.Fatalf("after damage (-want +got):\n%s", diff)
			}
			if err := l.append([]inputEvent{{4, "four"}}, 12); err != nil {
				t.Fatal(err)
			}
			l.unload()
			if diff := cmp.Diff([]string{"one", "two", "four"}, readAll(t, newEventLog(dir))); diff != "" {
				t.Fatalf("append after repair (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLogsEventLogOrder keeps events in timestamp order when batches arrive
// out of order, and keeps snapshots taken earlier intact.
func TestLogsEventLogOrder(t *testing.T) {
	l := newEventLog(t.TempDir())
	l.append([]inputEvent{{10, "c"}, {20, "e"}}, 1)
	before, _ := l.index(0)
	l.append([]inputEvent{{5, "a"}, {10, "d"}}, 2)
	l.append([]inputEvent{{7, "b"}}, 3)
	if diff := cmp.Diff([]string{"a", "b", "c", "d", "e"}, readAll(t, l)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	evs, _ := l.read(before)
	if len(evs) != 2 || evs[0].msg != "c" || evs[1].msg != "e" {
		t.Fatalf("earlier snapshot changed: %+v", evs)
	}
	sum, _ := l.summary()
	if sum.count != 5 || sum.first != 5 || sum.last != 20 || sum.lastIngest != 3 {
		t.Fatalf("summary %+v", sum)
	}
}

// TestLogsEventLogConcurrent appends from several writers while readers page
// through the index (run with -race).
func TestLogsEventLogConcurrent(t *testing.T) {
	l := newEventLog(t.TempDir())
	var wg sync.WaitGroup
	const writers, batches = 4, 50
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				if err := l.append([]inputEvent{{int64(b), fmt.Sprintf("w%d-%d", w, b)}, {int64(b), "x"}}, int64(b)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 3 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				idx, err := l.index(0)
				if err != nil {
					t.Error(err)
					return
				}
				evs, err := l.read(idx)
				if err != nil || len(evs) != len(idx) {
					t.Errorf("read %d of %d: %v", len(evs), len(idx), err)
					return
				}
				for i := 1; i < len(evs); i++ {
					if evs[i].ts < evs[i-1].ts {
						t.Errorf("out of order at %d", i)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	if n := len(readAll(t, l)); n != writers*batches*2 {
		t.Fatalf("%d events, want %d", n, writers*batches*2)
	}
	l.unload()
	if n := len(readAll(t, l)); n != writers*batches*2 {
		t.Fatalf("%d events after reload, want %d", n, writers*batches*2)
	}
}

func TestLogsParsePattern(t *testing.T) {
	msgs := []string{"ERROR disk full", "WARN disk", "INFO ok", `say "hi"`, "line-2"}
	for _, tc := range []struct {
		pattern string
		want    []string
	}{
		{"", msgs},
		{"   ", msgs},
		{"disk", []string{"ERROR disk full", "WARN disk"}},
		{"disk full", []string{"ERROR disk full"}},
		{`"disk full"`, []string{"ERROR disk full"}},
		{`"full disk"`, nil},
		{"?ERROR ?INFO", []string{"ERROR disk full", "INFO ok"}},
		{"disk -ERROR", []string{"WARN disk"}},
		{`-"disk"`, []string{"INFO ok", `say "hi"`, "line-2"}},
		{`"say \"hi\""`, []string{`say "hi"`}},
		{"line-2", []string{"line-2"}},
		{"error", nil},
	} {
		t.Run(tc.pattern, func(t *testing.T) {
			match, err := parsePattern(&tc.pattern)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range msgs {
				if match(m) {
					got = append(got, m)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range []string{`{ $.a = 1 }`, `[a, b]`, `%ERR%`, `"open`, `?`, `ERROR -`} {
		if _, err := parsePattern(&bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
