// This file implements "unikgen diff" and the unified diff it prints.

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

func runDiff(ctx context.Context, args []string) int {
	flags := newFlags("diff")
	gf := addGenFlags(flags)
	pkg, _, code := parseArgs(flags, args, false)
	if code >= 0 {
		return code
	}
	r, code := generate(ctx, gf.options(pkg))
	if code >= 0 {
		return exitUsage // trouble
	}
	if err := r.Unsupported(); err != nil {
		genFailed(ctx, err)
		return exitUsage
	}
	stale := false
	for _, f := range r.Files {
		old, err := os.ReadFile(f.Path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			printErr(err)
			return exitUsage
		}
		if bytes.Equal(old, f.Content) {
			continue
		}
		stale = true
		name := relPaths(f.Path)
		oldName := name
		if err != nil {
			oldName = "/dev/null"
		}
		unifiedDiff(os.Stdout, oldName, name, string(old), string(f.Content))
	}
	if stale {
		return exitFailure
	}
	return exitOK
}

// unifiedDiff writes the differences between a and b as a unified diff with 3 lines of context.
func unifiedDiff(w io.Writer, aName, bName, a, b string) {
	x, y := splitLines(a), splitLines(b)
	// Longest common subsequence table; the files are a few hundred lines.
	n, m := len(x), len(y)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte // ' ', '-', '+'
		text string
		i, j int // line indexes in a and b before this op
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			ops = append(ops, op{' ', x[i], i, j})
			i, j = i+1, j+1
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			ops = append(ops, op{'+', y[j], i, j})
			j++
		default:
			ops = append(ops, op{'-', x[i], i, j})
			i++
		}
	}
	fmt.Fprintf(w, "--- %s\n+++ %s\n", aName, bName)
	const ctx = 3
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		start := max(k-ctx, 0)
		end := k
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*ctx {
				end = min(end+ctx, len(ops))
				break
			}
			end = run
		}
		var na, nb int
		for _, o := range ops[start:end] {
			if o.kind != '+' {
				na++
			}
			if o.kind != '-' {
				nb++
			}
		}
		fmt.Fprintf(w, "@@ -%s +%s @@\n", hunkRange(ops[start].i, na), hunkRange(ops[start].j, nb))
		for _, o := range ops[start:end] {
			fmt.Fprintf(w, "%c%s\n", o.kind, o.text)
		}
		k = end
	}
}

func hunkRange(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if n == 1 {
		return fmt.Sprint(start + 1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
