package boot

import (
	"unsafe"

	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/cmdline"
	"github.com/unikgen/unikgen/runtime/klog"
	"github.com/unikgen/unikgen/runtime/ktime"
	"github.com/unikgen/unikgen/runtime/mm"
	"github.com/unikgen/unikgen/runtime/platform"
	"github.com/unikgen/unikgen/runtime/sys"
	"github.com/unikgen/unikgen/runtime/vdso"
)

// Auxiliary vector keys (include/uapi/linux/auxvec.h).
const (
	atNull        = 0
	atPagesz      = 6
	atClktck      = 17
	atRandom      = 25
	atSysinfoEhdr = 33
)

// buildProcessStack maps the main thread's stack, with an inaccessible guard gap below it (so
// that an overrun faults instead of running into the mappings below), and lays it out as Linux
// does for a new process: argc, argv[], NULL, envp[], NULL, auxv pairs, then the strings. It
// returns the initial stack pointer.
func buildProcessStack(info *bootInfo) uintptr {
	const (
		protNone, protRW              = 0, 3
		mapPrivateAnonymous, mapFixed = 0x22, 0x10
	)
	guard := mm.Mmap(0, userStackGuard+userStack, protNone, mapPrivateAnonymous)
	if guard < 0 {
		platform.Fatal("cannot map the main thread's stack")
	}
	base := mm.Mmap(uintptr(guard)+userStackGuard, userStack, protRW, mapPrivateAnonymous|mapFixed)
	if base < 0 {
		platform.Fatal("cannot map the main thread's stack")
	}
	top := uintptr(base) + userStack
	const strArea = 16 << 10
	if !mm.Prefault(top-strArea-8192, strArea+8192) {
		platform.Fatal("out of memory for the main thread's stack")
	}

	if info.ncmdline == 0 {
		info.ncmdline = copy(info.cmdline[:len(info.cmdline)-1], DefaultCmdline)
	}
	cmd := info.cmdline[:info.ncmdline]
	words, n := cmdline.Split(cmd)
	env, args := cmdline.SplitEnv(cmd, words[:n])

	// Strings, from the top down.
	p := top
	// putString copies n bytes at src and a NUL below p. The copy goes through arch.Copy, out of
	// line: the program name is a constant, and an inlined copy of more than 16 constant bytes
	// into memory built from an address crashed the Go 1.26 compiler ("disjointTypes: one of
	// arguments is not a pointer"; TestConfigStringLengths).
	putString := func(src, n uintptr) uintptr {
		if p-n-1 < top-strArea {
			platform.Fatal("kernel command line too long")
		}
		p -= n + 1
		arch.Copy(p, src, n)
		*(*byte)(arch.Ptr(p + n)) = 0
		return p
	}
	putWord := func(w cmdline.Word) uintptr {
		return putString(arch.Addr(cmd)+uintptr(w.Start), uintptr(w.End-w.Start))
	}
	putBytes := func(b []byte) uintptr { return putString(arch.Addr(b), uintptr(len(b))) }
	putStr := func(s string) uintptr {
		return putString(uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(len(s)))
	}
	var argv [cmdline.MaxWords + 1]uintptr
	var envp [cmdline.MaxWords + 3]uintptr // the command line's, GOMEMLIMIT, GOMAXPROCS
	argc := 0
	argv[argc] = putStr(ProgramName)
	argc++
	for _, w := range args {
		argv[argc] = putWord(w)
		argc++
	}
	envc := 0
	for _, w := range env {
		envp[envc] = putWord(w)
		envc++
	}
	var limitBuf [64]byte
	if e := memLimitEnv(limitBuf[:]); e != nil && !hasEnv(cmd, env, "GOMEMLIMIT") {
		envp[envc] = putBytes(e)
		envc++
	}
	if Services && !hasEnv(cmd, env, "GOMAXPROCS") {
		// The relay server needs a P of its own while a thread waits for it (docs/network.md).
		envp[envc] = putStr("GOMAXPROCS=2")
		envc++
	}
	p &^= 15
	p -= 16
	random := p
	if !sys.Random(arch.Bytes(random, 16)) {
		// The runtime seeds its hash functions from AT_RANDOM; without a hardware generator the
		// best there is, is the TSC. (getrandom, used by crypto/rand, fails closed instead.)
		*arch.U64(random) = arch.Rdtsc()
		*arch.U64(random + 8) = arch.Rdtsc() * 0x9E3779B97F4A7C15
	}

	// The vectors.
	words64 := 1 + argc + 1 + envc + 1 + 2*5
	sp := (p - uintptr(words64)*8) &^ 15
	q := sp
	put := func(v uintptr) {
		*arch.U64(q) = uint64(v)
		q += 8
	}
	put(uintptr(argc))
	for i := 0; i < argc; i++ {
		put(argv[i])
	}
	put(0)
	for i := 0; i < envc; i++ {
		put(envp[i])
	}
	put(0)
	put(atPagesz)
	put(mm.PageSize)
	put(atClktck)
	put(100)
	put(atRandom)
	put(random)
	if fn, ok := ktime.VDSO(); ok {
		put(atSysinfoEhdr)
		put(vdso.Build(fn))
	}
	put(atNull)
	put(0)
	return sp
}

// hasEnv reports whether one of the environment words env of cmd sets key.
func hasEnv(cmd []byte, env []cmdline.Word, key string) bool {
	for _, w := range env {
		b := cmd[w.Start:w.End]
		if len(b) > len(key) && b[len(key)] == '=' && string(b[:len(key)]) == key {
			return true
		}
	}
	return false
}

// memLimitEnv formats into buf (at least 34 bytes) the GOMEMLIMIT entry that tells the Go runtime
// how much memory it may use, and returns it; nil when the machine has too little for one.
//
// Without it the runtime does not know the machine's size: with GOGC=100 it lets the heap grow to
// twice what is live before collecting, so a program with 40 MiB live dies out of memory in a
// 64 MiB machine that could hold it. The limit is the memory free now, when only the kernel, the
// image and the main thread's first stack pages are in use, minus a reserve for what the kernel
// takes later on the program's behalf and the runtime does not count: page tables (one 4 KiB
// frame per 2 MiB of program memory), thread slots (1 KiB each), the pages of the main thread's
// stack. The reserve is 1/32 of the free memory plus 1 MiB. A limit is soft (the runtime collects
// more often as it nears it, and exceeds it rather than fail), so a program whose live heap is
// larger still runs out of memory, with the kernel's message.
func memLimitEnv(buf []byte) []byte {
	used, total := mm.Stats()
	free := uint64(total-used) * mm.PageSize
	reserve := free/32 + 1<<20
	if free <= 2*reserve {
		return nil
	}
	n := copy(buf, "GOMEMLIMIT=")
	n += len(klog.FormatDec(buf[n:n+20], int64((free-reserve)>>10)))
	n += copy(buf[n:], "KiB")
	return buf[:n]
}
