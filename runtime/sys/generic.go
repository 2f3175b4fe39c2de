package sys

import "github.com/unikgen/unikgen/runtime/sysno"

// Generic is the dispatch table holding every handler: what a kernel gets when its program has not
// been analysed (unikgen build -generic).
var Generic = Table{
	sysno.SYS_READ:              Read,
	sysno.SYS_WRITE:             Write,
	sysno.SYS_OPEN:              NoFile,
	sysno.SYS_CLOSE:             Close,
	sysno.SYS_STAT:              NoFile,
	sysno.SYS_FSTAT:             Fstat,
	sysno.SYS_LSTAT:             NoFile,
	sysno.SYS_MMAP:              Mmap,
	sysno.SYS_MPROTECT:          Mprotect,
	sysno.SYS_MUNMAP:            Munmap,
	sysno.SYS_BRK:               Brk,
	sysno.SYS_RT_SIGACTION:      RtSigaction,
	sysno.SYS_RT_SIGPROCMASK:    RtSigprocmask,
	sysno.SYS_RT_SIGRETURN:      RtSigreturn,
	sysno.SYS_IOCTL:             Ioctl,
	sysno.SYS_PREAD64:           Pread64,
	sysno.SYS_WRITEV:            Writev,
	sysno.SYS_ACCESS:            NoFile,
	sysno.SYS_SCHED_YIELD:       SchedYield,
	sysno.SYS_MADVISE:           Madvise,
	sysno.SYS_NANOSLEEP:         Nanosleep,
	sysno.SYS_GETPID:            Getpid,
	sysno.SYS_SOCKET:            Socket,
	sysno.SYS_CLONE:             Clone,
	sysno.SYS_EXIT:              Exit,
	sysno.SYS_KILL:              Kill,
	sysno.SYS_UNAME:             Uname,
	sysno.SYS_FCNTL:             Fcntl,
	sysno.SYS_GETCWD:            Getcwd,
	sysno.SYS_READLINK:          NoFile,
	sysno.SYS_GETTIMEOFDAY:      Gettimeofday,
	sysno.SYS_GETRLIMIT:         Getrlimit,
	sysno.SYS_GETUID:            Getuid,
	sysno.SYS_GETGID:            Getuid,
	sysno.SYS_GETEUID:           Getuid,
	sysno.SYS_GETEGID:           Getuid,
	sysno.SYS_GETPPID:           Getppid,
	sysno.SYS_SIGALTSTACK:       Sigaltstack,
	sysno.SYS_PRCTL:             Invalid,
	sysno.SYS_ARCH_PRCTL:        ArchPrctl,
	sysno.SYS_GETTID:            Gettid,
	sysno.SYS_TKILL:             Tkill,
	sysno.SYS_TIME:              Time,
	sysno.SYS_FUTEX:             Futex,
	sysno.SYS_SCHED_SETAFFINITY: Success,
	sysno.SYS_SCHED_GETAFFINITY: SchedGetaffinity,
	sysno.SYS_SET_TID_ADDRESS:   SetTidAddress,
	sysno.SYS_CLOCK_GETTIME:     ClockGettime,
	sysno.SYS_CLOCK_GETRES:      ClockGetres,
	sysno.SYS_CLOCK_NANOSLEEP:   ClockNanosleep,
	sysno.SYS_EXIT_GROUP:        ExitGroup,
	sysno.SYS_EPOLL_WAIT:        EpollPwait,
	sysno.SYS_EPOLL_CTL:         EpollCtl,
	sysno.SYS_TGKILL:            Tgkill,
	sysno.SYS_OPENAT:            NoFile,
	sysno.SYS_NEWFSTATAT:        Newfstatat,
	sysno.SYS_READLINKAT:        NoFile,
	sysno.SYS_FACCESSAT:         NoFile,
	sysno.SYS_SET_ROBUST_LIST:   Success,
	sysno.SYS_EPOLL_PWAIT:       EpollPwait,
	sysno.SYS_EVENTFD2:          Eventfd2,
	sysno.SYS_EPOLL_CREATE1:     EpollCreate1,
	sysno.SYS_PRLIMIT64:         Prlimit64,
	sysno.SYS_GETRANDOM:         Getrandom,
	sysno.SYS_FACCESSAT2:        NoFile,
}

// Name returns the name of system call nr.
func Name(nr int) string {
	if n := sysno.Name(nr); n != "" {
		return n
	}
	return "unknown"
}
