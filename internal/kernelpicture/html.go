// This file implements the HTML page.

package kernelpicture

import (
	_ "embed"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"

	"github.com/unikgen/unikgen/analysis"
	"github.com/unikgen/unikgen/gen/plan"
	"github.com/unikgen/unikgen/internal/imagesize"
)

// page is the page's template: HTML, CSS and the script that draws the treemap and the graph from
// the JSON that replaces dataMarker. It loads nothing from elsewhere.
//
//go:embed page.html
var page string

const dataMarker = "/*DATA*/"

// pageData is what the page's script reads.
type pageData struct {
	Image      string          `json:"image"`
	Program    string          `json:"program"`
	Target     string          `json:"target"`
	File       int64           `json:"file"`
	Memory     int64           `json:"memory"`
	ZeroTail   int64           `json:"zero_tail"`
	Sections   []pageSection   `json:"sections"`
	Sizes      []pageSize      `json:"sizes"`
	Components []pageComponent `json:"components"`
}

type pageSection struct {
	Name     string `json:"name"`
	File     int64  `json:"file"`
	Memory   int64  `json:"memory"`
	ZeroTail int64  `json:"zero_tail"`
}

type pageSize struct {
	Name     string              `json:"name"`
	File     int64               `json:"file"`
	Memory   int64               `json:"memory"`
	ZeroTail int64               `json:"zero_tail"`
	Packages []imagesize.Package `json:"packages"`
}

type pageComponent struct {
	Name    string        `json:"name"`
	In      bool          `json:"in"`
	Package string        `json:"package,omitempty"`
	Reason  string        `json:"reason"`
	Witness analysis.Path `json:"witness,omitempty"`
}

// WriteHTML writes the page for p and the measured image r, whose packages sizes groups into
// components (imagesize.Report.ByComponent).
func WriteHTML(w io.Writer, p *plan.Plan, r *imagesize.Report, sizes []imagesize.Component) error {
	d := pageData{Image: filepath.Base(r.Image), Program: p.Package, Target: string(p.Target), File: r.FileSize, Memory: r.MemorySize, ZeroTail: r.ZeroTail}
	for _, s := range r.Sections {
		d.Sections = append(d.Sections, pageSection{s.Name, s.File, s.Memory, s.ZeroTail})
	}
	d.Sections = append(d.Sections, pageSection{"(headers, padding)", r.HeaderFile, r.PaddingMemory, 0})
	pkgs := map[string]imagesize.Package{}
	for _, pk := range r.Packages {
		pkgs[pk.Path] = pk
	}
	for _, c := range sizes {
		s := pageSize{Name: c.Name, File: c.File, Memory: c.Memory, ZeroTail: c.ZeroTail}
		for _, path := range c.Packages {
			s.Packages = append(s.Packages, pkgs[path])
		}
		d.Sizes = append(d.Sizes, s)
	}
	for _, c := range p.Components {
		d.Components = append(d.Components, pageComponent{c.Name, c.In, c.Package, c.Reason, c.Witness})
	}
	// encoding/json escapes <, > and & inside strings, so no "</script>" can end the data early.
	js, err := json.Marshal(d)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, strings.Replace(page, dataMarker, string(js), 1))
	return err
}

// Classifier returns the classifier that groups packages by p's components; owned is the result
// of Owners, or nil.
func Classifier(p *plan.Plan, module string, owned map[string]string) *imagesize.Classifier {
	c := &imagesize.Classifier{Components: map[string]string{}, Program: p.Package, Module: module, Owned: owned}
	for _, comp := range p.Components {
		c.Components[comp.Name] = comp.Package
	}
	return c
}
