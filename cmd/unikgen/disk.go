// This file implements "unikgen run -disk": raw image files given to the guest as virtio block
// devices, /dev/vda first (docs/files.md, "Block devices").

package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/unikgen/unikgen/internal/host/qemu"
)

// diskFlags are the -disk FILE[:ro] flags, in order.
type diskFlags []qemu.Drive

func (d *diskFlags) String() string {
	var s []string
	for _, x := range *d {
		s = append(s, x.File)
	}
	return strings.Join(s, " ")
}

func (d *diskFlags) Set(v string) error {
	drv := qemu.Drive{File: v}
	if f, ok := strings.CutSuffix(v, ":ro"); ok {
		drv = qemu.Drive{File: f, ReadOnly: true}
	}
	st, err := os.Stat(drv.File)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file (a raw disk image)", drv.File)
	}
	*d = append(*d, drv)
	return nil
}
