// Package symbolize turns the program counters of a kernel fault report into function names and
// source lines, using the image's own Go symbol table (.gopclntab), the way go tool addr2line
// does. The kernel prints raw addresses (it cannot read its symbol table without allocating);
// unikgen run passes the console output through Report after the machine has stopped.
package symbolize

import (
	"bufio"
	"bytes"
	"debug/elf"
	"debug/gosym"
	"fmt"
	"strconv"
	"strings"
)

// marker starts the address list of a kernel fault report (runtime/trap).
const marker = "stack trace (return addresses"

// Report finds a kernel fault report in console and returns its addresses resolved against the
// image, one "\t0xADDR function file:line" line each, or "" when console holds no report.
func Report(image string, console []byte) (string, error) {
	i := bytes.Index(console, []byte(marker))
	if i < 0 {
		return "", nil
	}
	var pcs []uint64
	sc := bufio.NewScanner(bytes.NewReader(console[i:]))
	sc.Scan() // the marker line
	for sc.Scan() {
		s := strings.TrimSpace(sc.Text())
		pc, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 64)
		if !strings.HasPrefix(s, "0x") || err != nil {
			break
		}
		pcs = append(pcs, pc)
	}
	if len(pcs) == 0 {
		return "", nil
	}
	tab, err := table(image)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for k, pc := range pcs {
		if k > 0 {
			pc-- // a return address: the call is the instruction before it
		}
		file, line, fn := tab.PCToLine(pc)
		if fn == nil {
			fmt.Fprintf(&b, "\t%#x ?\n", pc)
			continue
		}
		fmt.Fprintf(&b, "\t%#x %s %s:%d\n", pc, fn.Name, file, line)
	}
	return b.String(), nil
}

func table(image string) (*gosym.Table, error) {
	f, err := elf.Open(image)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sec := f.Section(".gopclntab")
	text := f.Section(".text")
	if sec == nil || text == nil {
		return nil, fmt.Errorf("%s: no Go symbol table", image)
	}
	data, err := sec.Data()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", image, err)
	}
	return gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
}
