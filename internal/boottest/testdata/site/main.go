// Command site serves the static site of its baked-in root file system (/www) with net/http's
// file server on port 80; GET /quit ends it with status 0.
package main

import (
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	http.Handle("/", http.FileServer(http.Dir("/www")))
	http.HandleFunc("/quit", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "bye")
		go func() {
			time.Sleep(100 * time.Millisecond)
			os.Exit(0)
		}()
	})
	fmt.Println("serving /www on :80")
	fmt.Println(http.ListenAndServe(":80", nil))
	os.Exit(1)
}
