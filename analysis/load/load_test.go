package load

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestScanAsmFile(t *testing.T) {
	src := "#include \"textflag.h\"\n" +
		"#define SYS_write 1\n" +
		"#define SYS_exit_group 231\n" +
		"\n" +
		"// func write(fd uintptr, p unsafe.Pointer, n int32) int32\n" +
		"TEXT ·write(SB),NOSPLIT,$0-28\n" +
		"\tMOVQ\tfd+0(FP), DI\n" +
		"\tMOVL\t$SYS_write, AX\n" +
		"\tSYSCALL\n" +
		"\tCALL\truntime·entersyscall<ABIInternal>(SB)\n" +
		"\tJMP\tinternal∕runtime∕atomic·Load(SB)\n" +
		"\tRET\n" +
		"TEXT runtime·exit(SB),NOSPLIT,$0-4\n" +
		"\tMOVL\t$SYS_exit_group, AX // exit\n" +
		"\tSYSCALL\n" +
		"\tMOVQ\t$60, AX\n" +
		"\tSYSCALL\n" +
		"\tMOVQ\tDI, AX\n" +
		"\tSYSCALL\n"
	file := filepath.Join(t.TempDir(), "sys_linux_amd64.s")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := scanAsmFile("example.com/p", file)
	if err != nil {
		t.Fatal(err)
	}
	want := []AsmFunc{
		{Pkg: "example.com/p", Name: "write", File: file, Line: 6,
			Refs:     []string{"runtime.entersyscall", "internal/runtime/atomic.Load"},
			Syscalls: []int{1}},
		{Pkg: "runtime", Name: "exit", File: file, Line: 13, Syscalls: []int{231, 60}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("scanAsmFile =\n%+v\nwant\n%+v", got, want)
	}
}

func TestSplitSymbol(t *testing.T) {
	for _, tc := range []struct{ sym, pkg, name string }{
		{"runtime.nanotime1", "runtime", "nanotime1"},
		{"internal/runtime/syscall/linux.Syscall6", "internal/runtime/syscall/linux", "Syscall6"},
		{"net/http.(*Server).Serve", "net/http", "(*Server).Serve"},
		{"golang.org/x/sys/unix.Syscall", "golang.org/x/sys/unix", "Syscall"},
		{"noDot", "", "noDot"},
	} {
		pkg, name := SplitSymbol(tc.sym)
		if pkg != tc.pkg || name != tc.name {
			t.Errorf("SplitSymbol(%q) = %q, %q; want %q, %q", tc.sym, pkg, name, tc.pkg, tc.name)
		}
	}
}
