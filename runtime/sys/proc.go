package sys

import (
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/runtime/fd"
	"github.com/unikgen/unikgen/runtime/platform"
	"github.com/unikgen/unikgen/runtime/sched"
	"github.com/unikgen/unikgen/runtime/signal"
)

// clone(2) flags.
const (
	cloneVM           = 0x100
	cloneThread       = 0x10000
	cloneSighand      = 0x800
	cloneSettls       = 0x80000
	cloneParentSettid = 0x100000
	cloneChildSettid  = 0x1000000
)

// Clone creates a thread. Only threads sharing the address space exist here: a fork or a new
// process (os/exec) gets ENOSYS.
func Clone(r *sched.Regs) int64 {
	flags := r.RDI
	if flags&(cloneVM|cloneThread|cloneSighand) != cloneVM|cloneThread|cloneSighand {
		return -errno.ENOSYS
	}
	parent := sched.Current()
	child := *r
	child.RAX = 0
	if r.RSI != 0 {
		child.RSP = r.RSI
	}
	fs := sched.T(parent).FSBase
	if flags&cloneSettls != 0 {
		fs = r.R8
	}
	i := sched.New(&child, fs, parent)
	if i < 0 {
		return -errno.EAGAIN
	}
	tid := int64(sched.T(i).TID)
	if flags&cloneParentSettid != 0 && r.RDX != 0 {
		*arch.U32(uintptr(r.RDX)) = uint32(tid)
	}
	if flags&cloneChildSettid != 0 && r.R10 != 0 {
		*arch.U32(uintptr(r.R10)) = uint32(tid)
	}
	return tid
}

// Exit ends the calling thread (exit(2)).
func Exit(r *sched.Regs) int64 {
	if sched.Live() == 1 {
		platform.Exit(int(r.RDI))
	}
	sched.Exit()
	return 0
}

// Getpid returns the process id: 1, the id of the first thread.
func Getpid(r *sched.Regs) int64 { return 1 }

// Getppid returns 0: nothing started this process.
func Getppid(r *sched.Regs) int64 { return 0 }

// Gettid returns the calling thread's id.
func Gettid(r *sched.Regs) int64 { return int64(sched.CurrentThread().TID) }

// Getuid serves getuid, geteuid, getgid and getegid: everything runs as root.
func Getuid(r *sched.Regs) int64 { return 0 }

// SetTidAddress implements set_tid_address(2) (the address is not used).
func SetTidAddress(r *sched.Regs) int64 { return int64(sched.CurrentThread().TID) }

// Success answers calls that have nothing to do here (set_robust_list, sched_setaffinity...).
func Success(r *sched.Regs) int64 { return 0 }

// Invalid answers calls whose every use is unsupported with EINVAL (prctl).
func Invalid(r *sched.Regs) int64 { return -errno.EINVAL }

// ArchPrctl implements arch_prctl(2): ARCH_SET_FS and ARCH_GET_FS.
func ArchPrctl(r *sched.Regs) int64 {
	t := sched.CurrentThread()
	switch r.RDI {
	case 0x1002: // ARCH_SET_FS
		t.FSBase = r.RSI
		return 0
	case 0x1003: // ARCH_GET_FS
		*arch.U64(uintptr(r.RSI)) = t.FSBase
		return 0
	}
	return -errno.EINVAL
}

// SchedGetaffinity reports one CPU.
func SchedGetaffinity(r *sched.Regs) int64 {
	if r.RSI < 8 {
		return -errno.EINVAL
	}
	clear(arch.Bytes(uintptr(r.RDX), uintptr(r.RSI)))
	*arch.U64(uintptr(r.RDX)) = 1
	return 8
}

// Uname reports a modern Linux (the net package checks the release for MPTCP support).
func Uname(r *sched.Regs) int64 {
	buf := arch.Bytes(uintptr(r.RDI), 6*65)
	clear(buf)
	for i, s := range [...]string{"Linux", "unikgen", "6.1.0-unikgen", "#1 SMP unikgen", "x86_64", "(none)"} {
		copy(buf[i*65:i*65+64], s)
	}
	return 0
}

const rlimInfinity = ^uint64(0)

func rlimit(resource uint64) (cur, max uint64) {
	switch resource {
	case 7: // RLIMIT_NOFILE
		return fd.MaxFiles, fd.MaxFiles
	case 3: // RLIMIT_STACK
		return 8 << 20, rlimInfinity
	}
	return rlimInfinity, rlimInfinity
}

// Prlimit64 implements prlimit64(2) for the process itself; new limits are accepted and ignored.
func Prlimit64(r *sched.Regs) int64 {
	if r.RDI != 0 && r.RDI != 1 {
		return -errno.ESRCH
	}
	if old := uintptr(r.R10); old != 0 {
		cur, max := rlimit(r.RSI)
		*arch.U64(old) = cur
		*arch.U64(old + 8) = max
	}
	return 0
}

// Getrlimit implements getrlimit(2).
func Getrlimit(r *sched.Regs) int64 {
	cur, max := rlimit(r.RDI)
	*arch.U64(uintptr(r.RSI)) = cur
	*arch.U64(uintptr(r.RSI) + 8) = max
	return 0
}

// Kill implements kill(2) for this process (pid 1, 0 or -1).
func Kill(r *sched.Regs) int64 {
	pid, sig := int64(r.RDI), int(r.RSI)
	if pid != 1 && pid != 0 && pid != -1 {
		return -errno.ESRCH
	}
	return sendTo(int32(sched.CurrentThread().TID), sig)
}

// Tgkill implements tgkill(2).
func Tgkill(r *sched.Regs) int64 {
	if r.RDI != 1 {
		return -errno.ESRCH
	}
	return sendTo(int32(r.RSI), int(r.RDX))
}

// Tkill implements tkill(2).
func Tkill(r *sched.Regs) int64 { return sendTo(int32(r.RDI), int(r.RSI)) }

func sendTo(tid int32, sig int) int64 {
	if sig < 0 || sig > signal.NSIG {
		return -errno.EINVAL
	}
	i := sched.Find(tid)
	if i < 0 {
		return -errno.ESRCH
	}
	if sig != 0 {
		signal.Send(i, sig)
	}
	return 0
}
