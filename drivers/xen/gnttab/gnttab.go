// Package gnttab implements grant tables version 1 for a PVH guest: mapping the table, granting a
// page to another domain and revoking the grant, with a lock-free allocator of grant references.
//
// Reference: xen/include/public/grant_table.h (struct grant_entry_v1, GTF_*, GNTTABOP_query_size),
// xen/include/public/memory.h (XENMAPSPACE_grant_table), Xen 4.17.
//
// The table is an array of 8-byte entries, 512 per 4 KiB frame; the guest maps frame i into its
// physical space with XENMEM_add_to_physmap(XENMAPSPACE_grant_table, i, gpfn). Init uses dedicated
// pages inside this package's array in the kernel image (identity-mapped).
//
// grant_entry_v1 (8 bytes):
//
//	0        2        4                 8
//	+--------+--------+-----------------+
//	| flags  | domid  | frame (guest pfn)|
//	+--------+--------+-----------------+
//
// Granting writes domid and frame, then (after a barrier) flags = GTF_permit_access [|
// GTF_readonly]. While the other domain maps or copies the page Xen sets GTF_reading/GTF_writing.
// Revoking swaps flags to 0 with a compare-and-exchange that fails while either bit is set.
//
// References 0..7 are reserved (GNTTAB_NR_RESERVED_ENTRIES; 0 = console, 1 = xenstore, filled by
// the toolstack); the allocator hands out 8 and up. All functions are safe in kernel context and
// from several goroutines: the free list is a tagged lock-free stack in pointer-free arrays.
package gnttab

import (
	"sync/atomic"
	"unsafe"

	"github.com/unikgen/unikgen/drivers/xen/hypercall"
	"github.com/unikgen/unikgen/drivers/xen/internal/hw"
)

// grant_table_op commands (grant_table.h).
const (
	GNTTABOP_map_grant_ref   = 0
	GNTTABOP_unmap_grant_ref = 1
	GNTTABOP_setup_table     = 2
	GNTTABOP_copy            = 5
	GNTTABOP_query_size      = 6
	GNTTABOP_set_version     = 8
)

// grant_entry_v1 flags.
const (
	GTF_permit_access = 1 << 0
	GTF_readonly      = 1 << 2
	GTF_reading       = 1 << 3
	GTF_writing       = 1 << 4
)

// Entry layout.
const (
	EntrySize  = 8
	OffFlags   = 0
	OffDomid   = 2
	OffFrame   = 4
	FrameSize  = 4096
	PerFrame   = FrameSize / EntrySize // 512
	NrReserved = 8                     // GNTTAB_NR_RESERVED_ENTRIES

	// MaxFrames is how many table frames this package can map (MaxFrames*512 references).
	MaxFrames = 4
)

// Ref is a grant reference: the index of an entry in the table.
type Ref = uint32

const none = 0xffffffff

var (
	tableMem [(MaxFrames + 1) * FrameSize]byte
	table    uintptr
	nrefs    uint32

	// head is the free list: tag<<32 | first free ref (none when empty); next[ref] links it.
	head atomic.Uint64
	next [MaxFrames * PerFrame]uint32
	used atomic.Int32
)

// querySize is struct gnttab_query_size (16 bytes).
type querySize struct {
	Dom         uint16
	_           uint16
	NrFrames    uint32
	MaxNrFrames uint32
	Status      int16
	_           uint16
}

// Init maps up to frames table frames (at most MaxFrames and Xen's max_nr_frames) at the
// package's pages and sets up the allocator. It returns the number of frames mapped and Xen's
// result (0, or the -errno of the failing hypercall; GNTST_* status from query_size is returned
// negated as well).
func Init(frames int) (int, int64) {
	q := querySize{Dom: hypercall.DomidSelf}
	if rc := hypercall.GrantTable(GNTTABOP_query_size, unsafe.Pointer(&q), 1); rc < 0 {
		return 0, rc
	}
	if q.Status != 0 {
		return 0, int64(q.Status)
	}
	if frames > MaxFrames {
		frames = MaxFrames
	}
	if uint32(frames) > q.MaxNrFrames {
		frames = int(q.MaxNrFrames)
	}
	base := (hw.Addr(tableMem[:]) + FrameSize - 1) &^ (FrameSize - 1)
	for i := 0; i < frames; i++ {
		gpfn := uint64(base)/FrameSize + uint64(i)
		if rc := hypercall.AddToPhysmap(hypercall.XENMAPSPACE_grant_table, uint64(i), gpfn); rc < 0 {
			if i == 0 {
				return 0, rc
			}
			frames = i
			break
		}
	}
	Setup(base, frames)
	return frames, 0
}

// Setup uses the table of frames frames at address t, without hypercalls (tests, or a kernel that
// mapped the table itself), and puts references NrReserved.. on the free list.
func Setup(t uintptr, frames int) {
	if frames > MaxFrames {
		frames = MaxFrames
	}
	table = t
	nrefs = uint32(frames * PerFrame)
	first := uint32(none)
	for r := nrefs; r > NrReserved; r-- {
		next[r-1] = first
		first = r - 1
	}
	head.Store((head.Load()&^0xffffffff + 1<<32) | uint64(first)) // new tag, new list
	used.Store(0)
}

// Grant lets domain domid access guest frame frame (read-only when readonly) and returns the
// reference to hand to it; ok is false when the table is full or not set up.
//
//go:nosplit
func Grant(domid uint16, frame uint64, readonly bool) (ref Ref, ok bool) {
	if frame > 0xffffffff {
		return 0, false
	}
	ref, ok = alloc()
	if !ok {
		return 0, false
	}
	e := table + uintptr(ref)*EntrySize
	flags := uint32(GTF_permit_access)
	if readonly {
		flags |= GTF_readonly
	}
	hw.Store32(e+OffFrame, uint32(frame))
	hw.Store32(e+OffFlags, uint32(domid)<<16|flags) // domid and flags in one store, after frame
	return ref, true
}

// Revoke ends the grant ref and frees it; it returns false, changing nothing, while the other
// domain still has the page mapped or is copying it (GTF_reading/GTF_writing): try again later.
//
//go:nosplit
func Revoke(ref Ref) bool {
	if ref < NrReserved || ref >= nrefs {
		return false
	}
	e := table + uintptr(ref)*EntrySize
	for {
		f := hw.Load16(e + OffFlags)
		if f&(GTF_reading|GTF_writing) != 0 {
			return false
		}
		if hw.Cas16(e+OffFlags, f, 0) {
			break
		}
	}
	release(ref)
	return true
}

// InUse reports whether the other domain currently maps or copies the page of ref.
//
//go:nosplit
func InUse(ref Ref) bool {
	if ref >= nrefs {
		return false
	}
	return hw.Load16(table+uintptr(ref)*EntrySize+OffFlags)&(GTF_reading|GTF_writing) != 0
}

// Used returns the number of references currently granted through this package.
func Used() int { return int(used.Load()) }

// Capacity returns the number of references the allocator manages (excluding the reserved ones).
func Capacity() int {
	if nrefs <= NrReserved {
		return 0
	}
	return int(nrefs - NrReserved)
}

//go:nosplit
func alloc() (Ref, bool) {
	for {
		h := head.Load()
		r := uint32(h)
		if r == none {
			return 0, false
		}
		n := atomic.LoadUint32(&next[r])
		if head.CompareAndSwap(h, (h>>32+1)<<32|uint64(n)) {
			used.Add(1)
			return r, true
		}
	}
}

//go:nosplit
func release(r Ref) {
	for {
		h := head.Load()
		atomic.StoreUint32(&next[r], uint32(h))
		if head.CompareAndSwap(h, (h>>32+1)<<32|uint64(r)) {
			used.Add(-1)
			return
		}
	}
}
