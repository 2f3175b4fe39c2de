package fs

// This file implements the read-ahead of /dev/vda, /dev/vdb...: a program reading a block
// device sequentially in small pieces gets 64 KiB per device request, as Linux's block devices
// read ahead, instead of one request a read.

import "sync"

// devReadAhead is the most bytes one read-ahead reads: one request of the virtio-blk driver.
const devReadAhead = 64 << 10

// sharedDevice is a block device shared by its /dev files and a volume mounted on it. Reads
// through its /dev files read ahead; every write, through either, drops what was read ahead.
type sharedDevice struct {
	BlockDevice
	mu    sync.Mutex
	gen   uint64 // bumped after every write completes
	next  int64  // where the last read through /dev ended
	start int64  // device offset of data
	data  []byte // read ahead; nil: nothing
	dgen  uint64 // gen when data was read
}

// WriteAt writes through and drops the read-ahead, after the write completes: a read-ahead
// made while the write was in flight is stale.
func (s *sharedDevice) WriteAt(p []byte, off int64) (int, error) {
	n, err := s.BlockDevice.WriteAt(p, off)
	s.mu.Lock()
	s.gen++
	s.data = nil
	s.mu.Unlock()
	return n, err
}

// readAhead reads p at off for a /dev file: from the read-ahead when it holds all of p, else
// reading ahead when off is where the previous read ended.
func (s *sharedDevice) readAhead(p []byte, off int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.data != nil && s.dgen == s.gen && off >= s.start && off+int64(len(p)) <= s.start+int64(len(s.data)) {
		n := copy(p, s.data[off-s.start:])
		s.next = off + int64(n)
		return n, nil
	}
	size := s.Size()
	if off != s.next || off == 0 || len(p) >= devReadAhead || off%512 != 0 || off >= size {
		n, err := s.BlockDevice.ReadAt(p, off)
		s.next = off + int64(n)
		return n, err
	}
	if cap(s.data) < devReadAhead {
		s.data = make([]byte, devReadAhead)
	}
	s.data = s.data[:min(devReadAhead, size-off)]
	g := s.gen
	if _, err := s.BlockDevice.ReadAt(s.data, off); err != nil {
		s.data = nil
		n, err := s.BlockDevice.ReadAt(p, off) // the error of the read asked for
		s.next = off + int64(n)
		return n, err
	}
	s.start, s.dgen = off, g
	n := copy(p, s.data)
	s.next = off + int64(n)
	return n, nil
}
