package xenlab

import (
	"encoding/binary"
	"fmt"
)

// A tiny PVH test kernel, generated here so that the harness can be tested end to end without the
// rest of unikgen. It is a static ELF64 (EM_X86_64) with two program headers:
//
//	PT_LOAD  offset 0, vaddr = paddr = 0x100000, filesz = the file, memsz 0x3000, RWX, align 0x1000
//	PT_NOTE  the 20-byte note "Xen" type 18 (XEN_ELFNOTE_PHYS32_ENTRY) = 0x100100, p_align 4
//
// Memory (guest-physical = linear: PVH starts in 32-bit protected mode with paging off):
//
//	0x100000  ELF header, program headers, note     0x100100  code (below)
//	0x100300  console message                        0x101000  scratch ("param", see below)
//	0x102000  hypercall page (Xen fills it); the stack grows down from 0x102000
//
// param layout: +0 struct xen_hvm_param {u16 domid; u16 pad; u32 index; u64 value}, +16 u32 event
// channel port (struct evtchn_send), +20 u32 shutdown reason (struct sched_shutdown), +24 console
// page address. Values live in memory, not registers, across hypercalls: Xen debug builds clobber
// the argument registers.
//
// The code (32-bit; checked against GNU as, `as --32` + objdump):
//
//	mov  $0x102000,%esp                 set up a stack (none at PVH entry)
//	mov  $0x40000000,%esi               CPUID leaf base to try
//	1: mov %esi,%eax; cpuid             Xen's signature "XenVMMXenVMM" in ebx,ecx,edx,
//	   cmp/jne ebx,ecx,edx              and at least 2 leaves after the base (eax - base >= 2)
//	   sub %esi,%eax; cmp $2,%eax; jae 3f
//	2: add $0x100,%esi; cmp $0x40010000,%esi; jb 1b
//	   ud2                              no Xen: fault (a triple fault, Xen's "reboot")
//	3: lea 2(%esi),%eax; cpuid          leaf base+2: ebx = hypercall page MSR
//	   mov %ebx,%ecx; mov $0x102000,%eax; xor %edx,%edx; wrmsr      Xen fills page 0x102000
//	   param = {DOMID_SELF, HVM_PARAM_CONSOLE_PFN (17)}
//	   hvm_op(HVMOP_get_param (1), &param)   call 0x102000+34*32: 32-bit ABI, args in ebx, ecx
//	   jnz 9f on error; param+24 = value << 12          console page
//	   param.index = HVM_PARAM_CONSOLE_EVTCHN (18); hvm_op again; param+16 = value
//	   copy the message into out[prod & 2047] (page+1024), out_prod (page+3084) += len
//	5: event_channel_op(EVTCHNOP_send (4), &param+16)   call 0x102000+32*32
//	   spin up to 0x100000 times (pause) until out_cons (page+3080) == out_prod, else goto 5b
//	   param+20 = REASON; sched_op(SCHEDOP_shutdown (2), &param+20)   call 0x102000+29*32
//	9: ud2                              the shutdown returned: fault
const (
	pvhBase     = 0x100000
	pvhEntry    = 0x100100
	pvhMsg      = 0x100300
	pvhParam    = 0x101000
	pvhHypercal = 0x102000
	pvhMemsz    = 0x3000
)

// Xen's SHUTDOWN_* reasons (xen/include/public/sched.h).
const (
	shutdownPoweroff = 0
	shutdownCrash    = 3
)

// asm32 emits 32-bit x86 machine code at a fixed address, with labels for short jumps.
type asm32 struct {
	b      []byte
	org    uint32
	labels map[string]int
	fixes  []fix
}

type fix struct {
	at    int // offset of the rel field
	size  int // 1 or 4
	label string
}

func (a *asm32) pc() uint32        { return a.org + uint32(len(a.b)) }
func (a *asm32) op(b ...byte)      { a.b = append(a.b, b...) }
func (a *asm32) imm32(v uint32)    { a.b = binary.LittleEndian.AppendUint32(a.b, v) }
func (a *asm32) label(name string) { a.labels[name] = len(a.b) }
func (a *asm32) jcc8(op byte, l string) {
	a.op(op, 0)
	a.fixes = append(a.fixes, fix{len(a.b) - 1, 1, l})
}
func (a *asm32) jcc32(op2 byte, l string) {
	a.op(0x0f, op2, 0, 0, 0, 0)
	a.fixes = append(a.fixes, fix{len(a.b) - 4, 4, l})
}

// call emits call rel32 to an absolute address.
func (a *asm32) call(target uint32) { a.op(0xe8); a.imm32(target - (a.pc() + 4)) }

// movlMem emits movl $imm32, addr (c7 05 addr imm).
func (a *asm32) movlMem(addr, imm uint32) { a.op(0xc7, 0x05); a.imm32(addr); a.imm32(imm) }

func (a *asm32) resolve() {
	for _, f := range a.fixes {
		to, ok := a.labels[f.label]
		if !ok {
			panic("undefined label " + f.label)
		}
		rel := to - (f.at + f.size)
		if f.size == 1 {
			if rel < -128 || rel > 127 {
				panic("short jump out of range to " + f.label)
			}
			a.b[f.at] = byte(int8(rel))
		} else {
			binary.LittleEndian.PutUint32(a.b[f.at:], uint32(int32(rel)))
		}
	}
}

// pvhCode returns the test kernel's code for a message of msgLen bytes at pvhMsg and the given
// shutdown reason.
func pvhCode(msgLen int, reason uint32) []byte {
	a := &asm32{org: pvhEntry, labels: map[string]int{}}
	const (
		hvmOp     = pvhHypercal + 34*32 // __HYPERVISOR_hvm_op
		evtchnOp  = pvhHypercal + 32*32 // __HYPERVISOR_event_channel_op
		schedOp   = pvhHypercal + 29*32 // __HYPERVISOR_sched_op
		conPage   = pvhParam + 24
		port      = pvhParam + 16
		reasonArg = pvhParam + 20
	)
	a.op(0xbc)
	a.imm32(pvhHypercal) // mov $0x102000,%esp
	a.op(0xbe)
	a.imm32(0x40000000) // mov $0x40000000,%esi
	a.label("1")
	a.op(0x89, 0xf0) // mov %esi,%eax
	a.op(0x0f, 0xa2) // cpuid
	a.op(0x81, 0xfb)
	a.imm32(0x566e6558) // cmp $"XenV",%ebx
	a.jcc8(0x75, "2")   // jne 2f
	a.op(0x81, 0xf9)
	a.imm32(0x65584d4d) // cmp $"MMXe",%ecx
	a.jcc8(0x75, "2")
	a.op(0x81, 0xfa)
	a.imm32(0x4d4d566e) // cmp $"nVMM",%edx
	a.jcc8(0x75, "2")
	a.op(0x29, 0xf0)       // sub %esi,%eax
	a.op(0x83, 0xf8, 0x02) // cmp $2,%eax
	a.jcc8(0x73, "3")      // jae 3f
	a.label("2")
	a.op(0x81, 0xc6)
	a.imm32(0x100) // add $0x100,%esi
	a.op(0x81, 0xfe)
	a.imm32(0x40010000) // cmp $0x40010000,%esi
	a.jcc8(0x72, "1")   // jb 1b
	a.op(0x0f, 0x0b)    // ud2: no Xen
	a.label("3")
	a.op(0x8d, 0x46, 0x02) // lea 2(%esi),%eax
	a.op(0x0f, 0xa2)       // cpuid: ebx = MSR for the hypercall page
	a.op(0x89, 0xd9)       // mov %ebx,%ecx
	a.op(0xb8)
	a.imm32(pvhHypercal) // mov $0x102000,%eax (page address | page index 0)
	a.op(0x31, 0xd2)     // xor %edx,%edx
	a.op(0x0f, 0x30)     // wrmsr

	getParam := func(index uint32) {
		a.movlMem(pvhParam, 0x7ff0)  // domid = DOMID_SELF, pad = 0
		a.movlMem(pvhParam+4, index) // index
		a.op(0xbb)
		a.imm32(1) // mov $HVMOP_get_param,%ebx
		a.op(0xb9)
		a.imm32(pvhParam) // mov $param,%ecx
		a.call(hvmOp)
		a.op(0x85, 0xc0)   // test %eax,%eax
		a.jcc32(0x85, "9") // jnz 9f
		a.op(0xa1)         // mov param.value,%eax
		a.imm32(pvhParam + 8)
	}
	getParam(17)           // HVM_PARAM_CONSOLE_PFN
	a.op(0xc1, 0xe0, 0x0c) // shl $12,%eax
	a.op(0xa3)
	a.imm32(conPage) // mov %eax,conPage
	getParam(18)     // HVM_PARAM_CONSOLE_EVTCHN
	a.op(0xa3)
	a.imm32(port) // mov %eax,port
	a.op(0x8b, 0x2d)
	a.imm32(conPage) // mov conPage,%ebp
	a.op(0x8b, 0x9d)
	a.imm32(3084) // mov out_prod(%ebp),%ebx
	a.op(0xbe)
	a.imm32(pvhMsg) // mov $msg,%esi
	a.op(0xb9)
	a.imm32(uint32(msgLen)) // mov $len,%ecx
	a.label("4")
	a.op(0x89, 0xda) // mov %ebx,%edx
	a.op(0x81, 0xe2)
	a.imm32(2047)          // and $2047,%edx
	a.op(0x8a, 0x06)       // mov (%esi),%al
	a.op(0x88, 0x84, 0x15) // mov %al,out(%ebp,%edx,1)
	a.imm32(1024)          //   out is at offset 1024
	a.op(0x43, 0x46, 0x49) // inc %ebx; inc %esi; dec %ecx
	a.jcc8(0x75, "4")      // jnz 4b
	a.op(0x89, 0x9d)       // mov %ebx,out_prod(%ebp)
	a.imm32(3084)          //   (x86 stores are ordered: data before index)
	a.label("5")
	a.op(0xbb)
	a.imm32(4) // mov $EVTCHNOP_send,%ebx
	a.op(0xb9)
	a.imm32(port) // mov $port,%ecx
	a.call(evtchnOp)
	a.op(0xbf)
	a.imm32(0x100000) // mov $0x100000,%edi: spin count
	a.label("6")
	a.op(0xf3, 0x90) // pause
	a.op(0x8b, 0x2d)
	a.imm32(conPage) // mov conPage,%ebp
	a.op(0x8b, 0x85)
	a.imm32(3080) // mov out_cons(%ebp),%eax
	a.op(0x3b, 0x85)
	a.imm32(3084)     // cmp out_prod(%ebp),%eax
	a.jcc8(0x74, "7") // je 7f: the backend has read everything
	a.op(0x4f)        // dec %edi
	a.jcc8(0x75, "6") // jnz 6b
	a.jcc8(0xeb, "5") // jmp 5b: notify again
	a.label("7")
	a.movlMem(reasonArg, reason) // sched_shutdown.reason
	a.op(0xbb)
	a.imm32(2) // mov $SCHEDOP_shutdown,%ebx
	a.op(0xb9)
	a.imm32(reasonArg) // mov $reasonArg,%ecx
	a.call(schedOp)
	a.label("9")
	a.op(0x0f, 0x0b) // ud2
	a.resolve()
	return a.b
}

// pvhKernel returns the ELF image of the test kernel printing msg on the PV console and then
// shutting down with reason. withNote false leaves out the PHYS32_ENTRY note (PT_NULL instead), for
// testing xl create's failure.
func pvhKernel(msg string, reason uint32, withNote bool) []byte {
	code := pvhCode(len(msg), reason)
	if pvhEntry+len(code) > pvhMsg {
		panic(fmt.Sprintf("test kernel code too long: %d bytes", len(code)))
	}
	img := make([]byte, pvhMsg-pvhBase+len(msg))
	le := binary.LittleEndian
	// ELF header.
	copy(img, "\x7fELF")
	img[4], img[5], img[6] = 2, 1, 1 // ELFCLASS64, ELFDATA2LSB, EV_CURRENT
	le.PutUint16(img[16:], 2)        // e_type ET_EXEC
	le.PutUint16(img[18:], 62)       // e_machine EM_X86_64
	le.PutUint32(img[20:], 1)        // e_version
	le.PutUint64(img[24:], pvhEntry) // e_entry
	le.PutUint64(img[32:], 64)       // e_phoff
	le.PutUint16(img[52:], 64)       // e_ehsize
	le.PutUint16(img[54:], 56)       // e_phentsize
	le.PutUint16(img[56:], 2)        // e_phnum
	phdr := func(off int, typ, flags uint32, offset, addr, filesz, memsz, align uint64) {
		le.PutUint32(img[off:], typ)
		le.PutUint32(img[off+4:], flags)
		le.PutUint64(img[off+8:], offset)
		le.PutUint64(img[off+16:], addr) // p_vaddr
		le.PutUint64(img[off+24:], addr) // p_paddr
		le.PutUint64(img[off+32:], filesz)
		le.PutUint64(img[off+40:], memsz)
		le.PutUint64(img[off+48:], align)
	}
	phdr(64, 1, 7, 0, pvhBase, uint64(len(img)), pvhMemsz, 0x1000) // PT_LOAD, RWX
	const noteOff = 0xb0
	if withNote {
		phdr(120, 4, 4, noteOff, pvhBase+noteOff, 20, 20, 4) // PT_NOTE, R, p_align 4
	}
	le.PutUint32(img[noteOff:], 4)    // namesz ("Xen\0")
	le.PutUint32(img[noteOff+4:], 4)  // descsz
	le.PutUint32(img[noteOff+8:], 18) // XEN_ELFNOTE_PHYS32_ENTRY
	copy(img[noteOff+12:], "Xen\x00")
	le.PutUint32(img[noteOff+16:], pvhEntry)
	copy(img[pvhEntry-pvhBase:], code)
	copy(img[pvhMsg-pvhBase:], msg)
	return img
}
