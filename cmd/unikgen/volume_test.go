package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unikgen/unikgen/internal/testenv"
)

func TestParseVolume(t *testing.T) {
	for _, c := range []struct {
		in   string
		want volumeFlag
		err  string
	}{
		{in: "data.img:/data", want: volumeFlag{File: "data.img", Path: "/data"}},
		{in: "/var/x.img:/srv/db:16M", want: volumeFlag{File: "/var/x.img", Path: "/srv/db", Size: 16 << 20}},
		{in: "a:b.img:/data:1G", want: volumeFlag{File: "a:b.img", Path: "/data", Size: 1 << 30}},
		{in: "x.img:/data:5000000", want: volumeFlag{File: "x.img", Path: "/data", Size: 5000000}},
		{in: "data.img", err: `"data.img" is not HOSTFILE:PATH[:SIZE]`},
		{in: ":/data", err: `":/data" is not HOSTFILE:PATH[:SIZE]`},
		{in: "x.img:/data:lots", err: `size "lots": want a positive number of bytes`},
		{in: "x.img:/data:0M", err: `size "0M": want a positive number of bytes`},
		{in: "x.img:/data:1M", err: "size 1M: a volume needs at least 4 MiB"},
		{in: "x.img:/tmp/d", err: "inside /tmp"},
		{in: "x.img:/data/", err: "not a clean path"},
		{in: "x.img:/", err: "root file system"},
	} {
		got, err := parseVolume(c.in)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("parseVolume(%q): %v", c.in, err)
		case c.err == "" && got != c.want:
			t.Errorf("parseVolume(%q) = %+v, want %+v", c.in, got, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("parseVolume(%q): error %v, want one containing %q", c.in, err, c.err)
		}
	}
	var v volumeFlags
	if err := v.Set("a.img:/data"); err != nil {
		t.Fatal(err)
	}
	if err := v.Set("b.img:/data"); err == nil || !strings.Contains(err.Error(), "/data is given twice") {
		t.Errorf("the same path twice: error %v", err)
	}
}

// TestRunVolume runs a program twice with -volume on an image file that does not exist: the
// first run creates and formats it (clean for the host's e2fsck) and writes a file; the second
// reads it back. A kernel configured with a volume and no -volume for it is a usage error.
func TestRunVolume(t *testing.T) {
	t.Parallel()
	testenv.NeedQEMU(t)
	e2fsck, err := exec.LookPath("e2fsck")
	if err != nil {
		if e2fsck, err = exec.LookPath("/usr/sbin/e2fsck"); err != nil {
			testenv.Missing(t, "e2fsck not found: install e2fsprogs")
		}
	}
	dir := appModule(t, `package main

import (
	"fmt"
	"os"
)

func main() {
	b, err := os.ReadFile("/data/note")
	fmt.Printf("read: %q %v\n", b, err)
	if err != nil {
		// The program's exit is the machine's power-off: only what is fsync'd (or committed
		// by the 5 s timer) is kept.
		f, err := os.Create("/data/note")
		if err == nil {
			_, err = f.WriteString("kept")
		}
		if err == nil {
			err = f.Sync()
		}
		fmt.Println("write:", err)
	}
}
`)
	img := filepath.Join(t.TempDir(), "data.img")
	r := run(t, dir, nil, "run", "-volume", img+":/data:8M", "./cmd/app")
	if r.code != 0 || r.stdout != "read: \"\" open /data/note: no such file or directory\nwrite: <nil>\n" ||
		!strings.Contains(r.stderr, "created volume image "+img+" for /data: 8 MiB, ext3") {
		t.Fatalf("first run: exit %d, stdout %q, stderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if st, err := os.Stat(img); err != nil || st.Size() != 8<<20 {
		t.Fatalf("the image: %v %v", st, err)
	}
	if out, err := exec.Command(e2fsck, "-fn", img).CombinedOutput(); err != nil {
		t.Errorf("e2fsck -fn after the first run: %v\n%s", err, out)
	}
	r = run(t, dir, nil, "run", "-volume", img+":/data", "./cmd/app")
	if r.code != 0 || r.stdout != "read: \"kept\" <nil>\n" || strings.Contains(r.stderr, "created") {
		t.Errorf("second run: exit %d, stdout %q, stderr:\n%s", r.code, r.stdout, r.stderr)
	}

	r = run(t, moduleRoot(), nil, "run", "./internal/boottest/testdata/volume")
	if r.code != 2 || !strings.Contains(r.stderr, "the kernel mounts a volume at /data (config.Kernel.Volumes): give its image file with -volume HOSTFILE:/data") {
		t.Errorf("a volume without -volume: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if r := run(t, moduleRoot(), nil, "run", "-volume", dir+":/data", "./examples/hello"); r.code != 2 || !strings.Contains(r.stderr, "not a regular file") {
		t.Errorf("-volume on a directory: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}
