package disk

// Extended attribute blocks (ext_attr): only their header matters here, to release a block when
// the last inode using it is freed (Documentation/filesystems/ext4/attributes.rst).

// XattrMagic is h_magic of an extended attribute block.
const XattrMagic = 0xEA020000

// Xattr block header offsets: le32 h_magic, le32 h_refcount.
const (
	xattrMagic    = 0
	xattrRefcount = 4
)

// XattrRefcount returns the reference count of an extended attribute block, and false when the
// block is not one.
func XattrRefcount(b []byte) (uint32, bool) {
	if len(b) < 8 || le.Uint32(b[xattrMagic:]) != XattrMagic {
		return 0, false
	}
	return le.Uint32(b[xattrRefcount:]), true
}

// SetXattrRefcount changes the reference count of an extended attribute block.
func SetXattrRefcount(b []byte, n uint32) { le.PutUint32(b[xattrRefcount:], n) }
