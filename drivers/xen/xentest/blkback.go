// This file implements a fake blkback: the backend of io/blkif.h block rings over a disk in
// memory, for the tests of blkfront.

package xentest

import (
	"fmt"
	"sync"
)

// Blkif entry layout and values (io/blkif.h).
const (
	BlkRequestSize  = 112
	BlkResponseSize = 16
	BlkOpRead       = 0
	BlkOpWrite      = 1
	BlkOpFlush      = 3
)

// Blkback serves the requests of a blkfront ring against Disk. Serve handles what the frontend
// published; the test then delivers the frontend's interrupt.
type Blkback struct {
	Grants Grants
	Ring   *BackRing
	// Disk is the disk's contents (512-byte sectors).
	Disk []byte
	// FlushStatus is the status of FLUSH_DISKCACHE requests (0: OK).
	FlushStatus int16
	// FailSector, when not zero, fails (status -1) every request at that sector.
	FailSector uint64

	mu sync.Mutex
	// Counts of the requests served, by operation.
	Reads, Writes, Flushes int
	// Durable is the disk as of the last successful flush (what survives a crash of the host).
	Durable []byte
}

// NewBlkback attaches to the ring granted by ringRef, with disk as the disk.
func NewBlkback(g Grants, ringRef uint32, disk []byte) (*Blkback, error) {
	page, err := g.Page(ringRef, true)
	if err != nil {
		return nil, fmt.Errorf("blkback: ring: %w", err)
	}
	r := NewBackRing(page, BlkRequestSize)
	r.SetReqEvent(1)
	return &Blkback{Grants: g, Ring: r, Disk: disk, Durable: append([]byte(nil), disk...)}, nil
}

// Serve handles the published requests and reports whether the frontend asked to be notified.
func (b *Blkback) Serve() (notify bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		if b.Ring.Requests() == 0 {
			// Ask for a notification of the next request, then look again (io/ring.h
			// RING_FINAL_CHECK_FOR_REQUESTS).
			b.Ring.SetReqEvent(b.Ring.ReqCons + 1)
			if b.Ring.Requests() == 0 {
				break
			}
		}
		req := b.Ring.Slot(b.Ring.ReqCons)
		b.Ring.ReqCons++
		op, nseg := req[0], int(req[1])
		id, sector := le.Uint64(req[8:]), le.Uint64(req[16:])
		status := int16(0)
		off := int(sector) * 512
		switch {
		case b.FailSector != 0 && sector == b.FailSector:
			status = -1
		case op == BlkOpFlush:
			b.Flushes++
			status = b.FlushStatus
			if status == 0 {
				copy(b.Durable, b.Disk)
			}
		case op == BlkOpRead || op == BlkOpWrite:
			if nseg < 1 || nseg > 11 {
				return false, fmt.Errorf("blkback: request %d: %d segments", id, nseg)
			}
			for i := 0; i < nseg; i++ {
				s := req[24+8*i:]
				first, last := int(s[4]), int(s[5])
				if last < first || last > 7 {
					return false, fmt.Errorf("blkback: request %d segment %d: sectors %d..%d", id, i, first, last)
				}
				page, err := b.Grants.Page(le.Uint32(s), op == BlkOpRead)
				if err != nil {
					return false, err
				}
				n := (last - first + 1) * 512
				if off+n > len(b.Disk) {
					status = -1
					break
				}
				if op == BlkOpRead {
					copy(page[first*512:], b.Disk[off:off+n])
				} else {
					copy(b.Disk[off:off+n], page[first*512:first*512+n])
				}
				off += n
			}
			if op == BlkOpRead {
				b.Reads++
			} else {
				b.Writes++
			}
		default:
			status = -2
		}
		rsp := b.Ring.Slot(b.Ring.RspProdPv)
		b.Ring.RspProdPv++
		le.PutUint64(rsp, id)
		rsp[8] = op
		le.PutUint16(rsp[10:], uint16(status))
	}
	return b.Ring.Push(), nil
}
