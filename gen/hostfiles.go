package gen

// This file implements the build machine's files that a kernel can bake into its root file
// system (the CA bundle, zoneinfo), and the advice to do so when the program will look for them.

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/unikgen/unikgen/analysis"
	"github.com/unikgen/unikgen/gen/plan"
	"github.com/unikgen/unikgen/services/fs/rootimg"
)

// CABundlePaths are the files where crypto/x509 looks for the system roots on Linux, in its
// order (crypto/x509/root_linux.go).
var CABundlePaths = []string{
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/ssl/ca-bundle.pem",
	"/etc/pki/tls/cacert.pem",
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
	"/etc/ssl/cert.pem",
}

// ZoneinfoDir is where time looks for zoneinfo first on Linux (time/zoneinfo_unix.go), and where
// the build machine's is taken from.
const ZoneinfoDir = "/usr/share/zoneinfo"

// addHostFiles adds the build machine's file sets to entries (sorted, without duplicates).
func addHostFiles(entries []rootimg.Entry, sets []string) ([]rootimg.Entry, error) {
	have := map[string]bool{}
	for _, e := range entries {
		have[e.Path] = true
	}
	add := func(es []rootimg.Entry) {
		for _, e := range es {
			if !have[e.Path] {
				have[e.Path] = true
				entries = append(entries, e)
			}
		}
	}
	for _, set := range sets {
		switch set {
		case plan.HostCABundle:
			var data []byte
			for _, p := range CABundlePaths {
				if b, err := os.ReadFile(p); err == nil {
					data = b
					break
				}
			}
			if data == nil {
				return nil, fmt.Errorf("-host-ca-bundle: this machine has no CA bundle (looked for %s)", strings.Join(CABundlePaths, ", "))
			}
			add([]rootimg.Entry{
				{Path: "etc/ssl", Mode: rootimg.TypeDir | 0o755},
				{Path: "etc/ssl/certs", Mode: rootimg.TypeDir | 0o755},
				{Path: "etc/ssl/certs/ca-certificates.crt", Mode: rootimg.TypeReg | 0o644, Data: data},
			})
		case plan.HostZoneinfo:
			// posix/ and right/ repeat the database (with and without leap seconds).
			es, err := rootimg.Walk(ZoneinfoDir, strings.TrimPrefix(ZoneinfoDir, "/"), func(rel string) bool {
				return rel == "posix" || rel == "right"
			})
			if err != nil {
				return nil, fmt.Errorf("-host-zoneinfo: %v", err)
			}
			add([]rootimg.Entry{{Path: "usr", Mode: rootimg.TypeDir | 0o755}, {Path: "usr/share", Mode: rootimg.TypeDir | 0o755},
				{Path: "usr/share/zoneinfo", Mode: rootimg.TypeDir | 0o755}})
			add(es)
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Path < entries[j].Path })
	return entries, nil
}

// adviceFuncs are the functions whose reachability advice asks about (a cached analysis keeps
// the answers: it has no call graph).
var adviceFuncs = []string{"crypto/x509.loadSystemRoots", "time.LoadLocation"}

// advice says what the program will look for in the root file system and not find: a CA bundle
// when crypto/x509's system roots are reachable, zoneinfo when time.LoadLocation is and the
// program does not embed time/tzdata. reaches says whether a function of adviceFuncs is
// reachable.
func advice(res *analysis.Result, reaches func(fn string) bool, entries []rootimg.Entry) []string {
	if res == nil {
		return nil
	}
	have := map[string]bool{}
	for _, e := range entries {
		have["/"+e.Path] = true
	}
	var out []string
	if reaches(adviceFuncs[0]) {
		found := false
		for _, p := range CABundlePaths {
			found = found || have[p]
		}
		if !found {
			out = append(out, "the program can verify TLS certificates against the system roots (crypto/x509), "+
				"but the root file system has no CA bundle ("+CABundlePaths[0]+"): verification will fail. "+
				"Bake in this machine's bundle with -host-ca-bundle, or put one in the root file system (-rootfs).")
		}
	}
	if reaches(adviceFuncs[1]) && !res.Reaches("time/tzdata") && !have[ZoneinfoDir+"/UTC"] {
		out = append(out, "the program can load time zones (time.LoadLocation), but the root file system has no "+
			ZoneinfoDir+": loading will fail. Bake in this machine's zoneinfo with -host-zoneinfo, "+
			"or import _ \"time/tzdata\" in the program.")
	}
	return out
}
