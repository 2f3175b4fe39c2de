package cache

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type value struct {
	A string
	B []int
}

func TestStore(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	const key = "0123456789abcdef0123456789abcdef"
	var v value
	if ok, err := s.Get(key, &v); ok || err != nil {
		t.Fatalf("empty store: Get = %v, %v; want false, nil", ok, err)
	}
	want := value{A: "x\ny", B: []int{1, 2}}
	if err := s.Put(key, want); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Get(key, &v); !ok || err != nil || v.A != want.A || len(v.B) != 2 {
		t.Fatalf("Get = %v, %v, %+v; want true, nil, %+v", ok, err, v, want)
	}
	if tmps, _ := filepath.Glob(filepath.Join(s.Dir, "analysis", "*", "*.tmp-*")); len(tmps) != 0 {
		t.Errorf("temporary files left: %v", tmps)
	}
	good, err := os.ReadFile(s.path(key))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, reason string
		content      []byte
	}{
		{"truncated", "", good[:len(good)-20]},
		{"empty", "wrong header", nil},
		{"flipped byte", "checksum mismatch", flip(good, len(good)/2)},
		{"another key", "wrong header", []byte(strings.Replace(string(good), key, strings.Repeat("f", len(key)), 1))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(s.path(key), tc.content, 0o644); err != nil {
				t.Fatal(err)
			}
			ok, err := s.Get(key, &v)
			var ce *CorruptError
			if ok || !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("Get = %v, %v; want a *CorruptError (%s)", ok, err, tc.reason)
			}
			if _, err := os.Stat(s.path(key)); !os.IsNotExist(err) {
				t.Errorf("the corrupt entry is still there")
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 1
	return c
}

func TestOpen(t *testing.T) {
	t.Setenv(EnvVar, Off)
	if s, err := Open(); s != nil || err != nil {
		t.Errorf("%s=%s: Open = %v, %v; want no store", EnvVar, Off, s, err)
	}
	dir := t.TempDir()
	t.Setenv(EnvVar, dir)
	if s, err := Open(); err != nil || s.Dir != dir {
		t.Errorf("%s=%s: Open = %v, %v", EnvVar, dir, s, err)
	}
	if a, b := s0().LinkDir("p", "x"), s0().LinkDir("p", "y"); a == b {
		t.Errorf("LinkDir gives one directory for other flags: %s", a)
	}
}

func s0() *Store { return &Store{Dir: "/c"} }
