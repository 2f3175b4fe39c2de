// Package gdbcmd writes the gdb command line that debugs a unikgen kernel waiting in QEMU's gdb
// stub (QEMU's -S and -gdb options, "GDB usage" in the QEMU System Emulation User's Guide).
//
// The image keeps its DWARF (unikgen links without -s -w), but it is built with -trimpath, so
// its source file names are import paths, not the build machine's paths: "runtime/proc.go",
// "golang.org/x/net@v0.1.0/http2/frame.go", "example.com/app/main.go". The command maps them back
// as GDB's manual describes ("Specifying Source Directories"): the standard library and the module
// cache are searched with `directory` (a relative file name is looked up below each directory),
// and the modules found elsewhere are mapped with `set substitute-path FROM DIR`, which matches
// whole leading path components only ([Modules] finds them in the image's build information):
// the main module ("example.com/app"), a module replaced by a directory (recorded as
// "PATH@VERSION", the required version), and a cached module whose path has capital letters (the
// cache escapes them: "github.com/!burnt!sushi/toml@v1.3.2").
package gdbcmd

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultAddr is where QEMU's gdb stub listens when run -gdb names no address (QEMU's -s).
const DefaultAddr = "localhost:1234"

// Options describe one debugging session.
type Options struct {
	GDB      string            // the debugger; "" is "gdb"
	Image    string            // the kernel image (ELF with DWARF)
	Addr     string            // host:port of QEMU's gdb stub; "" is DefaultAddr
	GOROOT   string            // the Go installation whose src/ holds the standard library
	ModCache string            // GOMODCACHE
	Modules  map[string]string // module path -> directory, for modules outside the module cache
}

// Args returns the command line, the program first.
func Args(o Options) []string {
	gdb, addr := o.GDB, o.Addr
	if gdb == "" {
		gdb = "gdb"
	}
	if addr == "" {
		addr = DefaultAddr
	}
	// Auto-loading is off: the image names Go's runtime-gdb.py by a relative path gdb cannot find
	// (a warning), and its goroutine commands read the Linux runtime's state, not the kernel's.
	args := []string{gdb, "-q", "-iex", "set auto-load no", "-iex", "set tcp connect-timeout 30"}
	var dirs []string
	if o.GOROOT != "" {
		dirs = append(dirs, filepath.Join(o.GOROOT, "src"))
	}
	if o.ModCache != "" {
		dirs = append(dirs, o.ModCache)
	}
	if len(dirs) > 0 {
		args = append(args, "-ex", "directory "+strings.Join(dirs, ":"))
	}
	mods := make([]string, 0, len(o.Modules))
	for m := range o.Modules {
		mods = append(mods, m)
	}
	// The longest module first: gdb applies the first rule that matches.
	sort.Slice(mods, func(i, j int) bool {
		if len(mods[i]) != len(mods[j]) {
			return len(mods[i]) > len(mods[j])
		}
		return mods[i] < mods[j]
	})
	for _, m := range mods {
		args = append(args, "-ex", "set substitute-path "+gdbQuote(m)+" "+gdbQuote(o.Modules[m]))
	}
	return append(args, "-ex", "target remote "+addr, o.Image)
}

// gdbQuote quotes s as an argument of a gdb command that splits its arguments like a shell
// (gdb_buildargv).
func gdbQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"'\\") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// ShellLine quotes args for a POSIX shell, so that the line can be pasted into a terminal.
func ShellLine(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@+,%") == "" {
			q[i] = a
		} else {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}

// ModuleDir returns the directory of the module of a package, given the package's import path and
// directory and the module's path; "" when the package is not in that module or its directory does
// not end in the path below the module.
func ModuleDir(importPath, dir, module string) string {
	if module == "" {
		return ""
	}
	rel, ok := strings.CutPrefix(importPath, module)
	if !ok || rel != "" && rel[0] != '/' {
		return ""
	}
	d, ok := strings.CutSuffix(filepath.Clean(dir), filepath.FromSlash(rel))
	if !ok {
		return ""
	}
	return d
}

// GoEnv returns GOROOT and GOMODCACHE of the go command goCmd ("" is "go").
func GoEnv(ctx context.Context, goCmd string) (goroot, modcache string, err error) {
	if goCmd == "" {
		goCmd = "go"
	}
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, goCmd, "env", "-json", "GOROOT", "GOMODCACHE")
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return "", "", fmt.Errorf("go env: %v: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	var env struct{ GOROOT, GOMODCACHE string }
	if err := json.Unmarshal(out.Bytes(), &env); err != nil {
		return "", "", fmt.Errorf("go env: %v", err)
	}
	return env.GOROOT, env.GOMODCACHE, nil
}

// CheckDWARF reports an error when the image at path has no DWARF line table for gdb to map
// addresses to source lines (an image linked with -ldflags=-w).
func CheckDWARF(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if f.Section(".debug_info") == nil || f.Section(".debug_line") == nil {
		return fmt.Errorf("%s has no DWARF debugging information (linked with -w?): gdb could show no source", path)
	}
	if _, err := f.DWARF(); err != nil {
		return fmt.Errorf("%s: DWARF: %v", path, err)
	}
	return nil
}

// Modules returns the substitute-path rules (file name prefix -> directory) for the modules of the
// image at path whose sources are not where `directory GOMODCACHE` finds them: the main module,
// in mainDir; modules replaced by a directory (relative directories are relative to mainDir); and
// cached modules whose paths need escaping. It reads the image's build information
// (debug/buildinfo), which -trimpath leaves in.
func Modules(path, mainDir, modCache string) (map[string]string, error) {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return nil, err
	}
	mods := map[string]string{}
	if bi.Main.Path != "" && mainDir != "" {
		mods[bi.Main.Path] = mainDir
	}
	for _, d := range bi.Deps {
		switch r := d.Replace; {
		case r != nil && (r.Version == "" || r.Version == "(devel)"): // a directory
			dir := filepath.FromSlash(r.Path)
			if !filepath.IsAbs(dir) {
				if mainDir == "" {
					continue
				}
				dir = filepath.Join(mainDir, dir)
			}
			mods[d.Path+"@"+d.Version] = dir
		case modCache != "":
			m := d
			if r != nil {
				m = r
			}
			if esc := escapePath(m.Path); esc != m.Path {
				mods[m.Path+"@"+m.Version] = filepath.Join(modCache, filepath.FromSlash(esc)+"@"+m.Version)
			}
		}
	}
	return mods, nil
}

// escapePath is the module cache's case encoding (go help goproxy): each capital letter becomes
// "!" and the letter in lower case.
func escapePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
