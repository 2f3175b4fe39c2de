// Command xsprobe exercises the Xen drivers from an ordinary Go program inside a unikgen kernel on
// Xen: hypercalls, pvclock, grant table, event channels, and the xenstore client (read, watch,
// write and read back, an ERROR reply, a transaction, directory, rm, unwatch). It prints one line
// per step ("info:" lines vary between runs) and exits with status 3 (so that a harness can tell
// its status from a default 0).
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/unikgen/unikgen/drivers/xen/evtchn"
	"github.com/unikgen/unikgen/drivers/xen/gnttab"
	"github.com/unikgen/unikgen/drivers/xen/hypercall"
	"github.com/unikgen/unikgen/drivers/xen/pvclock"
	"github.com/unikgen/unikgen/drivers/xen/xenstore"
)

func check(what string, err error) {
	if err != nil {
		fmt.Printf("%s: %v\n", what, err)
		os.Exit(1)
	}
}

func main() {
	domid, err := xenstore.Read("domid")
	check("read domid", err)
	fmt.Println("domid read:", domid != "")

	check("watch", xenstore.Watch("data/probe", "tok"))
	ev, err := xenstore.WaitEvent()
	check("initial watch event", err)
	fmt.Printf("event %s %s\n", ev.Path, ev.Token)

	check("write", xenstore.Write("data/probe/key", "value-1"))
	v, err := xenstore.Read("data/probe/key")
	check("read back", err)
	fmt.Println("read back:", v)
	ev, err = xenstore.WaitEvent()
	check("watch event after write", err)
	fmt.Printf("event %s %s\n", ev.Path, ev.Token)

	_, err = xenstore.Read("data/probe/missing")
	fmt.Println("missing key is ENOENT:", errors.Is(err, syscall.ENOENT))

	check("transaction", xenstore.Transaction(func(tx xenstore.Tx) error {
		v, err := tx.Read("data/probe/key")
		if err != nil {
			return err
		}
		return tx.Write("data/probe/tx", v+"+tx")
	}))
	v, err = xenstore.Read("data/probe/tx")
	check("read tx result", err)
	fmt.Println("after transaction:", v)

	names, err := xenstore.Directory("data/probe")
	check("directory", err)
	fmt.Println("directory:", strings.Join(names, " "))

	check("rm", xenstore.Rm("data/probe"))
	_, err = xenstore.Read("data/probe/key")
	fmt.Println("removed:", errors.Is(err, syscall.ENOENT))
	check("unwatch", xenstore.Unwatch("data/probe", "tok"))
	platform()
	// One write of 3 times the console ring (2048 bytes): wraps it and waits for xenconsoled.
	var big strings.Builder
	for i := 0; big.Len() < 3*2048; i++ {
		fmt.Fprintf(&big, "%05d ", i)
	}
	big.WriteString("\n")
	os.Stdout.WriteString(big.String())
	fmt.Println("done")
	os.Exit(3)
}

// platform checks the lower layers: version and features, clocks, grant table, event channels.
func platform() {
	v := hypercall.XenVer()
	fmt.Println("xen_version matches cpuid:", v > 0 && uint32(v) == hypercall.Version())
	fmt.Printf("info: xen %d.%d\n", v>>16, v&0xffff)
	f, rc := hypercall.Features(0)
	fmt.Println("feature hvm_callback_vector:", rc == 0 && f&(1<<hypercall.FeatHVMCallbackVector) != 0)

	t1 := pvclock.Nanotime()
	time.Sleep(20 * time.Millisecond)
	t2 := pvclock.Nanotime()
	fmt.Println("pvclock advances across a 20 ms sleep:", t2-t1 >= 20e6 && t2-t1 < 5e9)
	sec, nsec := pvclock.WallClock()
	fmt.Println("wall clock after 2020:", sec > 1577836800 && nsec >= 0 && nsec < 1e9)
	fmt.Printf("info: wall clock %d.%09d, time.Now %v, TSC %d Hz\n", sec, nsec, time.Now().UTC(), pvclock.TSCHz())

	n, rc := gnttab.Init(1)
	fmt.Println("gnttab frames:", n, "rc:", rc)
	ref, ok := gnttab.Grant(0, 0x1000, true)
	fmt.Println("grant:", ref, ok, "revoke:", gnttab.Revoke(ref), "used:", gnttab.Used())

	port, rc := evtchn.AllocUnbound(0)
	fmt.Println("alloc_unbound ok:", rc == 0 && port > 0, "close:", evtchn.Close(port))
	fmt.Printf("info: upcalls %d, unbound port %d\n", evtchn.Upcalls(), port)
}
