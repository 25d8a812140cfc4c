// Command app is the workload of the docker runtime's tests. Built static
// and copied into a FROM scratch image, it serves HTTP and misbehaves on
// request, so that one image covers every case:
//
//	app [-port N] [-exit CODE] [-alloc MiB] [-burn] [-ignore-term] [-tick D]
//	app -health URL
//
// It serves "ok <hostname>" on -port (default $PORT, else 8080) and, at
// /info?env=NAME, the variable's value, its working directory, uid, gid and
// hard open-files limit. On SIGTERM it
// exits 143, unless -ignore-term. -health fetches URL and exits 0 on
// status 200, 1 otherwise: a health check command for images without a
// shell.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	port := flag.String("port", envOr("PORT", "8080"), "port to serve HTTP on")
	exit := flag.Int("exit", -1, "exit at once with this code")
	alloc := flag.Int("alloc", 0, "allocate and touch this many MiB")
	burn := flag.Bool("burn", false, "burn one core")
	ignoreTerm := flag.Bool("ignore-term", false, "ignore SIGTERM")
	tick := flag.Duration("tick", 0, "print a numbered line this often")
	health := flag.String("health", "", "check this URL and exit")
	flag.Parse()

	if *health != "" {
		os.Exit(check(*health))
	}
	fmt.Println("app starting", os.Args[1:])
	fmt.Fprintln(os.Stderr, "app stderr line")
	if *exit >= 0 {
		os.Exit(*exit)
	}
	if *ignoreTerm {
		signal.Ignore(syscall.SIGTERM)
	} else {
		term := make(chan os.Signal, 1)
		signal.Notify(term, syscall.SIGTERM)
		go func() {
			<-term
			fmt.Println("app terminating")
			os.Exit(143)
		}()
	}
	if *alloc > 0 {
		b := make([]byte, *alloc<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		fmt.Println("allocated", *alloc, "MiB")
	}
	if *burn {
		go func() {
			for x := 0; ; x++ {
				_ = x * x
			}
		}()
	}
	if *tick > 0 {
		go func() {
			for n := 0; ; n++ {
				fmt.Printf("tick %d\n", n)
				time.Sleep(*tick)
			}
		}()
	}
	name, _ := os.Hostname()
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "ok %s\n", name)
	})
	http.HandleFunc("/info", func(w http.ResponseWriter, r *http.Request) {
		wd, _ := os.Getwd()
		var nofile syscall.Rlimit
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &nofile)
		fmt.Fprintf(w, "env=%s cwd=%s uid=%d gid=%d nofile=%d\n",
			os.Getenv(r.URL.Query().Get("env")), wd, os.Getuid(), os.Getgid(), nofile.Max)
	})
	if err := http.ListenAndServe(":"+*port, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func check(url string) int {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 1
	}
	return 0
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
