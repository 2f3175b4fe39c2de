// Package sysno lists the x86-64 Linux system calls: numbers and names. It is pure data shared
// by the library OS (runtime/sys) and the analyser, which reports reachable calls by name.
//
// Reference: Linux arch/x86/entry/syscalls/syscall_64.tbl (common and 64 entries, up to 462),
// copied as number and name into syscalls.txt; gen_table.go generates table.go from it.
package sysno

//go:generate go run gen_table.go

// Max is one more than the highest system-call number listed.
const Max = len(names)

// Name returns the name of system call nr, or "" when nr is neither a known x86-64 call nor one
// of the library OS's private calls.
func Name(nr int) string {
	if k := nr - privateFirst; k >= 0 && k < len(privateNames) {
		return privateNames[k]
	}
	if nr < 0 || nr >= len(names) {
		return ""
	}
	return names[nr]
}

// Number returns the number of the system call called name.
func Number(name string) (int, bool) {
	for i, n := range names {
		if n == name && n != "" {
			return i, true
		}
	}
	for i, n := range privateNames {
		if n == name {
			return privateFirst + i, true
		}
	}
	return 0, false
}
