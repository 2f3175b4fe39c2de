// This file implements "unikgen run -gdb".

package main

import (
	"context"
	"log"

	"github.com/unikgen/unikgen/build"
	"github.com/unikgen/unikgen/internal/gdbcmd"
)

// gdbFlag is -gdb (gdbcmd.DefaultAddr) or -gdb=HOST:PORT.
type gdbFlag string

func (g *gdbFlag) String() string   { return string(*g) }
func (g *gdbFlag) IsBoolFlag() bool { return true }

func (g *gdbFlag) Set(v string) error {
	switch v {
	case "true":
		v = gdbcmd.DefaultAddr
	case "false":
		v = ""
	}
	*g = gdbFlag(v)
	return nil
}

// printGDBCommand prints the gdb command line that debugs image, or returns an exit status >= 0.
func printGDBCommand(ctx context.Context, image string, p *build.Package, addr string) int {
	if err := gdbcmd.CheckDWARF(image); err != nil {
		log.Print("-gdb: ", err)
		return exitUsage
	}
	goroot, modcache, err := gdbcmd.GoEnv(ctx, "")
	if err != nil {
		log.Print("-gdb: ", err)
		return exitFailure
	}
	mods, err := gdbcmd.Modules(image, gdbcmd.ModuleDir(p.ImportPath, p.Dir, p.Module), modcache)
	if err != nil {
		log.Print("-gdb: ", err)
		return exitFailure
	}
	args := gdbcmd.Args(gdbcmd.Options{Image: image, Addr: addr, GOROOT: goroot, ModCache: modcache, Modules: mods})
	log.Printf("QEMU waits for gdb at %s; debug with:\n\t%s", addr, gdbcmd.ShellLine(args))
	return -1
}
