package cache

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestTrim: entries and link directories unused for UnusedFor go, and link directories whose
// program directory is gone go at once; used ones stay; a hit and LinkDir count as uses; Open
// trims at most once per TrimEvery.
func TestTrim(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	now := time.Now()
	age := func(path string, d time.Duration) {
		t.Helper()
		if err := os.Chtimes(path, now.Add(-d), now.Add(-d)); err != nil {
			t.Fatal(err)
		}
	}
	exists := func(path string) bool { _, err := os.Stat(path); return err == nil }

	const oldKey, newKey, usedKey = "aa11aa11aa11aa11", "bb22bb22bb22bb22", "cc33cc33cc33cc33"
	for _, k := range []string{oldKey, newKey, usedKey} {
		if err := s.Put(k, value{A: k}); err != nil {
			t.Fatal(err)
		}
	}
	age(s.path(oldKey), UnusedFor+time.Hour)
	age(s.path(newKey), UnusedFor-time.Hour)
	age(s.path(usedKey), UnusedFor+time.Hour)
	var v value
	if ok, err := s.Get(usedKey, &v); !ok || err != nil { // a hit: used now
		t.Fatal(ok, err)
	}

	program, tmpProgram := t.TempDir(), t.TempDir()
	kept := s.LinkDir(program, "example.com/app")
	stale := s.LinkDir(program, "example.com/app", "-tags=old")
	orphan := s.LinkDir(tmpProgram, "example.com/tmp")
	age(stale, UnusedFor+time.Hour)
	if err := os.RemoveAll(tmpProgram); err != nil {
		t.Fatal(err)
	}

	s.Trim(now)
	for path, want := range map[string]bool{
		s.path(oldKey): false, s.path(newKey): true, s.path(usedKey): true,
		kept: true, stale: false, orphan: false,
	} {
		if exists(path) != want {
			t.Errorf("%s: exists %v after Trim, want %v", path, !want, want)
		}
	}

	// Open trims when the last trim is older than TrimEvery, and not again right after.
	t.Setenv(EnvVar, s.Dir)
	if err := s.Put(oldKey, value{}); err != nil {
		t.Fatal(err)
	}
	age(s.path(oldKey), UnusedFor+time.Hour)
	if _, err := Open(); err != nil {
		t.Fatal(err)
	}
	if exists(s.path(oldKey)) {
		t.Error("Open did not trim a store never trimmed")
	}
	if err := s.Put(oldKey, value{}); err != nil {
		t.Fatal(err)
	}
	age(s.path(oldKey), UnusedFor+time.Hour)
	Open()
	if !exists(s.path(oldKey)) {
		t.Error("Open trimmed again right after a trim")
	}
	age(filepath.Join(s.Dir, trimFile), TrimEvery+time.Hour)
	Open()
	if exists(s.path(oldKey)) {
		t.Error("Open did not trim a day after the last trim")
	}
}
