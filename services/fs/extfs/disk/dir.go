package disk

import "fmt"

// Directory entry file types (ext2_dir_entry_2.file_type, with the filetype feature).
const (
	FtUnknown = 0
	FtReg     = 1
	FtDir     = 2
	FtChr     = 3
	FtBlk     = 4
	FtFifo    = 5
	FtSock    = 6
	FtSymlink = 7
)

// NameMax is the longest file name.
const NameMax = 255

// direntHeader is the size of a directory entry without its name: le32 inode, le16 rec_len,
// u8 name_len, u8 file_type (or le16 name_len without the filetype feature).
const direntHeader = 8

// DirentLen is the smallest record that holds a name of n bytes (4-byte aligned).
func DirentLen(n int) int { return (direntHeader + n + 3) &^ 3 }

// A Dirent is one record of a directory block. Inode 0 marks an unused record, whose space may
// be reused.
type Dirent struct {
	Off    int // offset in the block
	Inode  uint32
	RecLen int
	Type   uint8
	Name   string
}

// ParseDirBlock decodes the records of one directory block. It fails, saying where, when a
// record's length is not a multiple of 4, is shorter than its name needs or runs past the
// block: the block is corrupt. filetype says whether the file system has the filetype feature
// (without it the name length is 16 bits and there is no type).
func ParseDirBlock(b []byte, filetype bool) ([]Dirent, error) {
	var out []Dirent
	for off := 0; off < len(b); {
		if len(b)-off < direntHeader {
			return nil, fmt.Errorf("directory record at offset %d runs past the block", off)
		}
		d := Dirent{Off: off, Inode: le.Uint32(b[off:]), RecLen: int(le.Uint16(b[off+4:]))}
		nameLen := int(le.Uint16(b[off+6:]))
		if filetype {
			nameLen, d.Type = int(b[off+6]), b[off+7]
		}
		if d.RecLen == 65535 || d.RecLen == 0 && len(b) == 65536 {
			d.RecLen = 65536 // rec_len of a whole 64 KiB block
		}
		switch {
		case d.RecLen < direntHeader || d.RecLen%4 != 0 || off+d.RecLen > len(b):
			return nil, fmt.Errorf("directory record at offset %d has length %d (block of %d bytes)", off, d.RecLen, len(b))
		case d.Inode != 0 && (nameLen == 0 || DirentLen(nameLen) > d.RecLen):
			return nil, fmt.Errorf("directory record at offset %d: name of %d bytes in a record of %d", off, nameLen, d.RecLen)
		case d.Inode == 0 && DirentLen(nameLen) > d.RecLen:
			nameLen = 0
		}
		d.Name = string(b[off+direntHeader : off+direntHeader+nameLen])
		out = append(out, d)
		off += d.RecLen
	}
	return out, nil
}

// PutDirent writes a record at off of b.
func PutDirent(b []byte, off int, ino uint32, recLen int, name string, typ uint8, filetype bool) {
	le.PutUint32(b[off:], ino)
	rl := recLen
	if rl == 65536 {
		rl = 65535
	}
	le.PutUint16(b[off+4:], uint16(rl))
	if filetype {
		b[off+6], b[off+7] = uint8(len(name)), typ
	} else {
		le.PutUint16(b[off+6:], uint16(len(name)))
	}
	n := copy(b[off+direntHeader:], name)
	clear(b[off+direntHeader+n : off+DirentLen(len(name))])
}

// SetRecLen changes the length of the record at off.
func SetRecLen(b []byte, off, recLen int) {
	if recLen == 65536 {
		recLen = 65535
	}
	le.PutUint16(b[off+4:], uint16(recLen))
}

// SetDirentInode changes the inode of the record at off (0 frees it).
func SetDirentInode(b []byte, off int, ino uint32, typ uint8, filetype bool) {
	le.PutUint32(b[off:], ino)
	if filetype {
		b[off+7] = typ
	}
}

// FileType returns the directory entry type of an i_mode.
func FileType(mode uint16) uint8 {
	switch mode & ModeFmt {
	case ModeReg:
		return FtReg
	case ModeDir:
		return FtDir
	case ModeChr:
		return FtChr
	case ModeBlk:
		return FtBlk
	case ModeFifo:
		return FtFifo
	case ModeSock:
		return FtSock
	case ModeLnk:
		return FtSymlink
	}
	return FtUnknown
}
