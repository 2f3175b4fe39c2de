package fs

// This file implements flock(2): advisory whole-file locks held by open file descriptions.
// A request that conflicts waits (unless LOCK_NB) until a holder unlocks or closes.

import "syscall"

// flock(2) operations.
const (
	lockSH = 1
	lockEX = 2
	lockNB = 4
	lockUN = 8
)

type lockKey struct{ dev, ino uint64 }

// A flock is the lock state of one file.
type flock struct {
	excl    *openFile
	shared  map[*openFile]bool
	waiters []func() bool // retried at every unlock; true when served
}

func (v *VFS) flock(c *call, f *openFile, op int) {
	a, err := f.attr(c)
	if err != nil {
		c.done(err)
		return
	}
	k := lockKey{f.m.dev, a.Ino}
	nb := op&lockNB != 0
	op &^= lockNB
	if op != lockSH && op != lockEX && op != lockUN {
		c.fail(syscall.EINVAL)
		return
	}
	v.mu.Lock()
	l := v.locks[k]
	if l == nil {
		l = &flock{shared: map[*openFile]bool{}}
		v.locks[k] = l
	}
	if op == lockUN {
		l.drop(f)
		v.mu.Unlock()
		c.reply(0)
		v.retry(k)
		return
	}
	if l.try(f, op) {
		v.mu.Unlock()
		c.reply(0)
		v.retry(k) // a downgrade from exclusive may let others in
		return
	}
	if nb {
		v.mu.Unlock()
		c.fail(syscall.EWOULDBLOCK)
		return
	}
	r := c.r
	if c.worker == nil {
		r = r.Detach()
	}
	l.waiters = append(l.waiters, func() bool {
		if !l.try(f, op) {
			return false
		}
		r.Reply(0, 0)
		return true
	})
	v.mu.Unlock()
}

// try takes the lock for f if nothing conflicts (converting a lock f already holds).
func (l *flock) try(f *openFile, op int) bool {
	others := len(l.shared)
	if l.shared[f] {
		others--
	}
	if l.excl != nil && l.excl != f {
		return false
	}
	if op == lockEX && others > 0 {
		return false
	}
	l.drop(f)
	if op == lockEX {
		l.excl = f
	} else {
		l.shared[f] = true
	}
	return true
}

func (l *flock) drop(f *openFile) {
	if l.excl == f {
		l.excl = nil
	}
	delete(l.shared, f)
}

// retry serves the waiters of k that can go now.
func (v *VFS) retry(k lockKey) {
	v.mu.Lock()
	defer v.mu.Unlock()
	l := v.locks[k]
	if l == nil {
		return
	}
	kept := l.waiters[:0]
	for _, w := range l.waiters {
		if !w() {
			kept = append(kept, w)
		}
	}
	l.waiters = kept
	if l.excl == nil && len(l.shared) == 0 && len(l.waiters) == 0 {
		delete(v.locks, k)
	}
}

// unlockAll drops the locks of a closed file.
func (v *VFS) unlockAll(f *openFile) {
	v.mu.Lock()
	var keys []lockKey
	for k, l := range v.locks {
		if l.excl == f || l.shared[f] {
			l.drop(f)
			keys = append(keys, k)
		}
	}
	v.mu.Unlock()
	for _, k := range keys {
		v.retry(k)
	}
}
