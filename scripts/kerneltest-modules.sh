#!/bin/sh
# kerneltest-modules.sh: run the test suites of third-party modules natively (go test) and inside
# unikgen kernels (unikgen test), and count the tests that pass, fail and skip in each
# (docs/testing.md, "Third-party test suites").
#
# Usage: scripts/kerneltest-modules.sh OUTDIR MODULE@VERSION...
# Each module is downloaded by the module proxy (go mod download), copied into a temporary
# directory, made to require this checkout (replace directive) and given this repository's go.sum
# beside its own; a go directive below 1.17 is raised to 1.17 (the module would otherwise load
# the whole, unpruned module graph of the library OS's dependencies; 1.17 changes no language
# semantics or vet check that these tests see; both runs use the same go.mod); GOSUMDB=off and GOFLAGS=-mod=mod let the go command add the test dependencies'
# sums without the checksum database. OUTDIR gets MODULE.native.txt and MODULE.kernel.txt (the
# -v output) and a summary line per module on standard output.
set -eu
out=$1; shift
repo=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
bin=$out/unikgen
(cd "$repo" && go build -o "$bin" ./cmd/unikgen)
export GOSUMDB=off GOFLAGS=-mod=mod
count() { # FILE: passed failed skipped, tests and subtests
	p=$(grep -cE '^ *--- PASS' "$1" || true)
	f=$(grep -cE '^ *--- FAIL' "$1" || true)
	s=$(grep -cE '^ *--- SKIP' "$1" || true)
	echo "$p $f $s"
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
		go test -count=1 -v ./... >"$out/$name.native.txt" 2>&1 && ns=0 || ns=$?
		t1=$(date +%s)
		timeout 3000 "$bin" test -v ./... >"$out/$name.kernel.txt" 2>&1 && ks=0 || ks=$?
		t2=$(date +%s)
		echo "$mv native: $(count "$out/$name.native.txt") exit $ns $((t1 - t0))s; kernel: $(count "$out/$name.kernel.txt") exit $ks $((t2 - t1))s"
	)
	rm -rf "$work"
done
