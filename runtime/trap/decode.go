package trap

import (
	"github.com/unikgen/unikgen/runtime/arch"
	"github.com/unikgen/unikgen/runtime/sched"
)

// A page fault reports its address in CR2. Under Xen nested in QEMU TCG (the test harness), the
// guest's CR2 reads 0 after a page fault: QEMU's emulation of SVM leaves CR2 alone for a fault
// taken in guest mode. So when CR2 is 0 the kernel works out the address itself, from the
// faulting instruction: the effective address of its memory operand (ModRM/SIB), or the stack or
// string-instruction address for instructions without one. That covers the code the Go compiler
// and runtime generate; anything else keeps address 0.
//
// Reference: Intel SDM Vol. 2A §2.1-2.2 (instruction format, ModR/M and SIB, REX prefix).

// regNum returns general register n (0 RAX ... 7 RDI, 8-15 R8-R15) of r.
func regNum(r *sched.Regs, n byte) uint64 {
	switch n {
	case 0:
		return r.RAX
	case 1:
		return r.RCX
	case 2:
		return r.RDX
	case 3:
		return r.RBX
	case 4:
		return r.RSP
	case 5:
		return r.RBP
	case 6:
		return r.RSI
	case 7:
		return r.RDI
	case 8:
		return r.R8
	case 9:
		return r.R9
	case 10:
		return r.R10
	case 11:
		return r.R11
	case 12:
		return r.R12
	case 13:
		return r.R13
	case 14:
		return r.R14
	}
	return r.R15
}

// faultAddress returns the address the instruction at r.RIP accesses; fsBase is the FS base in
// effect; write is the error code's write bit. ok is false when it cannot tell.
func faultAddress(r *sched.Regs, fsBase uint64, write bool) (addr uint64, ok bool) {
	code := arch.Bytes(uintptr(r.RIP), 15)
	i := 0
	var seg uint64
prefixes:
	for ; i < 14; i++ {
		switch code[i] {
		case 0x64: // FS
			seg = fsBase
		case 0xF0, 0xF2, 0xF3, 0x2E, 0x36, 0x3E, 0x26, 0x65, 0x66, 0x67:
		default:
			break prefixes
		}
	}
	var rex byte
	if code[i]&0xF0 == 0x40 {
		rex = code[i]
		i++
	}
	op := code[i]
	i++
	if op == 0x0F {
		op2 := code[i]
		i++
		if op2 == 0x38 || op2 == 0x3A {
			i++
		}
	} else {
		switch {
		case op >= 0x50 && op <= 0x57, op == 0x68, op == 0x6A, op == 0x9C, op == 0xE8: // push, call
			return r.RSP - 8, true
		case op >= 0x58 && op <= 0x5F, op == 0x9D, op == 0xC3, op == 0xC2: // pop, ret
			return r.RSP, true
		case op == 0xA4 || op == 0xA5: // movs
			if write {
				return r.RDI, true
			}
			return r.RSI, true
		case op == 0xAC || op == 0xAD || op == 0xA6 || op == 0xA7: // lods, cmps
			return r.RSI, true
		case op == 0xAA || op == 0xAB || op == 0xAE || op == 0xAF: // stos, scas
			return r.RDI, true
		}
	}
	modrm := code[i]
	i++
	mod, regField, rm := modrm>>6, modrm>>3&7, modrm&7
	if mod == 3 {
		return 0, false
	}
	if op == 0xFF && write && (regField == 2 || regField == 6) { // indirect call, push
		return r.RSP - 8, true
	}
	var ea uint64
	switch {
	case rm == 4:
		sib := code[i]
		i++
		idx := sib>>3&7 | (rex>>1&1)<<3
		if idx != 4 {
			ea += regNum(r, idx) << (sib >> 6)
		}
		if sib&7 == 5 && mod == 0 {
			ea += uint64(int64(int32(uint32(code[i]) | uint32(code[i+1])<<8 | uint32(code[i+2])<<16 | uint32(code[i+3])<<24)))
			i += 4
		} else {
			ea += regNum(r, sib&7|(rex&1)<<3)
		}
	case rm == 5 && mod == 0:
		return 0, false // RIP-relative: only the image, which is always mapped
	default:
		ea = regNum(r, rm|(rex&1)<<3)
	}
	switch mod {
	case 1:
		ea += uint64(int64(int8(code[i])))
	case 2:
		ea += uint64(int64(int32(uint32(code[i]) | uint32(code[i+1])<<8 | uint32(code[i+2])<<16 | uint32(code[i+3])<<24)))
	}
	return ea + seg, true
}
