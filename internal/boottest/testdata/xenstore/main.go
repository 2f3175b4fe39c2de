// Command xenstore uses the xenstore client of the Xen drivers from an ordinary Go program in a
// unikgen kernel built with -target xen: it writes keys under the domain's data/ directory and reads
// them back, lists a directory, watches a key, changes it and receives the watch event, removes
// a subtree, and prints a fixed transcript. Any unexpected result prints a line starting with
// "FAIL" and exits 1; success exits 0.
package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"syscall"

	"github.com/unikgen/unikgen/drivers/xen/xenstore"
)

func fail(format string, args ...any) {
	fmt.Printf("FAIL "+format+"\n", args...)
	os.Exit(1)
}

func write(path, value string) {
	if err := xenstore.Write(path, value); err != nil {
		fail("write %s: %v", path, err)
	}
	fmt.Printf("write %s: ok\n", path)
}

func read(path string) {
	v, err := xenstore.Read(path)
	if err != nil {
		fail("read %s: %v", path, err)
	}
	fmt.Printf("read %s: %q\n", path, v)
}

func event(what string) {
	ev, err := xenstore.WaitEvent()
	if err != nil {
		fail("%s: %v", what, err)
	}
	fmt.Printf("%s: %s %s\n", what, ev.Path, ev.Token)
}

func main() {
	write("data/a", "1")
	read("data/a")
	write("data/b", "two words, \"quoted\"")
	read("data/b")

	write("data/dir/y", "why")
	write("data/dir/x", "ex")
	names, err := xenstore.Directory("data/dir")
	if err != nil {
		fail("directory data/dir: %v", err)
	}
	slices.Sort(names)
	fmt.Printf("directory data/dir: %q\n", names)

	// The daemon fires a watch once when it is registered, then on each change.
	if err := xenstore.Watch("data/watched", "tok-1"); err != nil {
		fail("watch: %v", err)
	}
	fmt.Println("watch data/watched tok-1: ok")
	event("initial event")
	write("data/watched", "changed")
	event("change event")
	read("data/watched")
	if err := xenstore.Unwatch("data/watched", "tok-1"); err != nil {
		fail("unwatch: %v", err)
	}
	fmt.Println("unwatch: ok")

	if err := xenstore.Rm("data/dir"); err != nil {
		fail("rm data/dir: %v", err)
	}
	fmt.Println("rm data/dir: ok")
	_, err = xenstore.Read("data/dir/x")
	fmt.Println("read data/dir/x after rm is ENOENT:", errors.Is(err, syscall.ENOENT))
	if n := xenstore.DroppedEvents(); n != 0 {
		fail("%d watch events dropped", n)
	}
	fmt.Println("done")
}
