package xenboot

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// stallSymbols lists the library OS's variables that tell what a stalled guest is doing: the
// scheduler's queue and threads, the timer, the clock, event channels, the trap layer and the
// relay. stallDumpFiles writes their addresses for dom0's stall monitor.
var stallSymbolPackages = []string{
	"github.com/unikgen/unikgen/runtime/sched.",
	"github.com/unikgen/unikgen/runtime/ktime.",
	"github.com/unikgen/unikgen/drivers/xen/pvclock.",
	"github.com/unikgen/unikgen/drivers/xen/evtchn.",
	"github.com/unikgen/unikgen/drivers/xen/sharedinfo.",
	"github.com/unikgen/unikgen/runtime/trap.",
	"github.com/unikgen/unikgen/runtime/relay.",
	"github.com/unikgen/unikgen/runtime/platform/xen.",
}

// stallSymbolTable returns "name address size" lines of the image's data symbols of
// stallSymbolPackages (go tool nm -size), for the stall monitor's memory dumps.
func stallSymbolTable(t *testing.T, image string) []byte {
	t.Helper()
	out, err := exec.Command("go", "tool", "nm", "-size", image).Output()
	if err != nil {
		t.Fatalf("go tool nm %s: %v", image, err)
	}
	var b bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 4 || (f[2] != "D" && f[2] != "B" && f[2] != "d" && f[2] != "b") {
			continue
		}
		for _, p := range stallSymbolPackages {
			if strings.HasPrefix(f[3], p) {
				size, _ := strconv.Atoi(f[1])
				if size > 512 {
					size = 512
				}
				fmt.Fprintf(&b, "%s %s %d\n", strings.TrimPrefix(f[3], "github.com/unikgen/unikgen/"), f[0], size)
			}
		}
	}
	return b.Bytes()
}

// stallMonitor is a dom0 script fragment: it runs CMD (the load) in the background and pings
// the guest every 2 s; after 3 failures in a row it dumps the stalled guest's state (rip samples,
// registers with a frame-pointer stack, the HVM context with the local APIC, the variables listed
// in /bin/stallsyms, the thread slots, Xen's view of the vCPU), watches whether it comes back,
// and dumps again. $rc is the load's status.
const stallMonitor = `
XC=/usr/lib/xen-4.17/bin/xenctx
mem() { $XC -t -m $1 -l $2 $DOMID 0 2>&1 | grep -v '^$'; }
dumpstate() {
  echo "=== stall dump $1 at $(cat /proc/uptime)"
  for i in 1 2 3 4 5 6 7 8; do $XC $DOMID 0 2>&1 | grep -E 'rip|rsp|flags' | tr '\n' ' '; echo; sleep 0.25; done
  $XC -a -f -S -l 64 $DOMID 0 2>&1
  echo "--- hvmctx"
  /usr/lib/xen-4.17/bin/xen-hvmctx $DOMID 2>&1 | head -400
  echo "--- symbols"
  while read name addr size; do
    echo "sym $name $addr $size"
    mem 0x$addr $(( (size + 31) / 32 ))
  done < /bin/stallsyms
  echo "--- thread frames"
  SF=$(awk '$1 ~ /sched.slotFrames$/ {print $2}' /bin/stallsyms)
  for f in $(mem 0x$SF 1 | grep -o '[0-9a-f]\{16\}' | tail -4); do
    [ "$f" = 0000000000000000 ] && continue
    echo "frame $f"; mem 0x$f 128
  done
  echo "--- shared_info"
  SI=$(awk '$1 ~ /sharedinfo.addr$/ || $1 ~ /sharedinfo.shared$/ {print $2}' /bin/stallsyms | head -1)
  [ -n "$SI" ] && for f in $(mem 0x$SI 1 | grep -o '[0-9a-f]\{16\}' | tail -4 | head -1); do echo "shared_info $f"; mem 0x$f 20; mem 0x$(printf %x $((0x$f + 0x800))) 4; mem 0x$(printf %x $((0x$f + 0xa00))) 4; done
  echo "--- xl"
  xl vcpu-list
  xl debug-keys q; xl debug-keys e
  xl dmesg | tail -120
  dmesg | tail -15
  echo "=== end stall dump $1"
}
eval "$CMD" > /tmp/load.out 2>&1 &
LOADPID=$!
up=0; fails=0; stalled=0
while kill -0 $LOADPID 2>/dev/null; do
  if ping -c 1 -W 2 $GUEST_IP >/dev/null 2>&1; then up=1; fails=0; else [ $up = 1 ] && fails=$((fails+1)); fi
  if [ $fails -ge 3 ]; then
    stalled=1
    dumpstate first
    for i in $(seq 1 12); do sleep 5; if ping -c 1 -W 2 $GUEST_IP >/dev/null 2>&1; then echo "=== guest answered again at $(cat /proc/uptime)"; break; fi; done
    dumpstate second
    break
  fi
  sleep 2
done
[ $stalled = 1 ] && kill $LOADPID 2>/dev/null
wait $LOADPID; rc=$?
cat /tmp/load.out
echo "=== stalled=$stalled rc=$rc"
`
