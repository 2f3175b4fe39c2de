package sysno

import (
	"testing"

	"github.com/unikgen/unikgen/internal/testenv"
)

// TestTableUpToDate: table.go is what gen_table.go makes from syscalls.txt.
func TestTableUpToDate(t *testing.T) { testenv.CheckGenerated(t, "gen_table.go", "table.go") }
