// Package deploy writes the deployment files unikgen renders beside a kernel image. For now that is
// the xl.cfg of the Xen target (xl.cfg.tmpl), rendered by XLConfig.
//
// The xl.cfg is what `unikgen build -target xen` writes as NAME.xl and what internal/host/xenlab boots
// under nested Xen (which overrides kernel and the on_* actions). Values are validated and quoted for
// xl's configuration parser (libxlu): strings are double-quoted, with `"` and `\` escaped by a
// backslash; control characters (newlines included) are rejected, as is a name that is not a plain
// identifier.
package deploy

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/template"
	"unicode/utf8"
)

//go:embed xl.cfg.tmpl
var xlText string

var xlTemplate = template.Must(template.New("xl.cfg").Funcs(template.FuncMap{"quote": xlQuote}).Parse(xlText))

// XLParams are the values of an xl.cfg for a unikgen PVH kernel.
type XLParams struct {
	// Name is the domain name: 1 to 64 characters from [A-Za-z0-9_.-], starting with a letter or
	// digit (xl allows more; unikgen keeps names that need no quoting anywhere).
	Name string
	// Kernel is the path of the kernel image as xl on the Xen host will see it (xl resolves a
	// relative path against its working directory).
	Kernel string
	// MemoryMiB is the domain's memory in MiB (1 .. 1048576).
	MemoryMiB int
	// VCPUs is the number of virtual CPUs (1 .. 128).
	VCPUs int
	// Cmdline is the kernel command line (hvm_start_info.cmdline_paddr); empty: no cmdline key.
	// It may contain quotes and backslashes (escaped when rendered), not control characters.
	Cmdline string
	// OnPoweroff, OnReboot and OnCrash are xl's actions when the domain shuts down with that
	// reason: "destroy" (the default for all three when empty), "restart", "preserve",
	// "rename-restart", "coredump-destroy", "coredump-restart" or "soft-reset".
	OnPoweroff, OnReboot, OnCrash string
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

var actions = map[string]bool{
	"destroy": true, "restart": true, "preserve": true, "rename-restart": true,
	"coredump-destroy": true, "coredump-restart": true, "soft-reset": true,
}

// XLConfig validates p and writes the rendered xl.cfg to w. On a validation error nothing is
// written.
func XLConfig(w io.Writer, p XLParams) error {
	if err := p.normalize(); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := xlTemplate.Execute(&b, p); err != nil {
		return fmt.Errorf("deploy: rendering xl.cfg: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func (p *XLParams) normalize() error {
	if !nameRE.MatchString(p.Name) {
		return fmt.Errorf("deploy: xl.cfg: invalid domain name %q (want 1-64 characters from [A-Za-z0-9_.-], starting with a letter or digit)", p.Name)
	}
	if p.Kernel == "" {
		return fmt.Errorf("deploy: xl.cfg: empty kernel path")
	}
	if err := checkText("kernel path", p.Kernel); err != nil {
		return err
	}
	if err := checkText("cmdline", p.Cmdline); err != nil {
		return err
	}
	if p.MemoryMiB < 1 || p.MemoryMiB > 1<<20 {
		return fmt.Errorf("deploy: xl.cfg: memory %d MiB out of range (1 .. 1048576)", p.MemoryMiB)
	}
	if p.VCPUs < 1 || p.VCPUs > 128 {
		return fmt.Errorf("deploy: xl.cfg: vcpus %d out of range (1 .. 128)", p.VCPUs)
	}
	for _, a := range []*string{&p.OnPoweroff, &p.OnReboot, &p.OnCrash} {
		if *a == "" {
			*a = "destroy"
		}
		if !actions[*a] {
			return fmt.Errorf("deploy: xl.cfg: unknown action %q (want destroy, restart, preserve, rename-restart, coredump-destroy, coredump-restart or soft-reset)", *a)
		}
	}
	return nil
}

// checkText rejects what xl's parser cannot take inside a quoted string on one line.
func checkText(what, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("deploy: xl.cfg: %s is not valid UTF-8", what)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("deploy: xl.cfg: %s contains the control character %q", what, r)
		}
	}
	return nil
}

// xlQuote returns s as an xl.cfg double-quoted string (libxlu dequotes \" \' \\).
func xlQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
