package fd

import (
	"sync"
	"syscall"
	"testing"

	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/runtime/mm"
	"github.com/unikgen/unikgen/runtime/sched"
	"github.com/unikgen/unikgen/runtime/sched/schedtest"
)

// testRAM gives the frame allocator 1 MiB of host memory mapped at a fixed low address: frames
// must lie below 4 GiB, where the kernel's identity map reaches.
var testRAM sync.Once

func giveFrames(t *testing.T) {
	testRAM.Do(func() {
		const at, size = 0x3000_0000, 1 << 20
		const mapFixedNoreplace = 0x100000
		a, _, e := syscall.Syscall6(syscall.SYS_MMAP, at, size, syscall.PROT_READ|syscall.PROT_WRITE,
			syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|mapFixedNoreplace, ^uintptr(0), 0)
		if e != 0 || a != at {
			t.Fatalf("mmap at %#x: %v", uintptr(at), e)
		}
		mm.AddRAM(at, at+size)
	})
}

func makePipe(t *testing.T, flags int) (r, w int) {
	var p [2]int32
	if e := Pipe2(addr(&p), flags); e != 0 {
		t.Fatalf("pipe2: %d", e)
	}
	return int(p[0]), int(p[1])
}

func TestPipe(t *testing.T) {
	Init()
	giveFrames(t)
	sched.UseFrames(schedtest.Frames(4))
	var regs sched.Regs
	th := sched.New(&regs, 0, -1)
	sched.Start(th)
	used0, _ := mm.Stats()

	r, w := makePipe(t, oNONBLOCK|oCLOEXEC)
	if Fcntl(r, 3, 0) != oNONBLOCK || Fcntl(w, 3, 0) != oNONBLOCK|oWRONLY || Fcntl(r, 1, 0) != 1 {
		t.Fatalf("flags: read end %#o, write end %#o, FD_CLOEXEC %d", Fcntl(r, 3, 0), Fcntl(w, 3, 0), Fcntl(r, 1, 0))
	}
	var st [144]byte
	if Fstat(r, addr(&st)); st[24+1]&0xf0 != sIFIFO>>8 {
		t.Errorf("st_mode %#x: not a FIFO", st[24:28])
	}
	var buf [pipeSize + 10]byte
	if n := Read(r, addr(&buf), 10); n != -errno.EAGAIN {
		t.Fatalf("read of an empty pipe: %d, want EAGAIN", n)
	}
	if n := Write(r, addr(&buf), 1); n != -errno.EBADF {
		t.Fatalf("write to the read end: %d, want EBADF", n)
	}
	if n := Read(w, addr(&buf), 1); n != -errno.EBADF {
		t.Fatalf("read of the write end: %d, want EBADF", n)
	}

	// Bytes come out in order across the ring's wrap and its frames' edges.
	epfd := int(EpollCreate1(0))
	ev := [12]byte{0: epollIN, 3: 0x80} // EPOLLIN | EPOLLET
	if e := EpollCtl(epfd, epollCtlAdd, r, addr(&ev)); e != 0 {
		t.Fatalf("epoll_ctl on the read end: %d", e)
	}
	var out [4 * epollEventSize]byte
	sent, got := 0, 0
	for round := 0; round < 40; round++ {
		size := 1 + round*3001%9000
		for i := range size {
			buf[i] = byte(sent + i)
		}
		if n := Write(w, addr(&buf), uintptr(size)); n != int64(size) {
			t.Fatalf("round %d: write %d bytes: %d", round, size, n)
		}
		sent += size
		if n := EpollPwait(epfd, addr(&out), 4, 0); n != 1 || out[0] != epollIN {
			t.Fatalf("round %d: the read end is not readable after a write: %d events %v", round, n, out[:4])
		}
		n := Read(r, addr(&buf), uintptr(len(buf)))
		if n != int64(size) {
			t.Fatalf("round %d: read %d, want %d", round, n, size)
		}
		for i := range size {
			if buf[i] != byte(got+i) {
				t.Fatalf("round %d: byte %d is %d, want %d", round, got+i, buf[i], byte(got+i))
			}
		}
		got += size
	}

	// A full pipe takes no more: a short atomic write waits whole, a long one takes what fits.
	if n := Write(w, addr(&buf), pipeSize-100); n != pipeSize-100 {
		t.Fatalf("filling write: %d", n)
	}
	if n := Write(w, addr(&buf), 200); n != -errno.EAGAIN {
		t.Fatalf("atomic write of 200 bytes into 100 bytes of room: %d, want EAGAIN", n)
	}
	if n := Write(w, addr(&buf), 5000); n != 100 {
		t.Fatalf("long write into 100 bytes of room: %d, want 100", n)
	}
	if pipeReady(get(w))&epollOUT != 0 {
		t.Fatal("a full pipe's write end is writable")
	}
	Read(r, addr(&buf), 1)
	if pipeReady(get(w))&epollOUT == 0 {
		t.Fatal("the write end is not writable after a read made room")
	}

	// A blocking reader waits for a writer and is woken by the write.
	Fcntl(r, 4, 0) // clear O_NONBLOCK
	Read(r, addr(&buf), uintptr(len(buf)))
	Read(r, addr(&buf), 10)
	if sched.T(th).State != sched.Blocked {
		t.Fatal("a blocking read of an empty pipe did not wait")
	}
	one := byte(7)
	Write(w, addr(&one), 1)
	if tt := sched.T(th); tt.State != sched.Runnable || !tt.Restart {
		t.Fatalf("a write did not wake the reader: state %d restart %v", tt.State, tt.Restart)
	}
	sched.Start(th)
	Read(r, addr(&buf), 10)

	// The last writer's close is the reader's end of file (a dup keeps the end open); the last
	// reader's close makes writes fail with EPIPE.
	w2 := int(Dup(w, 0, false))
	Close(w)
	if pipeReady(get(r))&epollHUP != 0 {
		t.Fatal("hung up while a duplicate of the write end is open")
	}
	Close(w2)
	if n := Read(r, addr(&buf), 10); n != 0 || pipeReady(get(r))&epollHUP == 0 {
		t.Fatalf("read after the writers closed: %d, readiness %#x; want 0 (end of file) and EPOLLHUP", n, pipeReady(get(r)))
	}
	Close(r)
	Close(epfd)
	r, w = makePipe(t, 0)
	Close(r)
	if n := Write(w, addr(&buf), 1); n != -errno.EPIPE || pipeReady(get(w))&epollERR == 0 {
		t.Fatalf("write without a reader: %d, want EPIPE and EPOLLERR", n)
	}
	Close(w)
	if used, _ := mm.Stats(); used != used0 {
		t.Errorf("frames in use after the pipes closed: %d, before %d", used, used0)
	}
	for i := range pipes {
		if pipes[i].used {
			t.Errorf("pipe %d still in use", i)
		}
	}
	var p [2]int32
	if e := Pipe2(addr(&p), oDIRECT); e != -errno.EINVAL {
		t.Errorf("pipe2(O_DIRECT): %d, want EINVAL", e)
	}
}
