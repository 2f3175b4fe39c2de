// This file scans Go assembly files for function symbols, their references
// to other symbols, and the system calls they make.

package load

import (
	"bufio"
	"os"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"
)

// An AsmFunc is one TEXT symbol of a package's assembly.
type AsmFunc struct {
	Pkg  string   // import path of the package
	Name string   // name within the package, e.g. "rt0_go"
	File string   // absolute file name
	Line int      // line of the TEXT directive
	Refs []string // referenced symbols, as "pkg.name", in order of appearance
	// Syscalls are the constant system call numbers loaded into AX before
	// a SYSCALL instruction.
	Syscalls []int
}

var (
	textRE    = regexp.MustCompile(`^\s*TEXT\s+([^\s(,]*)\(SB\)`)
	refRE     = regexp.MustCompile(`([A-Za-z0-9_./\x{2215}]*)\x{00b7}([A-Za-z0-9_]+)(?:<[A-Za-z0-9]+>)?(?:\+\d+)?\(SB\)`)
	defineRE  = regexp.MustCompile(`^\s*#define\s+(\w+)\s+(\d+)\s*$`)
	movAXRE   = regexp.MustCompile(`^\s*MOV[LQ]\s+\$(\w+),\s*AX\b`)
	toAXRE    = regexp.MustCompile(`^\s*[A-Z]\w*\s+.*,\s*(AX|EAX|RAX)\s*$`)
	syscallRE = regexp.MustCompile(`^\s*SYSCALL\b`)
)

// scanAsm returns the assembly functions of p's .s files.
func scanAsm(p *packages.Package) ([]AsmFunc, error) {
	var out []AsmFunc
	for _, file := range p.OtherFiles {
		if !strings.HasSuffix(file, ".s") {
			continue
		}
		fns, err := scanAsmFile(p.PkgPath, file)
		if err != nil {
			return nil, err
		}
		out = append(out, fns...)
	}
	return out, nil
}

func scanAsmFile(pkg, file string) ([]AsmFunc, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	defines := map[string]int{}
	var out []AsmFunc
	var cur *AsmFunc
	ax := -1 // constant last moved into AX, or -1
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if i := strings.Index(text, "//"); i >= 0 {
			text = text[:i]
		}
		if m := defineRE.FindStringSubmatch(text); m != nil {
			n, _ := strconv.Atoi(m[2])
			defines[m[1]] = n
			continue
		}
		if m := textRE.FindStringSubmatch(text); m != nil {
			sym := m[1]
			if i := strings.Index(sym, "<"); i >= 0 {
				sym = sym[:i]
			}
			p, name, ok := strings.Cut(sym, "\u00b7")
			if !ok {
				cur = nil
				continue
			}
			p = strings.ReplaceAll(p, "\u2215", "/")
			if p == "" {
				p = pkg
			}
			out = append(out, AsmFunc{Pkg: p, Name: name, File: file, Line: line})
			cur = &out[len(out)-1]
			ax = -1
			text = text[len(m[0]):]
		}
		if cur == nil {
			continue
		}
		for _, m := range refRE.FindAllStringSubmatch(text, -1) {
			p := strings.ReplaceAll(m[1], "\u2215", "/")
			if p == "" {
				p = pkg
			}
			cur.Refs = append(cur.Refs, p+"."+m[2])
		}
		if m := movAXRE.FindStringSubmatch(text); m != nil {
			if n, err := strconv.Atoi(m[1]); err == nil {
				ax = n
			} else if n, ok := defines[m[1]]; ok {
				ax = n
			} else {
				ax = -1
			}
		} else if syscallRE.MatchString(text) {
			if ax >= 0 {
				cur.Syscalls = append(cur.Syscalls, ax)
			}
			ax = -1 // AX now holds the result
		} else if toAXRE.MatchString(text) {
			ax = -1 // AX overwritten with something that is not a constant
		}
	}
	return out, sc.Err()
}
