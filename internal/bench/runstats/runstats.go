// Package runstats holds what the benchmark commands of internal/bench report beside their
// figures: the median of their rounds and the conditions of the run (the host's load average,
// the QEMU version), so that results taken on shared, noisy machines can be read for what they
// are.
package runstats

import (
	"os"
	"os/exec"
	"slices"
	"strings"

	"github.com/unikgen/unikgen/internal/host/qemu"
)

// A Number is what Median takes: integers (time.Duration among them) and floats.
type Number interface {
	~int | ~int64 | ~uint64 | ~float64
}

// Median is the median of v: the mean of the middle two for an even count, zero for none.
func Median[T Number](v []T) T {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// LoadAverage is the host's 1, 5 and 15 minute load averages ("?" when unknown).
func LoadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

// QEMUVersion is the version qemu-system-x86_64 reports ("?" when unknown).
func QEMUVersion() string {
	out, _ := exec.Command(qemu.Binary, "--version").Output()
	if f := strings.Fields(string(out)); len(f) >= 4 {
		return f[3]
	}
	return "?"
}

// FileSize is the size of the file at path; it ends the benchmark when the file is missing.
func FileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		panic(err) // a file the benchmark itself has just written
	}
	return st.Size()
}
