// Command webapp is the workload of the end-to-end tests on the docker
// runtime. Built static and copied into a FROM scratch image, it runs as:
//
//	webapp          serve HTTP on :$PORT (default 8080): "ok <hostname>" on /,
//	                200 on /health, the value of variable NAME on /env/NAME,
//	                a pause on /sleep/DURATION, a busy CPU on /burn/DURATION,
//	                "HOSTNAME:PORT" on /id
//	webapp health   GET http://127.0.0.1:$PORT/health; exit 0 on 200, else 1
//	                (a CMD health check for an image without a shell)
//	webapp crash    exit 1 after 200 ms
//
// It exits 0 on SIGTERM.
package main

import (
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	mode := ""
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	switch mode {
	case "health":
		c := http.Client{Timeout: time.Second}
		resp, err := c.Get("http://127.0.0.1:" + port + "/health")
		if err != nil {
			fmt.Fprintln(os.Stderr, "health:", err)
			os.Exit(1)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			fmt.Fprintln(os.Stderr, "health:", resp.Status)
			os.Exit(1)
		}
		os.Exit(0)
	case "crash":
		fmt.Println("webapp crashing in 200ms")
		time.Sleep(200 * time.Millisecond)
		os.Exit(1)
	case "":
	default:
		fmt.Fprintln(os.Stderr, "usage: webapp [health|crash]")
		os.Exit(2)
	}

	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-term
		fmt.Println("webapp terminating")
		os.Exit(0)
	}()
	name, _ := os.Hostname()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, "ok %s\n", name)
	})
	mux.HandleFunc("/id", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "%s:%s\n", name, port)
	})
	mux.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "healthy")
	})
	mux.HandleFunc("/sleep/", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(strings.TrimPrefix(r.URL.Path, "/sleep/"))
		if err != nil || d > time.Minute {
			http.Error(w, "bad duration", http.StatusBadRequest)
			return
		}
		time.Sleep(d)
		fmt.Fprintf(w, "slept %s on %s\n", d, name)
	})
	mux.HandleFunc("/burn/", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(strings.TrimPrefix(r.URL.Path, "/burn/"))
		if err != nil || d > time.Minute {
			http.Error(w, "bad duration", http.StatusBadRequest)
			return
		}
		n := 0
		for end := time.Now().Add(d); time.Now().Before(end); {
			for range 10000 {
				n++
			}
		}
		fmt.Fprintf(w, "burned %s on %s (%d)\n", d, name, n)
	})
	mux.HandleFunc("/env/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, os.Getenv(strings.TrimPrefix(r.URL.Path, "/env/")))
	})
	fmt.Println("webapp listening on :" + port)
	if err := http.ListenAndServe(":"+port, mux); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
