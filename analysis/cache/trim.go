package cache

// This file implements trimming: the store drops what has not been used for a while, so that it
// does not grow without bound (an entry per analysed version of a program; a link directory,
// with a kernel image, per program and flags).

import (
	"os"
	"path/filepath"
	"time"
)

const (
	// TrimEvery is how often Open trims the store (the time of its trim.txt says when it last did).
	TrimEvery = 24 * time.Hour
	// UnusedFor is how long an entry or a link directory stays without being used.
	UnusedFor = 5 * 24 * time.Hour
	// touchEvery is how stale a used entry's time may get before a use moves it to now (so that
	// a hit does not write to the file system every time).
	touchEvery = time.Hour
	// ownerFile, in a link directory, names the program directory it was made for.
	ownerFile = "owner"
	trimFile  = "trim.txt"
)

// touch records that path was used: its modification time becomes now when it is older than
// touchEvery.
func touch(path string, now time.Time) {
	if st, err := os.Stat(path); err == nil && now.Sub(st.ModTime()) > touchEvery {
		os.Chtimes(path, now, now)
	}
}

// useLinkDir makes link directory dir for the program in directory owner, or records its use.
func useLinkDir(dir, owner string) {
	if os.MkdirAll(dir, 0o755) != nil {
		return // go build says why, when it makes it
	}
	if _, err := os.Stat(filepath.Join(dir, ownerFile)); err != nil {
		os.WriteFile(filepath.Join(dir, ownerFile), []byte(owner), 0o644)
	}
	touch(dir, time.Now())
}

// trimIfDue trims the store when it was last trimmed more than TrimEvery ago (or never).
func (s *Store) trimIfDue() {
	now := time.Now()
	marker := filepath.Join(s.Dir, trimFile)
	if st, err := os.Stat(marker); err == nil && now.Sub(st.ModTime()) < TrimEvery {
		return
	}
	if os.MkdirAll(s.Dir, 0o755) != nil || os.WriteFile(marker, []byte("the analysis cache was last trimmed at this file's time\n"), 0o644) != nil {
		return
	}
	s.Trim(now)
}

// Trim removes the entries and the link directories not used for UnusedFor before now, and the
// link directories whose program directory no longer exists (a test's temporary module, a
// deleted checkout).
func (s *Store) Trim(now time.Time) {
	old := func(path string) bool {
		st, err := os.Stat(path)
		return err == nil && now.Sub(st.ModTime()) > UnusedFor
	}
	shards, _ := os.ReadDir(filepath.Join(s.Dir, "analysis"))
	for _, sh := range shards {
		dir := filepath.Join(s.Dir, "analysis", sh.Name())
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if p := filepath.Join(dir, e.Name()); old(p) {
				os.Remove(p)
			}
		}
	}
	links, _ := os.ReadDir(filepath.Join(s.Dir, "link"))
	for _, l := range links {
		dir := filepath.Join(s.Dir, "link", l.Name())
		gone := false
		if owner, err := os.ReadFile(filepath.Join(dir, ownerFile)); err == nil {
			_, err := os.Stat(string(owner))
			gone = os.IsNotExist(err)
		}
		if gone || old(dir) {
			os.RemoveAll(dir)
		}
	}
}
