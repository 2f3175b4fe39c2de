// Command dom0client is the HTTP client and server that the Xen network tests run in dom0 (a
// static Linux binary carried in dom0's initramfs by internal/host/xenlab):
//
//	dom0client load -n 500 -c 8 -want TEXT -wait 60s URL
//	    waits until URL answers (the guest boots), then makes n GET requests over c keep-alive
//	    connections; each must answer 200 with a body containing TEXT. It prints one summary
//	    line and exits 0 only if every request passed.
//	dom0client serve -addr :8080 -body TEXT [-log FILE] [-echo :7007]
//	    serves TEXT at every path, appending one line per request to FILE, and echoes TCP
//	    connections and UDP datagrams on the -echo port, until killed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: dom0client load|serve [flags]")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "load":
		os.Exit(load(os.Args[2:]))
	case "serve":
		os.Exit(serve(os.Args[2:]))
	}
	fmt.Fprintf(os.Stderr, "dom0client: unknown command %q\n", os.Args[1])
	os.Exit(2)
}

func load(args []string) int {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	n := fs.Int("n", 500, "requests")
	c := fs.Int("c", 8, "connections")
	want := fs.String("want", "", "text every body must contain")
	wait := fs.Duration("wait", 60*time.Second, "how long to wait for the first answer")
	fs.Parse(args)
	if fs.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "dom0client load: want one URL")
		return 2
	}
	url := fs.Arg(0)
	start := time.Now()
	probe := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := probe.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			break
		}
		if time.Since(start) > *wait {
			fmt.Printf("load: no answer from %s after %v: %v\n", url, *wait, err)
			return 1
		}
		time.Sleep(200 * time.Millisecond)
	}
	up := time.Since(start)
	// One transport, at most c connections, each kept alive for the next request.
	tr := &http.Transport{MaxConnsPerHost: *c, MaxIdleConnsPerHost: *c, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var next, failed atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var conns atomic.Int64
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conns.Add(1)
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	begin := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < *c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(*n) {
				err := get(client, url, *want)
				if err != nil {
					failed.Add(1)
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	d := time.Since(begin)
	fmt.Printf("load: %d requests over %d connections (%d dialed), %d failed, %.1f requests/s, first answer after %.1f s\n",
		*n, *c, conns.Load(), failed.Load(), float64(*n)/d.Seconds(), up.Seconds())
	if firstErr != nil {
		fmt.Printf("load: first error: %v\n", firstErr)
		return 1
	}
	return 0
}

func get(c *http.Client, url, want string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s", resp.Status)
	}
	if !strings.Contains(string(body), want) {
		return fmt.Errorf("body %q does not contain %q", body, want)
	}
	return nil
}

func serve(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("addr", ":8080", "listen address")
	body := fs.String("body", "hello from dom0\n", "response body")
	logPath := fs.String("log", "", "file that gets a line per request")
	echo := fs.String("echo", "", "TCP and UDP echo address")
	fs.Parse(args)
	if *echo != "" {
		ln, err := net.Listen("tcp", *echo)
		if err != nil {
			fmt.Fprintln(os.Stderr, "serve:", err)
			return 1
		}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() { io.Copy(c, c); c.Close() }()
			}
		}()
		pc, err := net.ListenPacket("udp", *echo)
		if err != nil {
			fmt.Fprintln(os.Stderr, "serve:", err)
			return 1
		}
		go func() {
			buf := make([]byte, 65536)
			for {
				n, a, err := pc.ReadFrom(buf)
				if err != nil {
					return
				}
				pc.WriteTo(buf[:n], a)
			}
		}()
	}
	var mu sync.Mutex
	var logf *os.File
	if *logPath != "" {
		f, err := os.OpenFile(*logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		logf = f
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, *body)
		if logf != nil {
			mu.Lock()
			fmt.Fprintf(logf, "%s %s %s\n", r.RemoteAddr, r.Method, r.URL.Path)
			mu.Unlock()
		}
	})
	err := (&http.Server{Addr: *addr, Handler: h}).ListenAndServe()
	if !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "serve:", err)
		return 1
	}
	return 0
}
