// Package rootimg is the format of the root file system image that unikgen bakes into a kernel
// (config.Kernel.RootFS, unikgen build -rootfs DIR): Build makes it from a directory of the host,
// Parse reads it in the kernel without copying file contents.
//
// The image is little-endian:
//
//	header   "UGROOT1\n" (8 bytes), u32 entry count
//	entry    u16 path length, path (relative to the root, clean, '/'-separated),
//	         u32 mode (S_IFREG, S_IFDIR or S_IFLNK, and permission bits),
//	         i64 modification time (nanoseconds since the Unix epoch),
//	         u64 data offset, u64 data length (a file's contents, a link's target; 0 for a
//	         directory), the offset counted from the start of the image
//	data     the contents, after the last entry
//
// Owners are not kept: every file belongs to root, as the program runs as root.
package rootimg

import (
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Magic starts every image.
const Magic = "UGROOT1\n"

// File types of Entry.Mode (Linux include/uapi/linux/stat.h).
const (
	TypeMask = 0o170000
	TypeReg  = 0o100000
	TypeDir  = 0o040000
	TypeLink = 0o120000
)

// MaxEntries bounds the entries of an image.
const MaxEntries = 1 << 20

// An Entry is one file of the image.
type Entry struct {
	Path  string // relative, clean; never "" or "."
	Mode  uint32
	Mtime int64
	Data  []byte // contents or link target (a slice of the image)
}

var le = binary.LittleEndian

// Parse reads an image. Errors say which entry is wrong and how.
func Parse(img []byte) ([]Entry, error) {
	if len(img) < len(Magic)+4 || string(img[:len(Magic)]) != Magic {
		return nil, fmt.Errorf("root file system image: bad magic (not made by unikgen build -rootfs?)")
	}
	n := le.Uint32(img[len(Magic):])
	if n > MaxEntries {
		return nil, fmt.Errorf("root file system image: %d entries, at most %d", n, MaxEntries)
	}
	p := img[len(Magic)+4:]
	out := make([]Entry, 0, min(int(n), len(p)/30))
	seen := map[string]bool{}
	for i := 0; i < int(n); i++ {
		if len(p) < 2 {
			return nil, fmt.Errorf("root file system image: entry %d: truncated", i)
		}
		l := int(le.Uint16(p))
		if len(p) < 2+l+4+8+16 {
			return nil, fmt.Errorf("root file system image: entry %d: truncated", i)
		}
		e := Entry{Path: string(p[2 : 2+l])}
		q := p[2+l:]
		e.Mode = le.Uint32(q)
		e.Mtime = int64(le.Uint64(q[4:]))
		off, size := le.Uint64(q[12:]), le.Uint64(q[20:])
		p = q[28:]
		if err := checkPath(e.Path); err != nil {
			return nil, fmt.Errorf("root file system image: entry %d: %v", i, err)
		}
		if seen[e.Path] {
			return nil, fmt.Errorf("root file system image: entry %d: %q appears twice", i, e.Path)
		}
		seen[e.Path] = true
		switch e.Mode & TypeMask {
		case TypeReg, TypeLink:
		case TypeDir:
			if size != 0 {
				return nil, fmt.Errorf("root file system image: entry %d (%s): a directory with %d bytes of data", i, e.Path, size)
			}
		default:
			return nil, fmt.Errorf("root file system image: entry %d (%s): mode %#o is not a file, directory or link", i, e.Path, e.Mode)
		}
		if off > uint64(len(img)) || size > uint64(len(img))-off {
			return nil, fmt.Errorf("root file system image: entry %d (%s): data [%d, +%d) outside the %d-byte image", i, e.Path, off, size, len(img))
		}
		e.Data = img[off : off+size : off+size]
		out = append(out, e)
	}
	return out, nil
}

func checkPath(p string) error {
	if p == "" || p == "." || strings.HasPrefix(p, "/") || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") {
		return fmt.Errorf("bad path %q", p)
	}
	if strings.IndexByte(p, 0) >= 0 {
		return fmt.Errorf("path %q holds a NUL", p)
	}
	for _, c := range strings.Split(p, "/") {
		if len(c) > 255 {
			return fmt.Errorf("path %q: a name longer than 255 bytes", p)
		}
	}
	return nil
}

// Encode writes entries (paths checked, data as given) into an image.
func Encode(entries []Entry) ([]byte, error) {
	head := len(Magic) + 4
	for _, e := range entries {
		if err := checkPath(e.Path); err != nil {
			return nil, err
		}
		head += 2 + len(e.Path) + 28
	}
	img := make([]byte, 0, head)
	img = append(img, Magic...)
	img = le.AppendUint32(img, uint32(len(entries)))
	off := uint64(head)
	for _, e := range entries {
		img = le.AppendUint16(img, uint16(len(e.Path)))
		img = append(img, e.Path...)
		img = le.AppendUint32(img, e.Mode)
		img = le.AppendUint64(img, uint64(e.Mtime))
		img = le.AppendUint64(img, off)
		img = le.AppendUint64(img, uint64(len(e.Data)))
		off += uint64(len(e.Data))
	}
	for _, e := range entries {
		img = append(img, e.Data...)
	}
	return img, nil
}

// Build makes the image of the tree at dir: its directories, regular files and symbolic links
// (kept as links, their targets unchanged), in path order. Other kinds of file are an error
// naming them.
func Build(dir string) ([]byte, error) {
	entries, err := Walk(dir, "", nil)
	if err != nil {
		return nil, err
	}
	return Encode(entries)
}

// Walk returns the entries of the tree at dir, their paths prefixed with prefix ("" or a clean
// relative path), sorted; skip, when not nil, leaves out the directories (relative to dir) for
// which it returns true.
func Walk(dir, prefix string, skip func(rel string) bool) ([]Entry, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", dir)
	}
	var entries []Entry
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		if skip != nil && d.IsDir() && skip(filepath.ToSlash(rel)) {
			return filepath.SkipDir
		}
		if prefix != "" {
			rel = filepath.Join(prefix, rel)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		e := Entry{Path: filepath.ToSlash(rel), Mode: uint32(info.Mode().Perm()), Mtime: info.ModTime().UnixNano()}
		switch {
		case info.Mode().IsRegular():
			e.Mode |= TypeReg
			if e.Data, err = os.ReadFile(p); err != nil {
				return err
			}
		case info.IsDir():
			e.Mode |= TypeDir
		case info.Mode()&fs.ModeSymlink != 0:
			e.Mode = TypeLink | 0o777
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			e.Data = []byte(t)
		default:
			return fmt.Errorf("%s: %v is not a regular file, directory or symbolic link", p, info.Mode().Type())
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Path < entries[j].Path })
	return entries, nil
}
