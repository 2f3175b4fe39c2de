// Command xsprobe exercises the xenstore client from an ordinary Go program inside a unikgen
// kernel on Xen: read, watch, write and read back, an ERROR reply, a transaction, directory, rm,
// unwatch. It prints one line per step and exits with status 3 (so that a harness can tell its
// status from a default 0).
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

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
	fmt.Println("done")
	os.Exit(3)
}
