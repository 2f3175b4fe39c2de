package gen_test

// This file implements the golden tests' compile step: the generated composition root must build
// as package runtime/boot before it is compared with want/ or written there by -update.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/unikgen/unikgen/internal/libos"
	"github.com/unikgen/unikgen/internal/testenv"
)

// compileBoot builds package runtime/boot of this module with the files of overlay (a
// gen.Result's BootOverlay: config_gen.go and, for a root file system, its image) in place of
// the committed ones, for the kernel's configuration, and fails the test with the compiler's
// output when it does not compile.
func compileBoot(t *testing.T, overlay map[string][]byte) {
	t.Helper()
	if err := buildBoot(testenv.NeedGo(t), t.TempDir(), overlay); err != nil {
		t.Fatal(err)
	}
}

// buildBoot builds runtime/boot with overlay, using dir for the overlay's files.
func buildBoot(goCmd, dir string, overlay map[string][]byte) error {
	bootDir, err := filepath.Abs(filepath.Join("..", "runtime", "boot"))
	if err != nil {
		return err
	}
	replace := map[string]string{}
	for name, content := range overlay {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, content, 0o644); err != nil {
			return err
		}
		replace[filepath.Join(bootDir, name)] = p
	}
	b, err := json.Marshal(struct{ Replace map[string]string }{replace})
	if err != nil {
		return err
	}
	overlayJSON := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(overlayJSON, b, 0o644); err != nil {
		return err
	}
	cmd := exec.Command(goCmd, "build", "-overlay", overlayJSON, libos.BootPackage)
	cmd.Env = append(cmd.Environ(), libos.BuildEnv()...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("the generated %v does not compile as %s: %v\n%s", keys(overlay), libos.BootPackage, err, out)
	}
	return nil
}

// TestCompileBootFails checks that the compile step rejects a composition root that does not
// compile (here: the committed generic root with a constant removed).
func TestCompileBootFails(t *testing.T) {
	root, err := os.ReadFile(filepath.Join("..", "runtime", "boot", "config_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	broken := regexp.MustCompile(`(?m)^\s*DebugSyscalls\s*=.*$`).ReplaceAll(root, nil)
	if bytes.Equal(broken, root) {
		t.Fatal("config_gen.go has no DebugSyscalls constant to remove")
	}
	err = buildBoot(testenv.NeedGo(t), t.TempDir(), map[string][]byte{"config_gen.go": broken})
	if err == nil || !strings.Contains(err.Error(), "DebugSyscalls") {
		t.Errorf("a root without DebugSyscalls: got %v, want a compile error naming it", err)
	}
	if err := buildBoot(testenv.NeedGo(t), t.TempDir(), map[string][]byte{"config_gen.go": root}); err != nil {
		t.Errorf("the committed root: %v", err)
	}
}

func keys(m map[string][]byte) []string {
	var k []string
	for name := range m {
		k = append(k, name)
	}
	return k
}

// stdPosition matches a position in the standard library after path scrubbing:
// $GOROOT/src/fmt/print.go:315:21.
var stdPosition = regexp.MustCompile(`(\$GOROOT/[^\s:"()]+\.(?:go|s)):\d+(?::\d+)?`)

// A scrubber replaces the module's and GOROOT's directories with $MODULE and $GOROOT and drops
// the line and column of positions in the standard library, which change with every Go release.
type scrubber struct{ paths *strings.Replacer }

func (s scrubber) Replace(text string) string {
	return stdPosition.ReplaceAllString(s.paths.Replace(text), "$1")
}
