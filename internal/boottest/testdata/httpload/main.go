// Command httpload is the HTTP load of the network boot tests, built for the host and run inside
// the test's network namespace: it GETs a URL a number of times from concurrent clients, half of
// them on keep-alive connections and half on a new connection each, then prints one line,
//
//	httpload: N requests from C clients in D (R/s), F failed[; first: ERROR]
//
// and exits with status 1 when a request failed (an error, a timeout or a status other than 200).
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	url := flag.String("url", "", "URL to GET")
	total := flag.Int("n", 5000, "requests")
	clients := flag.Int("c", 64, "concurrent clients")
	timeout := flag.Duration("timeout", 60*time.Second, "longest a request may take")
	flag.Parse()
	if *url == "" || *total <= 0 || *clients <= 0 {
		fmt.Fprintln(os.Stderr, "usage: httpload -url URL [-n REQUESTS] [-c CLIENTS] [-timeout D]")
		os.Exit(2)
	}
	var next, failed atomic.Int64
	var first atomic.Value
	keepAlive := &http.Transport{MaxIdleConnsPerHost: *clients}
	newEach := &http.Transport{DisableKeepAlives: true}
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < *clients; i++ {
		c := &http.Client{Transport: keepAlive, Timeout: *timeout}
		if i%2 == 1 {
			c.Transport = newEach
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(*total) {
				if err := get(c, *url); err != nil {
					failed.Add(1)
					first.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	fmt.Printf("httpload: %d requests from %d clients in %v (%.0f/s), %d failed", *total, *clients,
		took.Round(time.Millisecond), float64(*total)/took.Seconds(), failed.Load())
	if err := first.Load(); err != nil {
		fmt.Printf("; first: %v", err)
	}
	fmt.Println()
	if failed.Load() > 0 {
		os.Exit(1)
	}
}

func get(c *http.Client, url string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return nil
}
