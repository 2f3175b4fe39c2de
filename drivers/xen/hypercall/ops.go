// This file implements the typed hypercall wrappers. Argument structures are Go structs whose
// layout equals the C one on x86-64 (checked by ops_test.go); they live on the caller's stack and
// are passed by pointer.

package hypercall

import "unsafe"

// DomidSelf names the calling domain (xen.h DOMID_SELF).
const DomidSelf = 0x7FF0

// xen_version commands (xen/include/public/version.h).
const (
	XENVER_version      = 0
	XENVER_get_features = 6
)

// Feature bits of XENVER_get_features submap 0 (xen/include/public/features.h).
const (
	FeatWritablePageTables    = 0
	FeatAutoTranslatedPhysmap = 2
	FeatHVMCallbackVector     = 8
	FeatHVMSafePVClock        = 9
)

// XenVer returns the hypervisor version as major<<16 | minor (XENVER_version), or -errno.
//
//go:nosplit
func XenVer() int64 { return Call(XenVersion, XENVER_version, 0, 0, 0, 0) }

// xenFeatureInfo is struct xen_feature_info (version.h).
type xenFeatureInfo struct {
	SubmapIdx uint32
	Submap    uint32
}

// Features returns feature submap idx (XENVER_get_features); bits are the Feat* constants.
//
//go:nosplit
func Features(idx uint32) (uint32, int64) {
	fi := xenFeatureInfo{SubmapIdx: idx}
	rc := callp(XenVersion, XENVER_get_features, unsafe.Pointer(&fi), 0)
	return fi.Submap, rc
}

// memory_op commands and XENMAPSPACE_* spaces (xen/include/public/memory.h).
const (
	XENMEM_add_to_physmap = 7

	XENMAPSPACE_shared_info = 0
	XENMAPSPACE_grant_table = 1
)

// addToPhysmap is struct xen_add_to_physmap (memory.h), 24 bytes.
type addToPhysmap struct {
	Domid uint16
	Size  uint16
	Space uint32
	Idx   uint64
	Gpfn  uint64
}

// AddToPhysmap maps frame idx of space at guest frame gpfn (XENMEM_add_to_physmap). On Xen the RAM
// page that was at gpfn is given up.
//
//go:nosplit
func AddToPhysmap(space uint32, idx, gpfn uint64) int64 {
	x := addToPhysmap{Domid: DomidSelf, Space: space, Idx: idx, Gpfn: gpfn}
	return callp(MemoryOp, XENMEM_add_to_physmap, unsafe.Pointer(&x), 0)
}

// hvm_op commands (xen/include/public/hvm/hvm_op.h) and HVM_PARAM_* indices (hvm/params.h).
const (
	HVMOP_set_param = 0
	HVMOP_get_param = 1

	HVM_PARAM_CALLBACK_IRQ   = 0
	HVM_PARAM_STORE_PFN      = 1
	HVM_PARAM_STORE_EVTCHN   = 2
	HVM_PARAM_CONSOLE_PFN    = 17
	HVM_PARAM_CONSOLE_EVTCHN = 18

	// CallbackViaVector is the HVM_PARAM_CALLBACK_IRQ delivery type "vector" (bits 63:56 = 2):
	// events arrive as interrupt vector (value & 0xff) on every vCPU, without LAPIC EOI.
	CallbackViaVector = 2 << 56
)

// hvmParam is struct xen_hvm_param (hvm_op.h), 16 bytes.
type hvmParam struct {
	Domid uint16
	_     uint16
	Index uint32
	Value uint64
}

// HVMGetParam reads HVM parameter index of this domain.
//
//go:nosplit
func HVMGetParam(index uint32) (uint64, int64) {
	p := hvmParam{Domid: DomidSelf, Index: index}
	rc := callp(HvmOp, HVMOP_get_param, unsafe.Pointer(&p), 0)
	return p.Value, rc
}

// RingParams reads the HVM parameters that locate a ring the toolstack set up for this domain
// (the console's, xenstore's): the frame number of its page (parameter pfnParam) and its event
// channel (evtchnParam). It returns the page's address; ok is false when either is absent.
//
//go:nosplit
func RingParams(pfnParam, evtchnParam uint32) (addr uintptr, port uint32, ok bool) {
	pfn, rc := HVMGetParam(pfnParam)
	if rc < 0 || pfn == 0 {
		return 0, 0, false
	}
	p, rc := HVMGetParam(evtchnParam)
	if rc < 0 {
		return 0, 0, false
	}
	return uintptr(pfn) << 12, uint32(p), true
}

// HVMSetParam sets HVM parameter index of this domain.
//
//go:nosplit
func HVMSetParam(index uint32, value uint64) int64 {
	p := hvmParam{Domid: DomidSelf, Index: index, Value: value}
	return callp(HvmOp, HVMOP_set_param, unsafe.Pointer(&p), 0)
}

// EventChannel makes event_channel_op(cmd, arg); arg points to the command's structure
// (xen/include/public/event_channel.h; package evtchn holds the typed calls).
//
//go:nosplit
func EventChannel(cmd uintptr, arg unsafe.Pointer) int64 { return callp(EventChannelOp, cmd, arg, 0) }

// GrantTable makes grant_table_op(cmd, arg, count); arg points to count structures of the
// command's type (xen/include/public/grant_table.h; package gnttab holds the typed calls).
//
//go:nosplit
func GrantTable(cmd uintptr, arg unsafe.Pointer, count uintptr) int64 {
	return callp(GrantTableOp, cmd, arg, count)
}

// sched_op commands and shutdown reasons (xen/include/public/sched.h).
const (
	SCHEDOP_yield    = 0
	SCHEDOP_block    = 1
	SCHEDOP_shutdown = 2
	SCHEDOP_poll     = 3

	SHUTDOWN_poweroff = 0
	SHUTDOWN_reboot   = 1
	SHUTDOWN_suspend  = 2
	SHUTDOWN_crash    = 3
)

// SchedYield gives up the CPU to other vCPUs or domains (SCHEDOP_yield).
//
//go:nosplit
func SchedYield() int64 { return Call(SchedOp, SCHEDOP_yield, 0, 0, 0, 0) }

// SchedBlock blocks this vCPU until an event is pending (SCHEDOP_block). It re-enables event
// delivery in vcpu_info; use it with the upcall vector installed and interrupts enabled.
//
//go:nosplit
func SchedBlock() int64 { return Call(SchedOp, SCHEDOP_block, 0, 0, 0, 0) }

// schedShutdown is struct sched_shutdown (sched.h), 4 bytes.
type schedShutdown struct{ Reason uint32 }

// SchedShutdown ends the domain with reason (SHUTDOWN_*). On success it does not return.
//
//go:nosplit
func SchedShutdown(reason uint32) int64 {
	s := schedShutdown{Reason: reason}
	return callp(SchedOp, SCHEDOP_shutdown, unsafe.Pointer(&s), 0)
}

// schedPoll is struct sched_poll (sched.h), 24 bytes: a guest handle (pointer) to the ports,
// their count and an absolute timeout in Xen system time (ns; 0 = none).
type schedPoll struct {
	Ports   uintptr
	NrPorts uint32
	_       uint32
	Timeout uint64
}

// SchedPoll blocks until event channel port is pending or Xen system time reaches timeout (ns,
// absolute as in pvclock; 0 waits without limit). It returns at once when the port is already
// pending. Works with interrupts disabled: Xen looks at the pending bit itself.
//
//go:nosplit
func SchedPoll(port uint32, timeout uint64) int64 {
	ports := [1]uint32{port}
	s := schedPoll{Ports: uintptr(unsafe.Pointer(&ports)), NrPorts: 1, Timeout: timeout}
	rc := callp(SchedOp, SCHEDOP_poll, unsafe.Pointer(&s), 0)
	keepAlive(&ports)
	return rc
}

// keepAlive keeps *p on the stack and live until here; the compiler cannot see through it.
//
//go:noinline
//go:nosplit
func keepAlive(p *[1]uint32) {}
