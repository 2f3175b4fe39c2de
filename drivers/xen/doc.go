// Package xen documents the Xen PVH platform drivers under drivers/xen and how the kernel brings
// them up. It contains no code.
//
// Reference: the Xen public headers, xen-project/xen xen/include/public/, Xen 4.17 (each package
// cites the ones it implements), and docs/misc/pvh.pandoc.
//
// # Packages
//
//	hypercall      CPUID detection, hypercall page, Call, typed hypercalls     xen.h, arch-x86/cpuid.h
//	sharedinfo     maps shared_info; its layout                                xen.h, memory.h
//	pvclock        monotonic clock (vcpu_time_info), wall clock                xen.h
//	evtchn         2-level event channels, upcall handler, Wait/Send           event_channel.h, hvm/params.h
//	gnttab         grant table v1, grant/revoke, allocator from ref 8          grant_table.h
//	console        PV console ring, early buffer, Flush, input                 io/console.h
//	xenstore       xenstore client; xenstore/wire is the message format        io/xs_wire.h
//	shutdown       SCHEDOP_shutdown; Exit publishes the exit status            sched.h
//	xentest        in-memory console backend and xenstored for host tests
//
// # Bring-up, in this order (all kernel context, no allocation)
//
//	if !hypercall.Init() {       // CPUID scan + WRMSR of the hypercall page; false: not Xen
//		// QEMU/KVM path
//	}
//	if rc := sharedinfo.Init(); rc != 0 { fatal }  // shared_info at a page of the image
//	pvclock.Nanotime()           // ns of Xen system time, monotonic: the kernel's nanotime
//	pvclock.WallClock()          // (sec, nsec) since the Unix epoch: the kernel's walltime
//	pvclock.TSCHz()              // TSC frequency, if the kernel wants to calibrate with it
//	console.Init()               // PV console; replays what console.Write buffered so far
//	gnttab.Init(1)               // only when a driver shares pages (netfront, blkfront)
//	evtchn.EnableUpcall(vector)  // optional, see below
//	xenstore.Init()
//
// console.Write may be called at any time, even before hypercall.Init: until console.Init it
// fills a 16 KiB early buffer. Use it for fd 1 and 2 (console.Write(b) returns len(b); it waits
// while the ring is full). Callers serialise console.Write (it takes no lock).
//
// Program exit: shutdown.Exit(status) writes xenstore data/exit-status, prints the console line
// "unikgen: exit status N" (shutdown.StatusPrefix), waits for the console backend to read
// everything and powers off (SHUTDOWN_poweroff). It returns only when Xen refused; halt then.
// Fatal kernel error: print the message with console.Write, console.Flush(), shutdown.Crash().
// Do not end a domain with cli; hlt before flushing: Xen takes that as the vCPU going down and
// the last console output is lost.
//
// # Event delivery
//
// Drivers wait with evtchn.Wait(port), which works without interrupts: it checks the port's
// pending bit in shared_info and otherwise blocks the vCPU in SCHEDOP_poll for at most 10 ms.
// For interrupt-driven wake-ups, the kernel installs an IDT gate for a free vector (>= 0x20)
// whose handler saves all registers and calls evtchn.HandleUpcall() (no LAPIC EOI for this
// vector), optionally calls evtchn.SetHandler(fn) once to hear about each port (fn runs in
// interrupt context), then evtchn.EnableUpcall(vector) and sti. evtchn.Consume(port) and
// evtchn.Fired(port) read the table of ports that fired.
//
// # Requirements on the kernel
//
//   - The image is identity-mapped (physical == virtual) and its data pages are executable: the
//     hypercall page is a page of hypercall's own [8192]byte array (package-level, .noptrbss).
//     sharedinfo and gnttab likewise use pages of their own arrays, which Xen replaces with
//     shared_info and grant-table frames (the RAM behind them is given up).
//   - The low 4 GiB are identity-mapped, including the special pages at 0xfeff8000.. where the
//     console (HVM_PARAM_CONSOLE_PFN) and xenstore (HVM_PARAM_STORE_PFN) rings are.
//   - Only vCPU 0 is served (vcpu_info 0, time of vCPU 0).
//
// # Verification
//
// Unit tests on the host cover the layouts (against the header offsets), the hypercall calling
// convention (stubs in executable host memory standing in for the hypercall page), the rings with
// wrap-around of data and of the free-running indices, ring-full waits, partial messages,
// interleaved WATCH_EVENTs, stale replies, ERROR replies, transaction retry on EAGAIN, timeouts,
// the upcall bitmap walk, pvclock scaling (against math/big), the grant allocator (also
// concurrently) and that the kernel paths do not allocate. xentest.TestRealXen boots
// xentest/testdata/xsprobe under real Xen 4.17 (internal/host/xenlab; skipped with -short or without
// QEMU) and checks hypercalls, features, pvclock, the wall clock, grant table init and
// grant/revoke, alloc_unbound/close, upcall delivery, the console (including one write of three
// times the ring), the xenstore client (watch events, transaction, ENOENT, directory, rm) and the
// exit status published by shutdown.Exit. Not exercised on Xen: console input, a commit that
// xenstored answers with EAGAIN, a backend mapping a granted page (GTF_reading/GTF_writing),
// BindVirq, more than one vCPU.
//
// # Hooks and tests
//
// console and xenstore reach their rings through an address and two hooks set once by Setup:
// notify(port) and wait(port). Init passes evtchn.Notify and evtchn.Wait; a kernel with a
// scheduler can pass a wait that parks the calling thread instead. Tests pass the hooks of the
// fakes in package xentest, whose backends run inside those hooks. Without the hypercall page
// (host tests) every hypercall returns -ENOSYS instead of executing anything privileged.
package xen
