package boottest

// This file boots an HTTPS client whose trust comes from a CA bundle baked into the root file
// system.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/unikgen/unikgen/build"
	"github.com/unikgen/unikgen/gen"
	"github.com/unikgen/unikgen/internal/host/qemu"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	der  []byte
}

func newCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-24 * time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert, key, der}
}

// issue makes a certificate for a server at ip, signed by ca through an intermediate CA, and
// returns it with the chain the server sends (leaf, intermediate).
func (ca *testCA) issue(t *testing.T, ip net.IP) tls.Certificate {
	t.Helper()
	ikey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	itmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: ca.cert.Subject.CommonName + " intermediate"},
		NotBefore: time.Now().Add(-24 * time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	ider, err := x509.CreateCertificate(rand.Reader, itmpl, ca.cert, &ikey.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	icert, err := x509.ParseCertificate(ider)
	if err != nil {
		t.Fatal(err)
	}
	lkey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ltmpl := &x509.Certificate{
		SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "server " + ip.String()},
		NotBefore: time.Now().Add(-24 * time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{ip},
	}
	lder, err := x509.CreateCertificate(rand.Reader, ltmpl, icert, &lkey.PublicKey, ikey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{lder, ider}, PrivateKey: lkey}
}

// serveTLS serves "hello PATH" over TLS with cert on a port of 127.0.0.1 and returns the port.
func serveTLS(t *testing.T, cert tls.Certificate) int {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	s := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.URL.Path)
	}), ErrorLog: log.New(io.Discard, "", 0)} // the refused handshake is expected
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

// TestHTTPSClient bakes a CA bundle holding the test's own root CA into the root file system
// (/etc/ssl/certs/ca-certificates.crt) and boots an HTTPS client of two servers on the host,
// reached through QEMU's user networking at 10.0.2.2: one with a chain (leaf, intermediate) to
// that root, which the client verifies and fetches from, and one with a chain to another root,
// which it refuses.
func TestHTTPSClient(t *testing.T) {
	needQEMU(t)
	trusted, other := newCA(t, "unikgen test root"), newCA(t, "unknown root")
	gw := net.IPv4(10, 0, 2, 2)
	good, bad := serveTLS(t, trusted.issue(t, gw)), serveTLS(t, other.issue(t, gw))

	root := t.TempDir()
	certs := filepath.Join(root, "etc/ssl/certs")
	if err := os.MkdirAll(certs, 0o755); err != nil {
		t.Fatal(err)
	}
	bundle := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: trusted.der})
	if err := os.WriteFile(filepath.Join(certs, "ca-certificates.crt"), bundle, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pkg := "./internal/boottest/testdata/https"
	r, err := gen.Generate(ctx, gen.Options{Dir: moduleRoot(), Package: pkg, Overrides: gen.Overrides{RootFS: &root}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Advice) != 0 {
		t.Errorf("advice with a CA bundle in the root file system: %q", r.Advice)
	}
	img := filepath.Join(t.TempDir(), "kernel.xen")
	if _, err := build.Build(ctx, build.Options{Dir: moduleRoot(), Package: pkg, Output: img, BootOverlay: r.BootOverlay}); err != nil {
		t.Fatal(err)
	}
	goodURL := fmt.Sprintf("https://10.0.2.2:%d/verified", good)
	badURL := fmt.Sprintf("https://10.0.2.2:%d/refused", bad)
	out, status := bootConsole(t, qemu.Config{Kernel: img, Net: qemu.NetUser, Timeout: 180 * time.Second, Args: []string{goodURL, badURL}})
	if status != 0 {
		t.Errorf("exit status %d", status)
	}
	for _, want := range []string{
		"get " + goodURL + `: 200 "hello /verified" <nil> chain [server 10.0.2.2 <- unikgen test root intermediate <- unikgen test root]` + "\n",
		"get " + badURL + `: Get "` + badURL + `": tls: failed to verify certificate: x509: certificate signed by unknown authority`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not contain %q; output:\n%s", want, out)
		}
	}
}
