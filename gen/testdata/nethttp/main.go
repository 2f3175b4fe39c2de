// Command nethttp serves HTTP: it needs a network stack, which the library OS does not have yet.
package main

import (
	"fmt"
	"log"
	"net/http"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s\n", r.URL.Path)
	})
	log.Fatal(http.ListenAndServe(":8080", nil))
}
