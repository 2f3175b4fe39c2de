package libos

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPaths checks that every package named here exists in this module and that the entry symbol
// is defined by the boot package's assembly, so that a move or rename of the library OS cannot
// leave the host-side tools pointing at nothing.
func TestPaths(t *testing.T) {
	root := filepath.Join("..", "..")
	for _, p := range []string{BootPackage, ConfigPackage, SysPackage, SysnoPackage, PlatformPackage,
		PlatformQEMU, PlatformXen, NetstackPackage, VirtioNetPackage, FsPackage, VirtioBlkPackage} {
		rel, ok := strings.CutPrefix(p, Module+"/")
		if !ok {
			t.Errorf("%s is not in module %s", p, Module)
			continue
		}
		files, _ := filepath.Glob(filepath.Join(root, rel, "*.go"))
		if len(files) == 0 {
			t.Errorf("%s: no Go files in %s", p, rel)
		}
	}
	pkg, fn, _ := strings.Cut(strings.TrimPrefix(EntrySymbol, BootPackage), ".")
	asm, err := os.ReadFile(filepath.Join(root, "runtime", "boot", "entry_amd64.s"))
	if err != nil {
		t.Fatal(err)
	}
	if pkg != "" || !strings.Contains(string(asm), "TEXT ·"+fn+"(SB)") {
		t.Errorf("EntrySymbol %s: no TEXT ·%s in runtime/boot/entry_amd64.s", EntrySymbol, fn)
	}
	if got := LinkFlags(); got != "-E="+EntrySymbol+" -T=0x201000" {
		t.Errorf("LinkFlags() = %q", got)
	}
}
