package hw

import "testing"

func TestAtomics(t *testing.T) {
	var mem [4]uint64
	if a := Addr(nil); a != 0 {
		t.Fatalf("Addr(nil) = %#x", a)
	}
	base := uintptr(unsafePtr(&mem[0]))
	Store64(base, 0xff)
	if old := And64(base, ^uint64(1)); old != 0xff || Load64(base) != 0xfe {
		t.Fatalf("And64: old %#x now %#x", old, Load64(base))
	}
	if old := Or64(base+8, 1<<63); old != 0 || Load64(base+8) != 1<<63 {
		t.Fatalf("Or64: old %#x now %#x", old, Load64(base+8))
	}
	if old := Swap64(base, 7); old != 0xfe || Load64(base) != 7 {
		t.Fatalf("Swap64")
	}
	Store32(base+16, 0x11223344)
	if Load32(base+16) != 0x11223344 || Load16(base+16) != 0x3344 || Load8(base+19) != 0x11 {
		t.Fatalf("Load32/16/8")
	}
	if Cas16(base+16, 0x1111, 0) {
		t.Fatal("Cas16 succeeded with a wrong old value")
	}
	if !Cas16(base+16, 0x3344, 0xabcd) || Load32(base+16) != 0x1122abcd {
		t.Fatalf("Cas16: %#x", Load32(base+16))
	}
	b := Bytes(base, 8)
	if b[0] != 7 {
		t.Fatalf("Bytes: %v", b)
	}
}

func TestCpuidVendor(t *testing.T) {
	_, b, c, d := Cpuid(0, 0)
	var v [12]byte
	for i := 0; i < 4; i++ {
		v[i], v[4+i], v[8+i] = byte(b>>(8*i)), byte(d>>(8*i)), byte(c>>(8*i))
	}
	if s := string(v[:]); s != "GenuineIntel" && s != "AuthenticAMD" && s != "HygonGenuine" {
		t.Logf("unusual vendor %q", s)
	}
	if Rdtsc() == 0 {
		t.Fatal("Rdtsc returned 0")
	}
}
