package fs

// This file implements the system calls that name paths, as the relay server receives them
// (runtime/sys/paths.go): directory-descriptor arguments carry the descriptor's server object or
// a wire.Dir* marker.

import (
	"syscall"

	"github.com/unikgen/unikgen/runtime/relay/wire"
	"github.com/unikgen/unikgen/services/relay"
)

// Flags of the *at calls (include/uapi/linux/fcntl.h).
const (
	atSymlinkNofollow = 0x100
	atRemoveDir       = 0x200
	atSymlinkFollow   = 0x400
	atEmptyPath       = 0x1000
	renameNoreplace   = 1
	renameExchange    = 2
	oNOFOLLOW         = syscall.O_NOFOLLOW
	oPATH             = 0o10000000
	oTMPFILE          = 0o20000000
	umask             = 0o022
)

// A call is one request being served, on the relay server or on an asynchronous mount's
// goroutine (worker).
type call struct {
	v      *VFS
	r      *relay.Request
	worker *mount
}

// redirect is raised (as a panic) when a call running on the relay server reaches a file system
// that must wait for a device: the call starts again on that mount's goroutine. Calls check
// paths before they change anything, so nothing has happened yet.
type redirect struct{ m *mount }

// fs returns m's file system for use by c, redirecting c when it must run elsewhere.
func (c *call) fs(m *mount) FileSystem {
	if m.async != nil && c.worker != m {
		panic(redirect{m})
	}
	return m.fs
}

// run runs fn for request r, on the relay server (worker nil) or on worker's goroutine.
func (v *VFS) run(r *relay.Request, worker *mount, fn func(c *call)) {
	c := &call{v: v, r: r, worker: worker}
	defer func() {
		x := recover()
		if x == nil {
			return
		}
		rd, ok := x.(redirect)
		if !ok {
			panic(x)
		}
		d := r
		if worker == nil {
			d = r.Detach()
		}
		rd.m.async <- func() { v.run(d, rd.m, fn) }
	}()
	fn(c)
}

// handler adapts a path-call implementation to a relay handler.
func (v *VFS) handler(fn func(c *call)) func(*relay.Request) {
	return func(r *relay.Request) { v.run(r, nil, fn) }
}

func (c *call) reply(res int64)                    { c.r.Reply(res, 0) }
func (c *call) fail(e syscall.Errno)               { c.r.Reply(-int64(e), 0) }
func (c *call) done(err error)                     { c.r.Reply(-int64(errnoOf(err)), 0) }
func (c *call) arg(i int) uint64                   { return c.r.Args[i] }
func (c *call) path(i int) (string, syscall.Errno) { return readPath(c.r.Args[i]) }

// base returns the directory a relative path of the call starts from: dir is a directory
// argument as the kernel forwarded it.
func (c *call) base(dir uint64, p string) (string, syscall.Errno) {
	if len(p) > 0 && p[0] == '/' {
		return "/", 0
	}
	switch int64(dir) {
	case wire.DirCWD:
		c.v.mu.Lock()
		defer c.v.mu.Unlock()
		return c.v.cwd, 0
	case wire.DirBadFD:
		return "", syscall.EBADF
	case wire.DirNotDir:
		return "", syscall.ENOTDIR
	}
	f := c.v.file(int32(dir))
	if f == nil {
		return "", syscall.ENOTDIR // a socket
	}
	if !f.dir {
		return "", syscall.ENOTDIR
	}
	return f.path, 0
}

// lookup reads the path argument i, relative to directory argument dir (-1: the working
// directory), and resolves it.
func (c *call) lookup(dir int, i int, follow bool) (string, syscall.Errno) {
	p, e := c.path(i)
	if e != 0 {
		return "", e
	}
	d := cwdArg
	if dir >= 0 {
		d = c.arg(dir)
	}
	base, e := c.base(d, p)
	if e != 0 {
		return "", e
	}
	abs, err := c.resolve(base, p, follow)
	return abs, errnoOf(err)
}

// A target is a path argument resolved: its absolute path, the mount holding it and its name
// in that mount ("" for a mount point).
type target struct {
	abs  string
	m    *mount
	name string
}

// target resolves path argument pathArg relative to directory argument dir (as lookup) and finds
// its mount. On failure it has replied with the error, and ok is false.
func (c *call) target(dir, pathArg int, follow bool) (t target, ok bool) {
	abs, e := c.lookup(dir, pathArg, follow)
	if e != 0 {
		c.fail(e)
		return target{}, false
	}
	m, name := c.v.mountOf(abs)
	return target{abs: abs, m: m, name: name}, true
}

// existing resolves path argument pathArg as target does and reads the attributes of the file
// there (not following a final symbolic link). On failure it has replied with the error, and ok
// is false.
func (c *call) existing(dir, pathArg int, follow bool) (t target, a Attr, ok bool) {
	abs, e := c.lookup(dir, pathArg, follow)
	if e != 0 {
		c.fail(e)
		return target{}, Attr{}, false
	}
	a, m, name, err := c.lstat(abs)
	if err != nil {
		c.done(err)
		return target{}, Attr{}, false
	}
	return target{abs: abs, m: m, name: name}, a, true
}

// targets resolves the two path arguments of rename and link (the second never follows a final
// symbolic link). On failure it has replied with the error, and ok is false.
func (c *call) targets(odir, opath int, follow bool, ndir, npath int) (from, to target, ok bool) {
	if from, ok = c.target(odir, opath, follow); !ok {
		return
	}
	to, ok = c.target(ndir, npath, false)
	return
}

// register installs the path-call handlers on srv.
func (v *VFS) register(srv *relay.Server) {
	h := func(nr int, fn func(c *call)) { srv.Handle(nr, v.handler(fn)) }
	h(syscall.SYS_OPENAT, func(c *call) { c.open(0, 1, int(c.arg(2)), uint32(c.arg(3))) })
	h(syscall.SYS_OPEN, func(c *call) { c.open(-1, 0, int(c.arg(1)), uint32(c.arg(2))) })
	h(syscall.SYS_CREAT, func(c *call) {
		c.open(-1, 0, syscall.O_CREAT|syscall.O_WRONLY|syscall.O_TRUNC, uint32(c.arg(1)))
	})
	h(syscall.SYS_NEWFSTATAT, func(c *call) { c.stat(0, 1, int(c.arg(3)), c.arg(2), false) })
	h(syscall.SYS_STAT, func(c *call) { c.stat(-1, 0, 0, c.arg(1), false) })
	h(syscall.SYS_LSTAT, func(c *call) { c.stat(-1, 0, atSymlinkNofollow, c.arg(1), false) })
	h(unixSTATX, func(c *call) { c.stat(0, 1, int(c.arg(2)), c.arg(4), true) })
	h(syscall.SYS_READLINKAT, func(c *call) { c.readlink(0, 1, c.arg(2), c.arg(3)) })
	h(syscall.SYS_READLINK, func(c *call) { c.readlink(-1, 0, c.arg(1), c.arg(2)) })
	h(syscall.SYS_FACCESSAT, func(c *call) { c.access(0, 1, int(c.arg(2)), 0) })
	h(unixFACCESSAT2, func(c *call) { c.access(0, 1, int(c.arg(2)), int(c.arg(3))) })
	h(syscall.SYS_ACCESS, func(c *call) { c.access(-1, 0, int(c.arg(1)), 0) })
	h(syscall.SYS_MKDIRAT, func(c *call) { c.mkdir(0, 1, uint32(c.arg(2))) })
	h(syscall.SYS_MKDIR, func(c *call) { c.mkdir(-1, 0, uint32(c.arg(1))) })
	h(syscall.SYS_UNLINKAT, func(c *call) { c.unlink(0, 1, int(c.arg(2))) })
	h(syscall.SYS_UNLINK, func(c *call) { c.unlink(-1, 0, 0) })
	h(syscall.SYS_RMDIR, func(c *call) { c.unlink(-1, 0, atRemoveDir) })
	h(syscall.SYS_RENAMEAT, func(c *call) { c.rename(0, 1, 2, 3, 0) })
	h(unixRENAMEAT2, func(c *call) { c.rename(0, 1, 2, 3, int(c.arg(4))) })
	h(syscall.SYS_RENAME, func(c *call) { c.rename(-1, 0, -1, 1, 0) })
	h(syscall.SYS_LINKAT, func(c *call) { c.link(0, 1, 2, 3, int(c.arg(4))) })
	h(syscall.SYS_LINK, func(c *call) { c.link(-1, 0, -1, 1, 0) })
	h(syscall.SYS_SYMLINKAT, func(c *call) { c.symlink(0, 1, 2) })
	h(syscall.SYS_SYMLINK, func(c *call) { c.symlink(0, -1, 1) })
	h(syscall.SYS_FCHMODAT, func(c *call) { c.chmod(0, 1, uint32(c.arg(2))) })
	h(syscall.SYS_CHMOD, func(c *call) { c.chmod(-1, 0, uint32(c.arg(1))) })
	h(syscall.SYS_FCHOWNAT, func(c *call) {
		c.chown(0, 1, c.arg(2), c.arg(3), c.arg(4)&atSymlinkNofollow == 0)
	})
	h(syscall.SYS_CHOWN, func(c *call) { c.chown(-1, 0, c.arg(1), c.arg(2), true) })
	h(syscall.SYS_LCHOWN, func(c *call) { c.chown(-1, 0, c.arg(1), c.arg(2), false) })
	h(syscall.SYS_TRUNCATE, func(c *call) { c.truncate(int64(c.arg(1))) })
	h(syscall.SYS_UTIMENSAT, func(c *call) { c.utimens(0, 1, c.arg(2), int(c.arg(3))) })
	h(syscall.SYS_CHDIR, func(c *call) { c.chdir() })
	h(syscall.SYS_GETCWD, func(c *call) { c.getcwd(c.arg(0), c.arg(1)) })
	h(syscall.SYS_STATFS, func(c *call) { c.statfs() })
	h(syscall.SYS_MKNODAT, func(c *call) { c.fail(syscall.EPERM) })
}

// cwdArg is the directory argument meaning the working directory.
var cwdArg = func() uint64 { d := int64(wire.DirCWD); return uint64(d) }()

// System calls that package syscall does not name on linux/amd64.
const (
	unixSTATX      = 332
	unixFACCESSAT2 = 439
	unixRENAMEAT2  = 316
)

func (c *call) open(dir, pathArg, flags int, mode uint32) {
	if flags&oTMPFILE == oTMPFILE {
		c.fail(syscall.EOPNOTSUPP)
		return
	}
	follow := flags&oNOFOLLOW == 0 && flags&(oCREAT|oEXCL) != oCREAT|oEXCL
	t, ok := c.target(dir, pathArg, follow)
	if !ok {
		return
	}
	abs, m := t.abs, t.m
	fsys := c.fs(m)
	a, err := fsys.Lstat(t.name)
	exists := err == nil
	if exists && a.Mode&S_IFMT == S_IFLNK {
		if flags&(oCREAT|oEXCL) == oCREAT|oEXCL {
			c.fail(syscall.EEXIST)
		} else {
			c.fail(syscall.ELOOP) // O_NOFOLLOW
		}
		return
	}
	if flags&oPATH != 0 {
		if !exists {
			c.done(err)
			return
		}
		c.install(&openFile{m: m, h: nil, path: abs, dir: a.IsDir(), pathOnly: true}, flags)
		return
	}
	h, err := fsys.Open(t.name, flags, mode&^umask)
	if err != nil {
		c.done(err)
		return
	}
	if !exists {
		a, _ = h.Attr()
	}
	c.install(&openFile{m: m, h: h, path: abs, dir: a.IsDir()}, flags)
}

// install registers f and replies with a new descriptor for it.
func (c *call) install(f *openFile, flags int) {
	f.v = c.v
	f.flags = flags
	if c.r.Spare < 0 {
		if f.h != nil {
			f.h.Close()
		}
		c.fail(syscall.ENFILE) // the kernel reserved no object number: not an open call
		return
	}
	c.v.add(f, c.r.Spare)
	fdFlags := uint32(flags & (syscall.O_ACCMODE | syscall.O_APPEND | syscall.O_NONBLOCK | syscall.O_CLOEXEC))
	if f.pathOnly {
		fdFlags = uint32(flags&syscall.O_CLOEXEC) | oPATH
	}
	c.r.ReplyInstall(fdFlags, false, 0, 0)
}

func (c *call) stat(dir, pathArg, flags int, buf uint64, statx bool) {
	if flags&^(atSymlinkNofollow|atEmptyPath|0x800|0x6000) != 0 { // AT_NO_AUTOMOUNT, AT_STATX_SYNC_TYPE
		c.fail(syscall.EINVAL)
		return
	}
	var a Attr
	var dev uint64
	p, e := c.path(pathArg)
	if e != 0 {
		c.fail(e)
		return
	}
	if p == "" && flags&atEmptyPath != 0 {
		// The directory argument itself: the working directory, or a served file.
		d := c.arg(dir)
		if f := c.v.file(int32(d)); int64(d) >= 0 && f != nil {
			c.fileStat(f, buf, statx)
			return
		}
		if int64(d) != wire.DirCWD {
			c.fail(syscall.EBADF)
			return
		}
		c.v.mu.Lock()
		p = c.v.cwd
		c.v.mu.Unlock()
	}
	base := "/"
	if dir >= 0 {
		if base, e = c.base(c.arg(dir), p); e != 0 {
			c.fail(e)
			return
		}
	} else if p != "" && p[0] != '/' {
		base, _ = c.base(cwdArg, p)
	}
	abs, err := c.resolve(base, p, flags&atSymlinkNofollow == 0)
	if err != nil {
		c.done(err)
		return
	}
	var m *mount
	a, m, _, err = c.lstat(abs)
	if err != nil {
		c.done(err)
		return
	}
	dev = m.dev
	c.fail(putAttr(buf, a, dev, statx))
}

// putAttr writes a as stat or statx writes it, at user address buf.
func putAttr(buf uint64, a Attr, dev uint64, statx bool) syscall.Errno {
	if statx {
		return putStatx(buf, a, dev)
	}
	return putStat(buf, a, dev)
}

// fileStat answers a stat call on open file f.
func (c *call) fileStat(f *openFile, buf uint64, statx bool) {
	a, err := f.attr(c)
	if err != nil {
		c.done(err)
		return
	}
	c.fail(putAttr(buf, a, f.m.dev, statx))
}

func (c *call) readlink(dir, pathArg int, buf, size uint64) {
	if int64(size) <= 0 {
		c.fail(syscall.EINVAL)
		return
	}
	t, ok := c.target(dir, pathArg, false)
	if !ok {
		return
	}
	link, err := c.fs(t.m).Readlink(t.name)
	if err != nil {
		c.done(err)
		return
	}
	b, ok := userBytes(uintptr(buf), uintptr(size))
	if !ok {
		c.fail(syscall.EFAULT)
		return
	}
	c.reply(int64(copy(b, link)))
}

func (c *call) access(dir, pathArg, mode, flags int) {
	if mode&^7 != 0 || flags&^(atSymlinkNofollow|atEmptyPath|0x200) != 0 { // AT_EACCESS
		c.fail(syscall.EINVAL)
		return
	}
	t, a, ok := c.existing(dir, pathArg, flags&atSymlinkNofollow == 0)
	if !ok {
		return
	}
	// The program runs as root: reading and writing are allowed, except writing to a read-only
	// file system; executing needs an execute bit (or a directory).
	if mode&2 != 0 && c.fs(t.m).Statfs().ReadOnly && a.Mode&S_IFMT != S_IFCHR && a.Mode&S_IFMT != S_IFBLK {
		c.fail(syscall.EROFS)
		return
	}
	if mode&1 != 0 && !a.IsDir() && a.Mode&0o111 == 0 {
		c.fail(syscall.EACCES)
		return
	}
	c.reply(0)
}

func (c *call) mkdir(dir, pathArg int, mode uint32) {
	t, ok := c.target(dir, pathArg, false)
	if !ok {
		return
	}
	if t.name == "" {
		c.fail(syscall.EEXIST)
		return
	}
	c.done(c.fs(t.m).Mkdir(t.name, mode&^umask))
}

func (c *call) unlink(dir, pathArg, flags int) {
	if flags&^atRemoveDir != 0 {
		c.fail(syscall.EINVAL)
		return
	}
	t, ok := c.target(dir, pathArg, false)
	if !ok {
		return
	}
	if t.name == "" {
		c.fail(syscall.EBUSY) // a mount point or the root
		return
	}
	c.done(c.fs(t.m).Remove(t.name, flags&atRemoveDir != 0))
}

func (c *call) rename(odir, opath, ndir, npath, flags int) {
	if flags&renameExchange != 0 {
		c.fail(syscall.EINVAL) // no file system here exchanges atomically
		return
	}
	if flags&^renameNoreplace != 0 {
		c.fail(syscall.EINVAL)
		return
	}
	from, to, ok := c.targets(odir, opath, false, ndir, npath)
	if !ok {
		return
	}
	if from.name == "" || to.name == "" {
		c.fail(syscall.EBUSY)
		return
	}
	if from.m != to.m {
		c.fail(syscall.EXDEV)
		return
	}
	c.done(c.fs(from.m).Rename(from.name, to.name, flags&renameNoreplace != 0))
}

func (c *call) link(odir, opath, ndir, npath, flags int) {
	from, to, ok := c.targets(odir, opath, flags&atSymlinkFollow != 0, ndir, npath)
	if !ok {
		return
	}
	if from.m != to.m {
		c.fail(syscall.EXDEV)
		return
	}
	c.done(c.fs(from.m).Link(from.name, to.name))
}

func (c *call) symlink(targetArg, ndir, npath int) {
	link, e := c.path(targetArg)
	if e != 0 {
		c.fail(e)
		return
	}
	if link == "" {
		c.fail(syscall.ENOENT)
		return
	}
	to, ok := c.target(ndir, npath, false)
	if !ok {
		return
	}
	if to.name == "" {
		c.fail(syscall.EEXIST)
		return
	}
	c.done(c.fs(to.m).Symlink(link, to.name))
}

// setattr changes the attributes of the file at path argument pathArg.
func (c *call) setattr(dir, pathArg int, follow bool, s SetAttr) {
	t, ok := c.target(dir, pathArg, follow)
	if !ok {
		return
	}
	c.done(c.fs(t.m).Setattr(t.name, s))
}

func (c *call) chmod(dir, pathArg int, mode uint32) {
	mode &= 0o7777
	c.setattr(dir, pathArg, true, SetAttr{Mode: &mode})
}

func (c *call) chown(dir, pathArg int, uid, gid uint64, follow bool) {
	var s SetAttr
	if u := uint32(uid); u != ^uint32(0) {
		s.UID = &u
	}
	if g := uint32(gid); g != ^uint32(0) {
		s.GID = &g
	}
	c.setattr(dir, pathArg, follow, s)
}

func (c *call) truncate(size int64) {
	if size < 0 {
		c.fail(syscall.EINVAL)
		return
	}
	t, a, ok := c.existing(-1, 0, true)
	if !ok {
		return
	}
	if a.IsDir() {
		c.fail(syscall.EISDIR)
		return
	}
	err := c.fs(t.m).Setattr(t.name, SetAttr{Size: &size})
	if err == nil {
		c.v.maps.truncated(fileKey{t.m.dev, a.Ino}, size)
	}
	c.done(err)
}

// utimensat times (include/uapi/linux/stat.h).
const (
	utimeNow  = 1<<30 - 1
	utimeOmit = 1<<30 - 2
)

// timesArg reads utimensat's times argument: two struct timespec, or null for now.
func timesArg(addr uint64) (SetAttr, syscall.Errno) {
	t := now()
	if addr == 0 {
		return SetAttr{Atime: &t, Mtime: &t}, 0
	}
	b, ok := userBytes(uintptr(addr), 32)
	if !ok {
		return SetAttr{}, syscall.EFAULT
	}
	var s SetAttr
	for i := 0; i < 2; i++ {
		sec, nsec := int64(le.Uint64(b[16*i:])), int64(le.Uint64(b[16*i+8:]))
		var v int64
		switch {
		case nsec == utimeOmit:
			continue
		case nsec == utimeNow:
			v = t
		case nsec < 0 || nsec >= 1e9:
			return SetAttr{}, syscall.EINVAL
		default:
			v = sec*1e9 + nsec
		}
		if i == 0 {
			s.Atime = &v
		} else {
			s.Mtime = &v
		}
	}
	return s, 0
}

func (c *call) utimens(dir, pathArg int, times uint64, flags int) {
	if flags&^atSymlinkNofollow != 0 {
		c.fail(syscall.EINVAL)
		return
	}
	s, e := timesArg(times)
	if e != 0 {
		c.fail(e)
		return
	}
	c.setattr(dir, pathArg, flags&atSymlinkNofollow == 0, s)
}

func (c *call) chdir() {
	t, a, ok := c.existing(-1, 0, true)
	if !ok {
		return
	}
	if !a.IsDir() {
		c.fail(syscall.ENOTDIR)
		return
	}
	c.v.setCwd(t.abs)
	c.reply(0)
}

func (v *VFS) setCwd(p string) {
	v.mu.Lock()
	v.cwd = p
	v.mu.Unlock()
}

func (c *call) getcwd(buf, size uint64) {
	c.v.mu.Lock()
	cwd := c.v.cwd
	c.v.mu.Unlock()
	if size < uint64(len(cwd)+1) {
		c.fail(syscall.ERANGE)
		return
	}
	b, ok := userBytes(uintptr(buf), uintptr(len(cwd)+1))
	if !ok {
		c.fail(syscall.EFAULT)
		return
	}
	copy(b, cwd)
	b[len(cwd)] = 0
	c.reply(int64(len(cwd) + 1))
}

func (c *call) statfs() {
	t, _, ok := c.existing(-1, 0, true)
	if !ok {
		return
	}
	c.fail(putStatfs(c.arg(1), c.fs(t.m).Statfs(), t.m.dev))
}
