package signal

import (
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/sched"
)

// The x86-64 rt_sigframe as the Linux kernel builds it on the user stack:
//
//	+0    pretcode   return address of the handler: sa_restorer, which calls rt_sigreturn
//	+8    ucontext   uc_flags @0, uc_link @8, uc_stack @16 (24 bytes), uc_mcontext @40
//	                 (struct sigcontext, 256 bytes), uc_sigmask @296; 304 bytes
//	+312  siginfo    si_signo @0, si_errno @4, si_code @8, union @16 (si_addr, or si_pid/si_uid);
//	                 128 bytes
//	      fpstate    512-byte FXSAVE image, 64-byte aligned, above the frame; mcontext.fpstate
//	                 points at it
const (
	framePretcode = 0
	frameUC       = 8
	frameInfo     = 312
	frameSize     = 440

	ucFlags    = 0
	ucLink     = 8
	ucStack    = 16
	ucMcontext = 40
	ucSigmask  = 296

	fpSize = 512
)

// struct sigcontext (64-bit) word offsets from uc_mcontext.
const (
	scR8 = iota * 8
	scR9
	scR10
	scR11
	scR12
	scR13
	scR14
	scR15
	scRDI
	scRSI
	scRBP
	scRBX
	scRDX
	scRAX
	scRCX
	scRSP
	scRIP
	scEflags
	scSegs // cs, gs, fs, ss: 4 x u16
	scErr
	scTrapno
	scOldmask
	scCR2
	scFpstate
)

const userCS, userSS = 0x33, 0x2b // what Linux reports; the kernel itself runs everything in ring 0

func put64(addr uintptr, v uint64) { *arch.U64(addr) = v }
func get64(addr uintptr) uint64    { return *arch.U64(addr) }

// Deliver builds the frame for signal sig on thread i's stack (its alternate stack when the
// handler asked for one) and points the thread's registers at the handler.
func Deliver(i, sig int) {
	t := sched.T(i)
	a := actions[sig]
	t.SigPending &^= bit(sig)

	sp := t.Regs.RSP
	onAlt := onAltStack(t, sp)
	if a.flags&saOnstack != 0 && t.AltFlags&ssDisable == 0 && t.AltSize != 0 && !onAlt {
		sp = t.AltSP + t.AltSize
	} else {
		sp -= 128 // the red zone
	}
	fp := (uintptr(sp) - fpSize) &^ 63
	frame := ((fp - frameSize) &^ 15) - 8

	clear(arch.Bytes(frame, frameSize))
	arch.Copy(fp, sched.FXArea(i), fpSize)

	put64(frame+framePretcode, a.restorer)
	uc := frame + frameUC
	put64(uc+ucStack, t.AltSP)
	ssFlags := t.AltFlags
	if onAltStack(t, uint64(frame)) {
		ssFlags = ssOnstack
	}
	*arch.U32(uc + ucStack + 8) = uint32(ssFlags)
	put64(uc+ucStack+16, t.AltSize)
	mc := uc + ucMcontext
	r := &t.Regs
	for off, v := range [...]uint64{r.R8, r.R9, r.R10, r.R11, r.R12, r.R13, r.R14, r.R15,
		r.RDI, r.RSI, r.RBP, r.RBX, r.RDX, r.RAX, r.RCX, r.RSP, r.RIP, r.RFLAGS} {
		put64(mc+uintptr(off)*8, v)
	}
	put64(mc+scSegs, userCS|userSS<<48)
	fault := int(t.FaultSig) == sig
	if fault {
		put64(mc+scErr, r.Err)
		put64(mc+scTrapno, t.FaultTrapno)
		put64(mc+scCR2, t.FaultAddr)
	}
	put64(mc+scOldmask, t.SigMask)
	put64(mc+scFpstate, uint64(fp))
	put64(uc+ucSigmask, t.SigMask)

	info := frame + frameInfo
	*arch.U32(info) = uint32(sig)
	if fault {
		*(*int32)(arch.Ptr(info + 8)) = t.FaultCode
		put64(info+16, t.FaultAddr)
		t.FaultSig, t.FaultCode, t.FaultAddr, t.FaultTrapno = 0, 0, 0, 0
	} else {
		*(*int32)(arch.Ptr(info + 8)) = SI_TKILL
		*arch.U32(info + 16) = 1 // si_pid
	}

	if a.flags&saNodefer == 0 {
		t.SigMask |= bit(sig)
	}
	t.SigMask = (t.SigMask | a.mask) & unblock
	if a.flags&saResethand != 0 {
		actions[sig].handler = sigDfl
	}
	r.RSP = uint64(frame)
	r.RIP = a.handler
	r.RDI = uint64(sig)
	r.RSI = uint64(info)
	r.RDX = uint64(uc)
	r.RAX = 0
	r.RFLAGS &^= 1<<8 | 1<<10 // TF, DF
}

// Sigreturn implements rt_sigreturn(2): it restores the thread's registers, FX state and signal
// mask from the frame the handler returned from. It returns the restored RAX.
func Sigreturn() int64 {
	i := sched.Current()
	t := sched.T(i)
	frame := uintptr(t.Regs.RSP) - 8
	uc := frame + frameUC
	mc := uc + ucMcontext
	r := &t.Regs
	regs := [...]*uint64{&r.R8, &r.R9, &r.R10, &r.R11, &r.R12, &r.R13, &r.R14, &r.R15,
		&r.RDI, &r.RSI, &r.RBP, &r.RBX, &r.RDX, &r.RAX, &r.RCX, &r.RSP, &r.RIP}
	for off, p := range regs {
		*p = get64(mc + uintptr(off)*8)
	}
	const userFlags = 0x0DD5 // CF PF AF ZF SF TF DF OF: what a program may change
	r.RFLAGS = r.RFLAGS&^userFlags | get64(mc+scEflags)&userFlags
	if fp := uintptr(get64(mc + scFpstate)); fp != 0 {
		arch.Copy(sched.FXArea(i), fp, fpSize)
	}
	t.SigMask = get64(uc+ucSigmask) & unblock
	return int64(r.RAX)
}
