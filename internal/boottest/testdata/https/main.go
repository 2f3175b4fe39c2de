// Command https fetches each URL of its arguments over HTTPS with net/http's default client,
// which verifies the server's chain against the system roots: crypto/x509 reads them from
// /etc/ssl/certs/ca-certificates.crt of the root file system baked into the kernel. For each URL
// it prints the status and body, and the verified chain's subjects, or the error. Checked by
// internal/boottest.TestHTTPSClient.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

func main() {
	for _, u := range os.Args[1:] {
		resp, err := http.Get(u)
		if err != nil {
			fmt.Printf("get %s: %v\n", u, err)
			continue
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		var chain []string
		for _, c := range resp.TLS.VerifiedChains[0] {
			chain = append(chain, c.Subject.CommonName)
		}
		fmt.Printf("get %s: %d %q %v chain [%s]\n", u, resp.StatusCode, b, err, strings.Join(chain, " <- "))
	}
}
