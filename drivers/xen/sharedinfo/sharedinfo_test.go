package sharedinfo

import "testing"

func TestLayout(t *testing.T) {
	// Cross-checks between the constants, from the C structures' sizes.
	if OffEvtchnPending != MaxVirtCPUs*VcpuInfoSize {
		t.Errorf("evtchn_pending at %d, want after %d vcpu_info", OffEvtchnPending, MaxVirtCPUs)
	}
	if OffEvtchnMask != OffEvtchnPending+64*8 || OffWcVersion != OffEvtchnMask+64*8 {
		t.Errorf("evtchn_mask/wc_version misplaced")
	}
	if OffArch != OffWcSecHi+4 || Size > pageSize {
		t.Errorf("arch_shared_info at %d, size %d", OffArch, Size)
	}
	if VcpuTimeFlags+1 > VcpuInfoSize || VcpuTime+32 != VcpuInfoSize {
		t.Errorf("vcpu_time_info does not end vcpu_info")
	}
}

func TestUse(t *testing.T) {
	defer Use(0)
	if VcpuInfo(0) != 0 {
		t.Fatal("VcpuInfo before mapping")
	}
	if rc := Init(); rc >= 0 || Addr() != 0 {
		t.Fatalf("Init without hypercalls = %d, addr %#x", rc, Addr())
	}
	Use(0x10000)
	if got := VcpuInfo(3); got != 0x10000+3*64 {
		t.Fatalf("VcpuInfo(3) = %#x", got)
	}
}
