package main

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
)

// The order series are listed in.
var seriesOrder = []string{"direct", "haproxy", "nginx", "tide", "haproxy-1000", "tide-1000"}

func seriesRank(name string) int {
	if i := slices.Index(seriesOrder, name); i >= 0 {
		return i
	}
	return len(seriesOrder)
}

func printRuns(runs []run) {
	fmt.Println("Every run (interleaved in this order; CPU is the server's own, all threads and processes, user+system):")
	fmt.Println()
	fmt.Println("| rep | target | conns | req/s | p50 ms | p99 ms | non-2xx + socket errors | server CPU µs/req | load avg |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, r := range runs {
		fmt.Printf("| %d | %s | %d | %.0f | %.2f | %.2f | %d | %.1f | %s |\n", r.rep, r.name, r.conns, r.rps, r.p50, r.p99, r.non2xx+r.sockErr, r.cpu, r.load)
	}
	fmt.Println()
}

func seriesKeys(m map[string]medians) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		var an, bn string
		var ac, bc int
		fmt.Sscan(a, &an, &ac)
		fmt.Sscan(b, &bn, &bc)
		if ac != bc {
			return ac - bc
		}
		return seriesRank(an) - seriesRank(bn)
	})
	return keys
}

func ratio(a, b float64) string {
	if b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", a/b)
}

func printMedians(m map[string]medians, runs []run) {
	fmt.Println("Medians (\"added p99\" is the median p99 minus the median p99 of wrk straight to a backend at the same connection count):")
	fmt.Println()
	fmt.Println("| target | conns | runs | req/s | ÷ HAProxy | ÷ nginx | p50 ms | p99 ms | added p99 ms | server CPU µs/req | errors |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
	for _, k := range seriesKeys(m) {
		var name string
		var conns int
		fmt.Sscan(k, &name, &conns)
		s := m[k]
		peer := m[fmt.Sprintf("haproxy %d", conns)]
		if strings.HasSuffix(name, "-1000") {
			peer = m[fmt.Sprintf("haproxy-1000 %d", conns)]
		}
		direct, hasDirect := m[fmt.Sprintf("direct %d", conns)]
		added := "—"
		if hasDirect && name != "direct" {
			added = fmt.Sprintf("%+.2f", s.p99-direct.p99)
		}
		vsNginx := ratio(s.rps, m[fmt.Sprintf("nginx %d", conns)].rps)
		if strings.HasSuffix(name, "-1000") {
			vsNginx = "—" // nginx ran only the two-target setup
		}
		fmt.Printf("| %s | %d | %d | %.0f | %s | %s | %.2f | %.2f | %s | %.1f | %d |\n", name, conns, s.n, s.rps,
			ratio(s.rps, peer.rps), vsNginx, s.p50, s.p99, added, s.cpu, s.errs)
	}
	fmt.Println()
}

func printTargets(m map[string]medians) {
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	fmt.Println("| target | figure (medians) | verdict |")
	fmt.Println("|---|---|---|")
	for _, c := range []int{32, 256} {
		t, h, d := m[fmt.Sprintf("tide %d", c)], m[fmt.Sprintf("haproxy %d", c)], m[fmt.Sprintf("direct %d", c)]
		if t.n == 0 || h.n == 0 {
			continue
		}
		fmt.Printf("| throughput ≥ HAProxy, %d connections | Tide %.0f req/s, HAProxy %.0f (×%s) | %s |\n", c, t.rps, h.rps, ratio(t.rps, h.rps), verdict(t.rps >= h.rps))
		if d.n > 0 {
			ta, ha := t.p99-d.p99, h.p99-d.p99
			fmt.Printf("| added p99 ≤ HAProxy's, %d connections | Tide %+.2f ms, HAProxy %+.2f ms (direct p99 %.2f ms) | %s |\n", c, ta, ha, d.p99, verdict(ta <= ha))
		}
	}
	if t, h := m["tide-1000 32"], m["tide 32"]; t.n > 0 {
		line := fmt.Sprintf("Tide %.0f req/s = ×%s of its 2-target, no-rule figure", t.rps, ratio(t.rps, h.rps))
		if p := m["haproxy-1000 32"]; p.n > 0 {
			line += fmt.Sprintf("; HAProxy with 100 ACLs and 1,000 servers %.0f (Tide ×%s)", p.rps, ratio(t.rps, p.rps))
		}
		fmt.Printf("| 100 rules + 1,000 targets, 32 connections | %s | reported |\n", line)
	}
	fmt.Println()
}

func printIdle(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	fmt.Println("Memory with idle keep-alive connections (each opened, one request answered, then held idle; VmRSS summed over the server's processes):")
	fmt.Println()
	fmt.Println("| server | connections held | RSS before MB | RSS with them MB | KB per connection |")
	fmt.Println("|---|---|---|---|---|")
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var name string
		var want, opened int
		var before, after float64
		if n, _ := fmt.Sscan(line, &name, &want, &before, &after, &opened); n != 5 {
			continue
		}
		per := "n/a"
		if opened > 0 {
			per = fmt.Sprintf("%.1f", (after-before)*1024/float64(opened))
		}
		fmt.Printf("| %s | %d of %d | %.1f | %.1f | %s |\n", name, opened, want, before, after, per)
	}
	fmt.Println()
	return nil
}

var benchRE = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?\s+\d+\s+([0-9.]+) ns/op\s+([0-9.]+) B/op\s+([0-9.]+) allocs/op`)

func printGoBench(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	fmt.Println("Go benchmarks of package lb (`go test -bench`, real loopback connections for ProxyRequest):")
	fmt.Println()
	fmt.Println("| benchmark | ns/op | B/op | allocs/op |")
	fmt.Println("|---|---|---|---|")
	for _, line := range strings.Split(string(b), "\n") {
		if m := benchRE.FindStringSubmatch(line); m != nil {
			fmt.Printf("| %s | %s | %s | %s |\n", m[1], m[3], m[4], m[5])
		}
	}
	fmt.Println()
}
