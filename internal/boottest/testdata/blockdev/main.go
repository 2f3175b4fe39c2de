// Command blockdev reads and writes the first disk, /dev/vda: its size (lseek SEEK_END and
// ioctl BLKGETSIZE64), what the host wrote at offset 0, and a write at an unaligned offset made
// durable with fsync, which the boot test then finds in the host's image file.
package main

import (
	"fmt"
	"io"
	"os"
	"syscall"
	"unsafe"
)

func main() {
	f, err := os.OpenFile("/dev/vda", os.O_RDWR, 0)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	st, err := f.Stat()
	fmt.Printf("block device: %v %v\n", st.Mode()&os.ModeDevice != 0 && st.Mode()&os.ModeCharDevice == 0, err)
	end, err := f.Seek(0, io.SeekEnd)
	fmt.Printf("seek end: %d %v\n", end, err)
	var size uint64
	_, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), 0x80081272, uintptr(unsafe.Pointer(&size)))
	fmt.Printf("BLKGETSIZE64: %d %v\n", size, e)
	b := make([]byte, 19)
	_, err = f.ReadAt(b, 0)
	fmt.Printf("host wrote: %q %v\n", b, err)
	msg := []byte("written by the guest")
	_, err = f.WriteAt(msg, 4096+7)
	fmt.Printf("write: %v\n", err)
	fmt.Printf("fsync: %v\n", f.Sync())
	back := make([]byte, len(msg))
	_, err = f.ReadAt(back, 4096+7)
	fmt.Printf("read back: %q %v\n", back, err)
	n, err := f.ReadAt(make([]byte, 100), end-10)
	fmt.Printf("read at the end: %d %v\n", n, err)
	f.Close()
}
