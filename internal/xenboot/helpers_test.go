package xenboot

import (
	"os"
	"testing"

	"github.com/unikgen/unikgen/config"
	"github.com/unikgen/unikgen/internal/bootcases"
)

// images builds each kernel once per test binary.
var images *bootcases.Images

func TestMain(m *testing.M) {
	var err error
	images, err = bootcases.NewImages("unikgen-xenboot-")
	if err != nil {
		panic(err)
	}
	code := m.Run()
	images.Remove()
	os.Exit(code)
}

// kernel returns the generic kernel image of pkg (every component), building it on first use.
func kernel(t *testing.T, pkg string) string { return images.Generic(t, pkg) }

// xenKernel returns the image of pkg built with the generator for target, building it on first
// use.
func xenKernel(t *testing.T, pkg string, target config.Target) string {
	return images.Specialised(t, pkg, target)
}
