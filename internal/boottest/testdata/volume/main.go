// Command volume uses the persistent volume at /data. With the argument "write" it saves
// files the safe way (write a temporary file, fsync it, rename it over the name, fsync the
// directory), prints "synced" and waits to be killed; with "check" it prints what it finds.
// Each line is checked by internal/boottest.TestVolume.
package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/unikgen/unikgen/config"
	"github.com/unikgen/unikgen/internal/bootcases/payload"
)

var _ = config.Kernel{Target: config.QEMU, Volumes: []config.Volume{{Path: "/data"}}}

// save writes name's new contents safely.
func save(name string, data []byte) error {
	tmp := name + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, name); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(name))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func main() {
	mode := "check"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	var st syscallStatfs
	fmt.Println("statfs:", statfs("/data", &st))
	switch mode {
	case "write":
		fmt.Println("mkdir:", os.MkdirAll("/data/app/logs", 0o755))
		fmt.Println("save config:", save("/data/app/config.json", []byte(`{"version": 1}`)))
		fmt.Println("save config again:", save("/data/app/config.json", []byte(`{"version": 2}`)))
		for i := 0; i < 5; i++ {
			if err := save(fmt.Sprintf("/data/app/blob%d", i), payload.Bytes(i, 1000+i*70000)); err != nil {
				fmt.Println("save blob:", err)
			}
		}
		f, err := os.OpenFile("/data/app/logs/log", os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err == nil {
			for i := 0; i < 100; i++ {
				fmt.Fprintf(f, "line %d\n", i)
			}
			err = f.Sync()
		}
		fmt.Println("log:", err)
		fmt.Println("symlink:", os.Symlink("config.json", "/data/app/current"))
		d, _ := os.Open("/data/app")
		fmt.Println("dir sync:", d.Sync())
		// Not synced: may or may not survive the kill, and must not break anything.
		os.WriteFile("/data/app/unsynced", payload.Bytes(99, 5000), 0o644)
		fmt.Println("synced")
		time.Sleep(time.Hour) // killed here
	case "check":
		b, err := os.ReadFile("/data/app/config.json")
		fmt.Printf("config: %s %v\n", b, err)
		for i := 0; i < 5; i++ {
			b, err := os.ReadFile(fmt.Sprintf("/data/app/blob%d", i))
			want := payload.Bytes(i, 1000+i*70000)
			fmt.Printf("blob%d: %d bytes ok=%v %v\n", i, len(b), string(b) == string(want), err)
		}
		b, err = os.ReadFile("/data/app/logs/log")
		fmt.Printf("log: %d bytes %x %v\n", len(b), sha256.Sum256(b), err)
		t, err := os.Readlink("/data/app/current")
		fmt.Println("current ->", t, err)
		ents, err := os.ReadDir("/data/app")
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		fmt.Println("entries:", names, err)
		fmt.Println("write more:", save("/data/second-boot", []byte("hello again")))
	}
	fmt.Println("done")
}
