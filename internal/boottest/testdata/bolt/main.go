// Command bolt keeps a go.etcd.io/bbolt database on the persistent volume at /data, and checks
// the calls bbolt makes: flock, a read-only shared mmap of a file that stays coherent with
// pwrite, and munmap. With "write" it checks the calls on /data and /tmp, then stores keys in a
// database and exits; with "check" it reads them back. internal/boottest.TestBolt checks each line.
package main

import (
	"bytes"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/unikgen/unikgen/config"
	bolt "go.etcd.io/bbolt"
)

var _ = config.Kernel{Target: config.QEMU, Volumes: []config.Volume{{Path: "/data"}}}

const keys = 300

// raw checks flock, mmap, its coherence with pwrite, PROT_WRITE and munmap on a file at p.
func raw(p string) {
	data := append([]byte("hello mmap"), bytes.Repeat([]byte{'.'}, 9000)...)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		fmt.Println(p, "write:", err)
		return
	}
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		fmt.Println(p, "open:", err)
		return
	}
	defer f.Close()
	fd := int(f.Fd())
	fmt.Println(p, "flock:", syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB))
	m, err := syscall.Mmap(fd, 0, 16384, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		fmt.Println(p, "mmap:", err)
		return
	}
	fmt.Println(p, "mapped:", string(m[:10]), bytes.Equal(m[:len(data)], data), m[len(data)] == 0)
	f.WriteAt([]byte("HELLO"), 0)
	f.WriteAt([]byte("tail"), 6000)
	f.Seek(8190, 0)
	f.Write([]byte("edge"))
	fmt.Println(p, "after pwrite:", string(m[:10]), string(m[6000:6004]), string(m[8190:8194]))
	f.Truncate(4096)
	fmt.Println(p, "after truncate:", m[4095] == '.', m[4096] == 0 && m[6000] == 0)
	os.Truncate(p, 2048)
	fmt.Println(p, "after path truncate:", m[2047] == '.', m[2048] == 0)
	_, err = syscall.Mmap(fd, 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	fmt.Println(p, "mmap PROT_WRITE:", err)
	fmt.Println(p, "mprotect PROT_WRITE:", syscall.Mprotect(m, syscall.PROT_READ|syscall.PROT_WRITE))
	fmt.Println(p, "munmap:", syscall.Munmap(m))
}

func value(i int) []byte {
	return []byte(fmt.Sprintf("value %d %s", i, bytes.Repeat([]byte{'x'}, i%200)))
}

func main() {
	mode := "check"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	if mode == "write" {
		raw("/data/raw")
		raw("/tmp/raw")
	}
	db, err := bolt.Open("/data/my.db", 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	if mode == "write" {
		err = db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("b"))
			if err != nil {
				return err
			}
			for i := 0; i < keys; i++ {
				if err := b.Put([]byte(fmt.Sprintf("key%04d", i)), value(i)); err != nil {
					return err
				}
			}
			return nil
		})
		fmt.Println("update:", err)
	}
	err = db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("b"))
		if b == nil {
			return fmt.Errorf("no bucket")
		}
		n, ok := 0, true
		b.ForEach(func(k, v []byte) error {
			ok = ok && bytes.Equal(v, value(n)) && string(k) == fmt.Sprintf("key%04d", n)
			n++
			return nil
		})
		fmt.Printf("keys: %d ok=%v\n", n, ok)
		return nil
	})
	fmt.Println("view:", err)
	fmt.Println("close:", db.Close())
}
