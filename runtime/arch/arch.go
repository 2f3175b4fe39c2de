// Package arch gives Go code the x86-64 instructions that the library OS needs and Go cannot
// express: port I/O, model-specific registers, control registers, CPUID, the TSC, TLB control,
// FXSAVE state and halting. Every function is a few instructions of assembly (arch_amd64.s).
//
// Reference: Intel 64 and IA-32 Architectures Software Developer's Manual, Vol. 2 (instruction
// set) and Vol. 3A §2.5 (control registers), §4.10 (TLB), §10.5 (FXSAVE); AMD64 APM Vol. 2.
package arch

// Outb writes the byte v to I/O port port.
func Outb(port uint16, v uint8)

// Inb reads a byte from I/O port port.
func Inb(port uint16) uint8

// Outl writes the 32-bit value v to I/O port port.
func Outl(port uint16, v uint32)

// Inl reads a 32-bit value from I/O port port.
func Inl(port uint16) uint32

// Outw writes the 16-bit value v to I/O port port.
func Outw(port uint16, v uint16)

// Inw reads a 16-bit value from I/O port port.
func Inw(port uint16) uint16

// Rdmsr reads model-specific register msr.
func Rdmsr(msr uint32) uint64

// Wrmsr writes v to model-specific register msr.
func Wrmsr(msr uint32, v uint64)

// Cpuid executes CPUID with EAX = leaf and ECX = sub.
func Cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)

// Rdtsc returns the time-stamp counter.
func Rdtsc() uint64

// Rdrand returns a hardware random number; ok is false when the generator had none ready.
func Rdrand() (v uint64, ok bool)

// Rdseed returns a hardware entropy sample; ok is false when none was ready.
func Rdseed() (v uint64, ok bool)

// Invlpg drops the TLB entry for the page holding addr.
func Invlpg(addr uintptr)

// ReadCR3 returns the physical address of the top-level page table.
func ReadCR3() uintptr

// WriteCR3 loads a new top-level page table and flushes the non-global TLB entries.
func WriteCR3(v uintptr)

// EnableWriteProtect sets CR0.WP: from then on read-only pages are read-only for ring 0 too, the
// ring the kernel and the program both run in (Intel SDM Vol. 3A §4.6.1).
func EnableWriteProtect()

// Halt enables interrupts, waits for one, and disables them again.
func Halt()

// HaltForever disables interrupts and halts; it never returns.
func HaltForever()

// Pause is the spin-loop hint.
func Pause()

// Lidt loads the interrupt descriptor table register from the 10-byte descriptor at desc.
func Lidt(desc uintptr)

// Lgdt loads the global descriptor table register from the 10-byte descriptor at desc.
func Lgdt(desc uintptr)

// Ltr loads the task register with selector sel.
func Ltr(sel uint16)

// Fxsave stores the x87/SSE state to the 512-byte, 16-byte-aligned area at addr.
func Fxsave(addr uintptr)

// Model-specific registers used by the library OS.
const (
	MSR_EFER           = 0xC0000080
	MSR_STAR           = 0xC0000081
	MSR_LSTAR          = 0xC0000082
	MSR_FMASK          = 0xC0000084
	MSR_FS_BASE        = 0xC0000100
	MSR_GS_BASE        = 0xC0000101
	MSR_KERNEL_GS_BASE = 0xC0000102
	MSR_APIC_BASE      = 0x1B

	EFER_SCE = 1 << 0
	EFER_LME = 1 << 8
	EFER_NXE = 1 << 11
)

// HasRdrand reports whether the CPU implements RDRAND (CPUID.1:ECX[30]).
func HasRdrand() bool {
	_, _, c, _ := Cpuid(1, 0)
	return c&(1<<30) != 0
}

// HasRdseed reports whether the CPU implements RDSEED (CPUID.(EAX=7,ECX=0):EBX[18]).
func HasRdseed() bool {
	max, _, _, _ := Cpuid(0, 0)
	if max < 7 {
		return false
	}
	_, b, _, _ := Cpuid(7, 0)
	return b&(1<<18) != 0
}

// Breakpoint executes INT3.
func Breakpoint()
