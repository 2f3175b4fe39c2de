package main

import "syscall"

type syscallStatfs = syscall.Statfs_t

// statfs reports the volume's type and free space.
func statfs(path string, st *syscall.Statfs_t) string {
	if err := syscall.Statfs(path, st); err != nil {
		return err.Error()
	}
	return "type " + hex(uint64(st.Type)) + " blocks " + dec(st.Blocks) + " free " + dec(st.Bfree)
}

func hex(v uint64) string {
	const d = "0123456789abcdef"
	s := ""
	for ; v > 0; v >>= 4 {
		s = string(d[v&15]) + s
	}
	return "0x" + s
}

func dec(v uint64) string {
	if v == 0 {
		return "0"
	}
	s := ""
	for ; v > 0; v /= 10 {
		s = string(rune('0'+v%10)) + s
	}
	return s
}
