package extfs

import (
	"errors"
	"os"
)

// FileDevice is an image file used as a device (on the host: tests, tools).
type FileDevice struct {
	F *os.File
	// NoSync makes Flush do nothing (tests that do not need durability).
	NoSync bool
	size   int64
}

// OpenImage opens an image file as a device.
func OpenImage(name string, readOnly bool) (*FileDevice, error) {
	flag := os.O_RDWR
	if readOnly {
		flag = os.O_RDONLY
	}
	f, err := os.OpenFile(name, flag, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &FileDevice{F: f, size: st.Size()}, nil
}

func (d *FileDevice) ReadAt(p []byte, off int64) (int, error) {
	n, err := d.F.ReadAt(p, off)
	if n == len(p) {
		err = nil
	}
	return n, err
}

func (d *FileDevice) WriteAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > d.size {
		return 0, errors.New("write beyond the end of the image")
	}
	return d.F.WriteAt(p, off)
}

func (d *FileDevice) Flush() error {
	if d.NoSync {
		return nil
	}
	return d.F.Sync()
}

func (d *FileDevice) Size() int64 { return d.size }

// Close closes the image file.
func (d *FileDevice) Close() error { return d.F.Close() }

// MemDevice is a device in memory.
type MemDevice struct{ B []byte }

func (d *MemDevice) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(d.B)) {
		return 0, errors.New("read beyond the end of the device")
	}
	return copy(p, d.B[off:]), nil
}

func (d *MemDevice) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(d.B)) {
		return 0, errors.New("write beyond the end of the device")
	}
	return copy(d.B[off:], p), nil
}

func (d *MemDevice) Flush() error { return nil }
func (d *MemDevice) Size() int64  { return int64(len(d.B)) }
