package kernelpicture_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/unikgen/unikgen/analysis"
	"github.com/unikgen/unikgen/gen/plan"
	"github.com/unikgen/unikgen/internal/imagesize"
	"github.com/unikgen/unikgen/internal/kernelpicture"
	"github.com/unikgen/unikgen/internal/testenv"
)

// testPlan has a component with a witness (whose names need escaping in DOT and HTML), one in for
// the runtime's sake and one out.
func testPlan() *plan.Plan {
	return &plan.Plan{
		Package: "example.com/app",
		Target:  "any",
		Components: []plan.Component{
			{Name: "console", In: true, Reason: "writes to stdout", Witness: analysis.Path{
				{Func: "example.com/app.main"},
				{Func: `fmt.Println "</script>"`, Kind: "static", Pos: "/src/app/main.go:9:13"},
				{Func: "os.Stdout", Kind: "uses", Pos: "/go/src/fmt/print.go:315:21"},
			}},
			{Name: "clock", In: true, Reason: "the Go runtime reads the clocks"},
			{Name: "network", Package: "github.com/unikgen/unikgen/services/netstack", Reason: "the program makes no socket"},
		},
	}
}

func TestDOT(t *testing.T) {
	var b bytes.Buffer
	if err := kernelpicture.WriteDOT(&b, testPlan(), []imagesize.Component{{Name: "console", File: 10, Memory: 20}}); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		`"program" -> "console" [label="example.com/app.main\nfmt.Println \"</script>\" (main.go:9:13)\nos.Stdout (print.go:315:21)"];`,
		`"runtime and target" -> "clock" [style=dotted, label="the Go runtime reads the clocks"];`,
		`"network" [style=dashed`,
		`memory 20 B, file 10 B`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("DOT lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, `-> "network"`) {
		t.Errorf("an edge to a component that is out:\n%s", got)
	}
	if dot, err := exec.LookPath("dot"); err == nil { // Graphviz, when installed, must accept it
		cmd := exec.Command(dot, "-Tsvg")
		cmd.Stdin = &b
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("dot: %v\n%s", err, out)
		}
	}
}

// page writes the page for the test plan and the go command (a real Go ELF file with its symbols,
// which go test's own binary lacks).
func page(t *testing.T) (string, *imagesize.Report) {
	r, err := imagesize.Measure(testenv.NeedGo(t))
	if err != nil {
		t.Fatal(err)
	}
	p := testPlan()
	var b bytes.Buffer
	if err := kernelpicture.WriteHTML(&b, p, r, r.ByComponent(kernelpicture.Classifier(p, "", nil))); err != nil {
		t.Fatal(err)
	}
	return b.String(), r
}

func TestHTMLSelfContained(t *testing.T) {
	html, _ := page(t)
	if strings.Count(html, "</script>") != 2 {
		t.Errorf("the data ends a script early: %d </script>", strings.Count(html, "</script>"))
	}
	// Nothing loaded from elsewhere: no src=, href= or url( at all.
	if m := regexp.MustCompile(`(?i)\b(src|href)\s*=|url\(|@import`).FindString(html); m != "" {
		t.Errorf("the page refers to an external asset: %s", m)
	}
}

// TestHTMLRenders opens the page in headless Chromium and checks what the script drew, and that
// the console stayed silent (an uncaught exception is logged there).
func TestHTMLRenders(t *testing.T) {
	html, r := page(t)
	// What a user does, before the checks: each measure of the treemap, each edge and node of
	// the graph, then back to memory and to the console's witness.
	html = strings.Replace(html, "drawGraph();\n", `drawGraph();
for (const v of ["file", "zero_tail", "memory"]) document.querySelector("input[value=" + v + "]").click();
for (const e of document.querySelectorAll("#graph .edge, #graph .node")) e.dispatchEvent(new MouseEvent("click"));
document.querySelector("#graph .edge[data-name=console]").dispatchEvent(new MouseEvent("click"));
`, 1)
	dom, console := renderPage(t, html)
	if len(console) > 0 {
		t.Fatalf("the page logged to the console:\n%s", strings.Join(console, "\n"))
	}
	if !strings.Contains(dom, `data-rendered="ok"`) {
		t.Fatalf("the script did not finish:\n%.2000s", dom)
	}
	if n, want := strings.Count(dom, `class="comp"`), len(r.ByComponent(kernelpicture.Classifier(testPlan(), "", nil))); n != want {
		t.Errorf("treemap has %d components, want %d", n, want)
	}
	if n := strings.Count(dom, `class="pkg"`); n < 20 {
		t.Errorf("treemap has %d packages, want them all (%d)", n, len(r.Packages))
	}
	if n := strings.Count(dom, `class="edge`); n != 2 {
		t.Errorf("graph has %d edges, want 2 (console, clock)", n)
	}
	// The first witness is shown; text content is escaped by the DOM.
	if !strings.Contains(dom, `fmt.Println "&lt;/script&gt;"  (/src/app/main.go:9:13)`) {
		t.Errorf("witness not shown:\n%s", dom[strings.Index(dom, `id="witness"`):])
	}
}

// TestHTMLCheckFails makes sure TestHTMLRenders' check sees a script error.
func TestHTMLCheckFails(t *testing.T) {
	html, _ := page(t)
	html = strings.Replace(html, "drawGraph();\n", "drawGraph();\nnull.x();\n", 1)
	_, console := renderPage(t, html)
	if len(console) == 0 || !strings.Contains(strings.Join(console, "\n"), "Uncaught TypeError") {
		t.Fatalf("a throwing script went unnoticed: %q", console)
	}
}

var consoleLine = regexp.MustCompile(`:CONSOLE[:(].*`)

// renderPage loads html in headless Chromium and returns the DOM after the scripts ran and the
// console messages.
func renderPage(t *testing.T, html string) (dom string, console []string) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a browser; skipped with -short")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		testenv.Missing(t, "chromium not found: install Debian's chromium (apt-get install chromium) to check the page in a browser")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "page.html")
	if err := os.WriteFile(file, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--enable-logging=stderr", "--v=0",
		"--window-size=1200,1600", "--dump-dom", "file://"+file)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	for _, l := range strings.Split(stderr.String(), "\n") {
		if m := consoleLine.FindString(l); m != "" {
			console = append(console, m)
		}
	}
	return stdout.String(), console
}

// TestOwners lists the import graph of examples/http: the network component owns gvisor's
// packages, which only it imports; what the program or the rest of the kernel imports stays out.
func TestOwners(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list; skipped with -short")
	}
	testenv.NeedGo(t)
	comps := map[string]string{
		"network": "github.com/unikgen/unikgen/services/netstack",
		"files":   "github.com/unikgen/unikgen/services/fs",
		"block":   "github.com/unikgen/unikgen/services/fs/virtioblk",
	}
	owned, err := kernelpicture.Owners(context.Background(), testenv.ModuleRoot(), nil, "github.com/unikgen/unikgen/examples/http", comps)
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{
		"gvisor.dev/gvisor/pkg/tcpip/stack":         "network",
		"gvisor.dev/gvisor/pkg/tcpip/transport/tcp": "network",
		"fmt":      "",
		"net/http": "",
		"runtime":  "",
		"github.com/unikgen/unikgen/services/netstack": "", // the component's own package: by prefix
	} {
		if got := owned[p]; got != want {
			t.Errorf("owner of %s = %q, want %q", p, got, want)
		}
	}
}
