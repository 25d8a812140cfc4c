package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// idle opens -n keep-alive connections to -url, sends one request on each
// and reads its answer, then holds them all open, idle, until stopped or
// -hold has passed. It prints "ready OPENED FAILED" once every connection
// has been tried, which bench/lb.sh waits for before reading the proxy's
// memory.
func idle(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("idle", flag.ExitOnError)
	n := fs.Int("n", 10000, "connections")
	target := fs.String("url", "http://127.0.0.1:9103/", "URL to request once on each connection")
	workers := fs.Int("workers", 64, "connections opened in parallel")
	hold := fs.Duration("hold", 2*time.Minute, "how long to hold the connections at most")
	fs.Parse(args)
	u, err := url.Parse(*target)
	if err != nil {
		return err
	}
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: lbproxy-idle\r\n\r\n", u.RequestURI(), u.Host)
	ctx, cancel := context.WithTimeout(ctx, *hold)
	defer cancel()

	var (
		mu     sync.Mutex
		conns  []net.Conn
		failed atomic.Int64
		next   atomic.Int64
		wg     sync.WaitGroup
	)
	start := time.Now()
	for range *workers {
		wg.Go(func() {
			for next.Add(1) <= int64(*n) && ctx.Err() == nil {
				c, err := open(u.Host, req)
				if err != nil {
					if failed.Add(1) == 1 {
						log.Printf("idle: %v", err)
					}
					continue
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	fmt.Printf("ready %d %d\n", len(conns), failed.Load())
	log.Printf("idle: %d connections open, %d failed, in %v", len(conns), failed.Load(), time.Since(start).Round(time.Millisecond))
	<-ctx.Done()
	return nil
}

// open dials addr and has one request answered on the new connection.
func open(addr, req string) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		c.Close()
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReaderSize(c, 1024), nil)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		if err == nil && (resp.StatusCode != 200 || resp.Close) {
			err = fmt.Errorf("answer %d, close %v", resp.StatusCode, resp.Close)
		}
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	c.SetDeadline(time.Time{})
	return c, nil
}
