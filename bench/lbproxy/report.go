package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

var (
	rpsRE     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	pctRE     = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
	totalRE   = regexp.MustCompile(`(\d+) requests in`)
	non2xxRE  = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	sockErrRE = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// wrkparse prints "rps p50_ms p99_ms requests non2xx socket_errors" from a
// wrk --latency output.
func wrkparse(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: lbproxy wrkparse FILE")
	}
	b, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	s := string(b)
	m := rpsRE.FindStringSubmatch(s)
	if m == nil {
		return fmt.Errorf("%s: no Requests/sec line", args[0])
	}
	pct := map[string]float64{}
	for _, p := range pctRE.FindAllStringSubmatch(s, -1) {
		v, _ := strconv.ParseFloat(p[2], 64)
		switch p[3] {
		case "us":
			v /= 1000
		case "s":
			v *= 1000
		}
		pct[p[1]] = v
	}
	total, non2xx, sockErrs := "0", "0", 0
	if t := totalRE.FindStringSubmatch(s); t != nil {
		total = t[1]
	}
	if t := non2xxRE.FindStringSubmatch(s); t != nil {
		non2xx = t[1]
	}
	if t := sockErrRE.FindStringSubmatch(s); t != nil {
		for _, x := range t[1:] {
			v, _ := strconv.Atoi(x)
			sockErrs += v
		}
	}
	fmt.Printf("%s %.3f %.3f %s %s %d\n", m[1], pct["50"], pct["99"], total, non2xx, sockErrs)
	return nil
}

// rss prints the summed VmRSS of the processes, in MB.
func rss(args []string) error {
	total := 0.0
	for _, pid := range args {
		f, err := os.Open("/proc/" + pid + "/status")
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
				total += kb / 1024
			}
		}
		f.Close()
	}
	fmt.Printf("%.1f\n", total)
	return nil
}

// run is one wrk run of results.txt: "name conns rep rps p50 p99 requests
// non2xx sockerr cpu_us_per_req loadavg".
type run struct {
	name               string
	conns, rep         int
	rps, p50, p99, cpu float64
	requests, non2xx   int
	sockErr            int
	load               string
}

func readRuns(path string) ([]run, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var runs []run
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) != 11 {
			continue
		}
		num := func(i int) float64 { v, _ := strconv.ParseFloat(f[i], 64); return v }
		runs = append(runs, run{name: f[0], conns: int(num(1)), rep: int(num(2)), rps: num(3), p50: num(4), p99: num(5),
			requests: int(num(6)), non2xx: int(num(7)), sockErr: int(num(8)), cpu: num(9), load: f[10]})
	}
	return runs, nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// medians of one (name, conns) series.
type medians struct {
	rps, p50, p99, cpu float64
	n, errs            int
}

func seriesMedians(runs []run) map[string]medians {
	type key = string
	cols := map[key][4][]float64{}
	errs := map[key]int{}
	for _, r := range runs {
		k := fmt.Sprintf("%s %d", r.name, r.conns)
		c := cols[k]
		c[0], c[1], c[2], c[3] = append(c[0], r.rps), append(c[1], r.p50), append(c[2], r.p99), append(c[3], r.cpu)
		cols[k] = c
		errs[k] += r.non2xx + r.sockErr
	}
	out := map[key]medians{}
	for k, c := range cols {
		out[k] = medians{rps: median(c[0]), p50: median(c[1]), p99: median(c[2]), cpu: median(c[3]), n: len(c[0]), errs: errs[k]}
	}
	return out
}

// summary prints the markdown summary of a bench/lb.sh run.
func summary(args []string) error {
	fs := flag.NewFlagSet("summary", flag.ExitOnError)
	in := fs.String("in", "results.txt", "wrk runs")
	idleIn := fs.String("idle", "", "idle-connection memory results: name conns rss_before_mb rss_after_mb opened")
	goBench := fs.String("gobench", "", "go test -bench output")
	fs.Parse(args)
	runs, err := readRuns(*in)
	if err != nil {
		return err
	}
	printRuns(runs)
	m := seriesMedians(runs)
	printMedians(m, runs)
	printTargets(m)
	if *idleIn != "" {
		if err := printIdle(*idleIn); err != nil {
			return err
		}
	}
	if *goBench != "" {
		printGoBench(*goBench)
	}
	return nil
}
