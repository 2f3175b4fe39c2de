// This file implements "unikgen run -volume": the image files of the kernel's persistent
// volumes, created and formatted (ext3) when missing, given to the guest as its first block
// devices (docs/files.md, "Persistent volumes").

package main

import (
	"errors"
	"fmt"
	"log"
	"os"
	"strconv"
	"strings"

	"github.com/unikgen/unikgen/config"
	"github.com/unikgen/unikgen/internal/host/qemu"
	"github.com/unikgen/unikgen/services/fs/extfs/mkfs"
)

// DefaultVolumeSize is the size of a volume image that -volume creates without a SIZE.
const DefaultVolumeSize = 64 << 20

// volumeFlag is one -volume HOSTFILE:PATH[:SIZE].
type volumeFlag struct {
	File, Path string
	Size       int64 // 0: not given
}

// volumeFlags collects repeated -volume flags.
type volumeFlags []volumeFlag

func (v *volumeFlags) String() string {
	var s []string
	for _, x := range *v {
		s = append(s, x.File+":"+x.Path)
	}
	return strings.Join(s, " ")
}

func (v *volumeFlags) Set(s string) error {
	f, err := parseVolume(s)
	if err != nil {
		return err
	}
	for _, o := range *v {
		if o.Path == f.Path {
			return fmt.Errorf("%s is given twice", f.Path)
		}
	}
	*v = append(*v, f)
	return nil
}

// parseVolume parses HOSTFILE:PATH[:SIZE]; PATH starts with '/', SIZE is bytes with an optional
// K, M or G (binary multiples).
func parseVolume(s string) (volumeFlag, error) {
	i := strings.Index(s, ":/")
	if i <= 0 {
		return volumeFlag{}, fmt.Errorf("%q is not HOSTFILE:PATH[:SIZE] (PATH absolute, like data.img:/data)", s)
	}
	f := volumeFlag{File: s[:i], Path: s[i+1:]}
	if j := strings.LastIndexByte(f.Path, ':'); j >= 0 {
		size, err := parseSize(f.Path[j+1:])
		if err != nil {
			return f, err
		}
		f.Path, f.Size = f.Path[:j], size
	}
	if err := config.CheckVolumePath(f.Path); err != nil {
		return f, err
	}
	return f, nil
}

func parseSize(given string) (int64, error) {
	s, mult := given, int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, s[:len(s)-1]
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, s[:len(s)-1]
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<44)/mult {
		return 0, fmt.Errorf("size %q: want a positive number of bytes, with K, M or G", given)
	}
	if n*mult < mkfs.MinSize {
		return 0, fmt.Errorf("size %s: a volume needs at least %d MiB", given, mkfs.MinSize>>20)
	}
	return n * mult, nil
}

// volumes returns the flags' volumes (their mount points), in order.
func (v volumeFlags) volumes() []config.Volume {
	var out []config.Volume
	for _, f := range v {
		out = append(out, config.Volume{Path: f.Path})
	}
	return out
}

// volumeDrives returns the drives of the kernel's volumes, in the plan's order (the kernel
// mounts the first volume on the first block device), creating and formatting the image files
// that do not exist. A volume without a -volume flag is an error.
func volumeDrives(vols []string, flags volumeFlags) ([]qemu.Drive, error) {
	var drives []qemu.Drive
	for _, p := range vols {
		var f *volumeFlag
		for i := range flags {
			if flags[i].Path == p {
				f = &flags[i]
			}
		}
		if f == nil {
			return nil, fmt.Errorf("the kernel mounts a volume at %s (config.Kernel.Volumes): give its image file with -volume HOSTFILE:%s", p, p)
		}
		if err := ensureVolume(*f); err != nil {
			return nil, err
		}
		drives = append(drives, qemu.Drive{File: f.File})
	}
	return drives, nil
}

// ensureVolume creates and formats f's image file when it does not exist.
func ensureVolume(f volumeFlag) error {
	st, err := os.Stat(f.File)
	switch {
	case err == nil && !st.Mode().IsRegular():
		return fmt.Errorf("-volume %s: not a regular file (a volume image)", f.File)
	case err == nil:
		if f.Size != 0 && f.Size != st.Size() {
			log.Printf("-volume %s: the image exists (%d bytes): the size given is not used", f.File, st.Size())
		}
		return nil
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	size := f.Size
	if size == 0 {
		size = DefaultVolumeSize
	}
	img, err := os.OpenFile(f.File, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	err = img.Truncate(size)
	if err == nil {
		err = mkfs.Format(img, size, mkfs.Options{Zeroed: true, Label: label(f.Path)})
	}
	if cerr := img.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.File)
		return fmt.Errorf("-volume %s: %v", f.File, err)
	}
	log.Printf("created volume image %s for %s: %d MiB, ext3 (e2fsck, debugfs and mke2fs -d work on it)", f.File, f.Path, size>>20)
	return nil
}

// label is a volume label from a mount point: its last element, at most 16 bytes.
func label(path string) string {
	l := path[strings.LastIndexByte(path, '/')+1:]
	if len(l) > 16 {
		l = l[:16]
	}
	return l
}
