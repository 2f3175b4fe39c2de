// Command http is a small JSON API on net/http: the kind of service unikgen is for.
//
//	go run ./cmd/unikgen run -p 8080:80 ./examples/http
//	curl http://127.0.0.1:8080/
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"sync"
	"time"
)

var addr = flag.String("addr", ":80", "listen address")

type store struct {
	mu    sync.Mutex
	items map[string]string
}

func main() {
	flag.Parse()
	st := &store{items: map[string]string{}}
	start := time.Now()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "Hello from a unikernel! You asked for %s from %s.\n", r.URL.Path, r.RemoteAddr)
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"uptime_ms": time.Since(start).Milliseconds(), "items": st.len()})
	})
	mux.HandleFunc("GET /items/{key}", func(w http.ResponseWriter, r *http.Request) {
		v, ok := st.get(r.PathValue("key"))
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such item"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"key": r.PathValue("key"), "value": v})
	})
	mux.HandleFunc("PUT /items/{key}", func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Value string }
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		st.put(r.PathValue("key"), body.Value)
		writeJSON(w, http.StatusOK, map[string]string{"key": r.PathValue("key"), "value": body.Value})
	})
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintln(os.Stderr, "listening on", *addr)
	log.Fatal(srv.ListenAndServe())
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func (s *store) get(k string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.items[k]
	return v, ok
}

func (s *store) put(k, v string) {
	s.mu.Lock()
	s.items[k] = v
	s.mu.Unlock()
}

func (s *store) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.items)
}
