#!/bin/sh
# kerneltest-modules.sh: run the test suites of third-party modules natively (go test) and inside
# unikgen kernels (unikgen test), and count the tests that pass, fail and skip in each
# (docs/testing.md, "Third-party test suites").
#
# Usage: [TESTFLAGS=-short] scripts/kerneltest-modules.sh OUTDIR MODULE@VERSION...
# TESTFLAGS are go test flags that both runs get (unikgen test takes -short, -run, -skip...).
# Each module is downloaded by the module proxy (go mod download), copied into a temporary
# directory, made to require this checkout (replace directive) and given this repository's go.sum
# beside its own (GOSUMDB=off and GOFLAGS=-mod=mod let the go command add the test dependencies'
# sums without the checksum database); a go directive below 1.17 is raised to 1.17 (the module
# would otherwise load the whole, unpruned module graph of the library OS's dependencies; 1.17
# changes no language semantics that these tests see; both runs use the same go.mod). OUTDIR gets
# MODULE.native.txt and MODULE.kernel.txt (the -v output); standard output a summary line per
# module (tests and subtests passed, failed, skipped; exit status; seconds) and per package.
set -eu
out=$1; shift
repo=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
bin=$out/unikgen
(cd "$repo" && go build -o "$bin" ./cmd/unikgen)
# -vet=off: go test's vet step (go test -c runs it too) fails some of these modules' packages
# under Go 1.26's printf checks (pkg/errors, bbolt), on both sides, before a test runs.
export GOSUMDB=off GOFLAGS="-mod=mod -vet=off"
count() { # FILE: passed failed skipped, tests and subtests
	p=$(grep -cE '^ *--- PASS' "$1" || true)
	f=$(grep -cE '^ *--- FAIL' "$1" || true)
	s=$(grep -cE '^ *--- SKIP' "$1" || true)
	echo "$p $f $s"
}
perpkg() { # FILE: one line per package: path, result, passed failed skipped
	awk '/^ *--- PASS/ {p++} /^ *--- FAIL/ {f++} /^ *--- SKIP/ {s++}
	/^(ok  |FAIL|\?   )\t/ {split($0, a, "\t"); r = a[1]; gsub(/ /, "", r); if (r == "?") r = "none"
		print "\t" a[2], r, p + 0, f + 0, s + 0; p = 0; f = 0; s = 0}' "$1"
}
for mv in "$@"; do
	name=$(echo "$mv" | tr '/@' '__')
	src=$(go mod download -json "$mv" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	work=$(mktemp -d /tmp/kerneltest-mod-XXXXXX)
	cp -r "$src/." "$work/"
	chmod -R u+w "$work"
	(
		cd "$work"
		[ -f go.mod ] || { go mod init "${mv%@*}" 2>/dev/null && go mod edit -go=1.16; } # from before modules
		case $(go mod edit -json | sed -n 's/^[[:space:]]*"Go": "\(.*\)",*$/\1/p') in
		1.1[0-6] | 1.1[0-6].* | 1.[0-9] | 1.[0-9].* | "") go mod edit -go=1.17 ;;
		esac
		go mod edit -require=github.com/unikgen/unikgen@v0.0.0 -replace=github.com/unikgen/unikgen="$repo"
		cat "$repo/go.sum" >>go.sum
		t0=$(date +%s)
		go test -count=1 -v ${TESTFLAGS:-} ./... >"$out/$name.native.txt" 2>&1 && ns=0 || ns=$?
		t1=$(date +%s)
		timeout 3000 "$bin" test -v ${TESTFLAGS:-} ./... >"$out/$name.kernel.txt" 2>&1 && ks=0 || ks=$?
		t2=$(date +%s)
		echo "$mv native: $(count "$out/$name.native.txt") exit $ns $((t1 - t0))s; kernel: $(count "$out/$name.kernel.txt") exit $ks $((t2 - t1))s"
		echo " native:"; perpkg "$out/$name.native.txt"
		echo " kernel:"; perpkg "$out/$name.kernel.txt"
	)
	rm -rf "$work"
done
