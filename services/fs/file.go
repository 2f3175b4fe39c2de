package fs

// This file implements open files: the relay objects behind the descriptors that openat
// returns, with their offset (shared by dup'd descriptors, as the open file description is on
// Linux), directory reading and advisory locks.

import (
	"io"
	"sync"
	"syscall"

	"github.com/unikgen/unikgen/services/relay"
)

// An openFile is an open file description.
type openFile struct {
	v        *VFS
	m        *mount
	h        Handle // nil for O_PATH
	path     string // absolute path at open time (fchdir, *at calls relative to it)
	dir      bool
	pathOnly bool // O_PATH
	flags    int  // open(2) flags
	obj      int32
	// async is the mount whose goroutine runs the calls on the file, or nil.
	async *mount

	mu   sync.Mutex
	off  int64
	ents []DirEntry // directory entries, read at the first getdents64 after a rewind
}

// add makes f the relay object obj (the spare number of the call that opens it).
func (v *VFS) add(f *openFile, obj int32) {
	if f.m.async != nil {
		f.async = f.m
	} else if b, ok := f.h.(interface{ Blocking() bool }); ok && b.Blocking() {
		f.async = v.deviceWorker()
	}
	f.obj = obj
	v.srv.Put(obj, f)
	v.mu.Lock()
	v.files[obj] = f
	v.mu.Unlock()
}

// file returns the open file of relay object obj, or nil.
func (v *VFS) file(obj int32) *openFile {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.files[obj]
}

// deviceWorker returns the goroutine that runs the calls on devices that wait (block devices).
func (v *VFS) deviceWorker() *mount {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.devices == nil {
		v.devices = &mount{path: "/dev", async: make(chan func(), 64)}
		go func(ch chan func()) {
			for fn := range ch {
				fn()
			}
		}(v.devices.async)
	}
	return v.devices
}

// Release implements relay.Object: the last descriptor is closed.
func (f *openFile) Release() {
	f.v.unlockAll(f)
	f.v.mu.Lock()
	delete(f.v.files, f.obj)
	f.v.mu.Unlock()
	if f.h == nil {
		return
	}
	if f.async != nil {
		f.async.async <- func() { f.h.Close() }
		return
	}
	f.h.Close()
}

// Serve implements relay.Object.
func (f *openFile) Serve(r *relay.Request) {
	f.v.run(r, nil, func(c *call) {
		if f.async != nil && c.worker != f.async {
			panic(redirect{f.async})
		}
		f.serve(c)
	})
}

// Whence values of lseek(2).
const (
	seekSet  = 0
	seekCur  = 1
	seekEnd  = 2
	seekData = 3
	seekHole = 4
)

func (f *openFile) serve(c *call) {
	r := c.r
	if f.pathOnly {
		switch r.Nr {
		case syscall.SYS_FSTAT, syscall.SYS_NEWFSTATAT, syscall.SYS_FCHDIR:
		default:
			c.fail(syscall.EBADF)
			return
		}
	}
	acc := int(r.Flags) & syscall.O_ACCMODE
	canRead, canWrite := acc != syscall.O_WRONLY, acc != syscall.O_RDONLY
	switch r.Nr {
	case syscall.SYS_READ, syscall.SYS_READV, syscall.SYS_PREAD64, syscall.SYS_PREADV:
		if !canRead {
			c.fail(syscall.EBADF)
			return
		}
		if f.dir {
			c.fail(syscall.EISDIR)
			return
		}
		f.read(c)
	case syscall.SYS_WRITE, syscall.SYS_WRITEV, syscall.SYS_PWRITE64, syscall.SYS_PWRITEV:
		if !canWrite {
			c.fail(syscall.EBADF)
			return
		}
		f.write(c)
	case syscall.SYS_LSEEK:
		f.lseek(c, int64(r.Args[1]), int(r.Args[2]))
	case syscall.SYS_FSTAT:
		c.fileStat(f, r.Args[1], false)
	case syscall.SYS_NEWFSTATAT:
		c.fileStat(f, r.Args[2], false)
	case syscall.SYS_GETDENTS64:
		f.getdents(c, r.Args[1], r.Args[2])
	case syscall.SYS_FSYNC, syscall.SYS_FDATASYNC:
		c.done(f.h.Sync())
	case syscall.SYS_FTRUNCATE:
		size := int64(r.Args[1])
		switch {
		case size < 0 || !canWrite:
			c.fail(syscall.EINVAL)
		case f.dir:
			c.fail(syscall.EISDIR)
		default:
			err := f.h.Setattr(SetAttr{Size: &size})
			if err == nil {
				f.truncated(size)
			}
			c.done(err)
		}
	case syscall.SYS_FCHMOD:
		mode := uint32(r.Args[1]) & 0o7777
		c.done(f.h.Setattr(SetAttr{Mode: &mode}))
	case syscall.SYS_FCHOWN:
		var s SetAttr
		if u := uint32(r.Args[1]); u != ^uint32(0) {
			s.UID = &u
		}
		if g := uint32(r.Args[2]); g != ^uint32(0) {
			s.GID = &g
		}
		c.done(f.h.Setattr(s))
	case syscall.SYS_UTIMENSAT: // futimens: a null path
		s, e := timesArg(r.Args[2])
		if e != 0 {
			c.fail(e)
			return
		}
		c.done(f.h.Setattr(s))
	case syscall.SYS_MMAP:
		f.mmap(c, canRead)
	case syscall.SYS_FLOCK:
		f.v.flock(c, f, int(r.Args[1]))
	case syscall.SYS_FCHDIR:
		if !f.dir {
			c.fail(syscall.ENOTDIR)
			return
		}
		f.v.setCwd(f.path)
		c.reply(0)
	case syscall.SYS_FSTATFS:
		c.fail(putStatfs(r.Args[1], f.m.fs.Statfs(), f.m.dev))
	case syscall.SYS_IOCTL:
		f.ioctl(c, uintptr(r.Args[1]), uintptr(r.Args[2]))
	case syscall.SYS_FADVISE64:
		c.reply(0)
	case syscall.SYS_BIND, syscall.SYS_LISTEN, syscall.SYS_ACCEPT, syscall.SYS_ACCEPT4,
		syscall.SYS_CONNECT, syscall.SYS_GETSOCKNAME, syscall.SYS_GETPEERNAME,
		syscall.SYS_SETSOCKOPT, syscall.SYS_GETSOCKOPT, syscall.SYS_SHUTDOWN,
		syscall.SYS_SENDTO, syscall.SYS_RECVFROM, syscall.SYS_SENDMSG, syscall.SYS_RECVMSG:
		c.fail(syscall.ENOTSOCK)
	default:
		c.fail(syscall.EINVAL)
	}
}

func (f *openFile) attr(c *call) (Attr, error) {
	if f.h == nil {
		a, _, _, err := c.lstat(f.path)
		return a, err
	}
	return f.h.Attr()
}

func (f *openFile) isStream() bool {
	s, ok := f.h.(stream)
	return ok && s.Stream()
}

// iovecs returns the caller's buffers of a read or write call.
func (f *openFile) iovecs(c *call) ([][]byte, syscall.Errno) {
	a := c.r.Args
	switch c.r.Nr {
	case syscall.SYS_READ, syscall.SYS_WRITE, syscall.SYS_PREAD64, syscall.SYS_PWRITE64:
		b, ok := userBytes(uintptr(a[1]), uintptr(a[2]))
		if !ok {
			return nil, syscall.EFAULT
		}
		return [][]byte{b}, 0
	}
	if a[2] > 1024 {
		return nil, syscall.EINVAL
	}
	raw, ok := userBytes(uintptr(a[1]), uintptr(a[2])*16)
	if !ok {
		return nil, syscall.EFAULT
	}
	out := make([][]byte, 0, a[2])
	var total uint64
	for i := uint64(0); i < a[2]; i++ {
		base, n := le.Uint64(raw[16*i:]), le.Uint64(raw[16*i+8:])
		total += n
		if n > 1<<62 || total > 1<<62 {
			return nil, syscall.EINVAL
		}
		b, ok := userBytes(uintptr(base), uintptr(n))
		if !ok {
			return nil, syscall.EFAULT
		}
		out = append(out, b)
	}
	return out, 0
}

// position returns the offset a read or write call works at, and whether it is the file's own
// (to be advanced).
func (f *openFile) position(c *call) (int64, bool, syscall.Errno) {
	switch c.r.Nr {
	case syscall.SYS_PREAD64, syscall.SYS_PWRITE64, syscall.SYS_PREADV, syscall.SYS_PWRITEV:
		if int64(c.r.Args[3]) < 0 {
			return 0, false, syscall.EINVAL
		}
		return int64(c.r.Args[3]), false, 0
	}
	return f.off, true, 0
}

func (f *openFile) read(c *call) {
	f.transfer(c, false, func(b []byte, off int64) (int, error) {
		n, err := f.h.ReadAt(b, off)
		if err == io.EOF {
			err = nil // a short read: the end of the file
		}
		return n, err
	})
}

func (f *openFile) write(c *call) {
	f.transfer(c, true, func(b []byte, off int64) (int, error) {
		n, err := f.h.WriteAt(b, off)
		f.wrote(b[:n], off)
		return n, err
	})
}

// transfer serves a read or write call on f: move moves the call's buffers in order from the
// call's position (for an O_APPEND write at the file's own offset, the end of the file), and
// the file's own offset advances. A failed move ends the call, with its error when nothing moved
// yet; so does a short read.
func (f *openFile) transfer(c *call, write bool, move func(b []byte, off int64) (int, error)) {
	bufs, e := f.iovecs(c)
	if e != 0 {
		c.fail(e)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	off, own, e := f.position(c)
	if e != 0 {
		c.fail(e)
		return
	}
	if write && own && c.r.Flags&syscall.O_APPEND != 0 {
		a, err := f.h.Attr()
		if err != nil {
			c.done(err)
			return
		}
		off = a.Size
	}
	var total int64
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		n, err := move(b, off)
		total += int64(n)
		off += int64(n)
		if err != nil {
			if total == 0 {
				c.done(err)
				return
			}
			break
		}
		if !write && n < len(b) {
			break
		}
	}
	if own && !f.isStream() {
		f.off = off
	}
	c.reply(total)
}

func (f *openFile) lseek(c *call, off int64, whence int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.isStream() {
		c.reply(0) // character devices: the offset means nothing, as for /dev/null
		return
	}
	var size int64
	if whence == seekEnd || whence == seekData || whence == seekHole {
		if s, ok := f.h.(sizer); ok {
			size = s.Size()
		} else {
			a, err := f.h.Attr()
			if err != nil {
				c.done(err)
				return
			}
			size = a.Size
		}
	}
	var pos int64
	switch whence {
	case seekSet:
		pos = off
	case seekCur:
		pos = f.off + off
	case seekEnd:
		pos = size + off
	case seekData, seekHole:
		if off < 0 || off >= size {
			c.fail(syscall.ENXIO)
			return
		}
		pos = off // no holes: data everywhere, the hole at the end
		if whence == seekHole {
			pos = size
		}
	default:
		c.fail(syscall.EINVAL)
		return
	}
	if pos < 0 {
		c.fail(syscall.EINVAL)
		return
	}
	if f.dir && pos == 0 {
		f.ents = nil
	}
	f.off = pos
	c.reply(pos)
}

// getdents fills buf with linux_dirent64 records from the directory position (an index into
// ".", "..", then the entries).
func (f *openFile) getdents(c *call, buf, size uint64) {
	if !f.dir {
		c.fail(syscall.ENOTDIR)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ents == nil || f.off == 0 {
		list, err := f.h.ReadDir()
		if err != nil {
			c.done(err)
			return
		}
		a, _ := f.h.Attr()
		ino := a.Ino
		if ino == 0 {
			ino = 1
		}
		f.ents = append([]DirEntry{{".", ino, S_IFDIR}, {"..", ino, S_IFDIR}}, list...)
	}
	if size > 1<<20 {
		size = 1 << 20
	}
	out := make([]byte, 0, size)
	pos := f.off
	for pos < int64(len(f.ents)) {
		e := f.ents[pos]
		ino := e.Ino
		if ino == 0 {
			ino = uint64(pos) + 1 // Go skips entries with inode 0
		}
		var ok bool
		if out, ok = putDirent(out, ino, pos+1, dtype(e.Mode), e.Name); !ok {
			break
		}
		pos++
	}
	if len(out) == 0 && pos < int64(len(f.ents)) {
		c.fail(syscall.EINVAL) // the buffer holds no entry
		return
	}
	b, ok := userBytes(uintptr(buf), uintptr(len(out)))
	if !ok {
		c.fail(syscall.EFAULT)
		return
	}
	copy(b, out)
	f.off = pos
	c.reply(int64(len(out)))
}

// ioctl requests (include/uapi/linux/fs.h, asm-generic/ioctls.h).
const (
	blkGetSize64 = 0x80081272
	fionread     = 0x541B
)

func (f *openFile) ioctl(c *call, req, arg uintptr) {
	if i, ok := f.h.(ioctler); ok {
		if res, ok := i.Ioctl(req, arg); ok {
			c.reply(res)
			return
		}
	}
	switch req {
	case blkGetSize64:
		s, ok := f.h.(sizer)
		if !ok {
			c.fail(syscall.ENOTTY)
			return
		}
		b, ok := userBytes(arg, 8)
		if !ok {
			c.fail(syscall.EFAULT)
			return
		}
		le.PutUint64(b, uint64(s.Size()))
		c.reply(0)
	case fionread:
		a, err := f.h.Attr()
		if err != nil || a.Mode&S_IFMT != S_IFREG {
			c.fail(syscall.ENOTTY)
			return
		}
		b, ok := userBytes(arg, 4)
		if !ok {
			c.fail(syscall.EFAULT)
			return
		}
		f.mu.Lock()
		n := max(a.Size-f.off, 0)
		f.mu.Unlock()
		le.PutUint32(b, uint32(min(n, 1<<31-1)))
		c.reply(0)
	default:
		c.fail(syscall.ENOTTY)
	}
}
