// Package wire encodes and decodes xenstore messages: the xsd_sockmsg header and the payloads of
// the requests a guest sends and the replies and watch events it receives.
//
// Reference: xen/include/public/io/xs_wire.h (enum xsd_sockmsg_type, struct xsd_sockmsg,
// xsd_errors, XENSTORE_PAYLOAD_MAX) and docs/misc/xenstore.txt, Xen 4.17.
//
// A message is a 16-byte little-endian header followed by len payload bytes (len <= 4096):
//
//	0        4        8        12       16
//	+--------+--------+--------+--------+--------------------------+
//	|  type  | req_id | tx_id  |  len   | payload (len bytes)      |
//	+--------+--------+--------+--------+--------------------------+
//
// Payloads are NUL-separated strings:
//
//	READ, RM, MKDIR, DIRECTORY, GET_PERMS   path\0                 -> value (no NUL) / OK\0 / name\0...
//	WRITE                                   path\0value (no NUL)   -> OK\0
//	WATCH, UNWATCH                          path\0token\0          -> OK\0
//	TRANSACTION_START                       \0                     -> decimal id\0
//	TRANSACTION_END                         T\0 (commit) | F\0     -> OK\0
//	GET_DOMAIN_PATH                         domid\0                -> path\0
//	WATCH_EVENT (async, from the daemon)    path\0token\0
//	ERROR (a reply)                         errno name\0, e.g. ENOENT\0
//
// Nothing here allocates, so the encoder and the streaming Reader are usable in kernel context.
package wire

import (
	"encoding/binary"
	"strconv"
	"syscall"
	"unsafe"
)

// Sizes.
const (
	HeaderSize = 16
	MaxPayload = 4096 // XENSTORE_PAYLOAD_MAX
	MaxMessage = HeaderSize + MaxPayload
)

// Header field offsets.
const (
	OffType  = 0
	OffReqID = 4
	OffTxID  = 8
	OffLen   = 12
)

// Type is a message type (enum xsd_sockmsg_type).
type Type uint32

// Message types.
const (
	Debug              Type = 0
	Directory          Type = 1
	Read               Type = 2
	GetPerms           Type = 3
	Watch              Type = 4
	Unwatch            Type = 5
	TransactionStart   Type = 6
	TransactionEnd     Type = 7
	Introduce          Type = 8
	Release            Type = 9
	GetDomainPath      Type = 10
	Write              Type = 11
	Mkdir              Type = 12
	Rm                 Type = 13
	SetPerms           Type = 14
	WatchEvent         Type = 15
	Error              Type = 16
	IsDomainIntroduced Type = 17
	Resume             Type = 18
	SetTarget          Type = 19
	Restrict           Type = 20
	ResetWatches       Type = 21
	DirectoryPart      Type = 22
	Invalid            Type = 0xffff
)

var typeNames = [...]string{
	"DEBUG", "DIRECTORY", "READ", "GET_PERMS", "WATCH", "UNWATCH", "TRANSACTION_START",
	"TRANSACTION_END", "INTRODUCE", "RELEASE", "GET_DOMAIN_PATH", "WRITE", "MKDIR", "RM",
	"SET_PERMS", "WATCH_EVENT", "ERROR", "IS_DOMAIN_INTRODUCED", "RESUME", "SET_TARGET",
	"RESTRICT", "RESET_WATCHES", "DIRECTORY_PART",
}

// String returns the type's name without the XS_ prefix.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "UNKNOWN"
}

// Header is a view of an xsd_sockmsg header. Check its length (>= HeaderSize) before use.
type Header []byte

// Type returns the message type.
func (h Header) Type() Type { return Type(binary.LittleEndian.Uint32(h[OffType:])) }

// ReqID returns the request id, echoed by the daemon in its reply.
func (h Header) ReqID() uint32 { return binary.LittleEndian.Uint32(h[OffReqID:]) }

// TxID returns the transaction id (0 outside transactions).
func (h Header) TxID() uint32 { return binary.LittleEndian.Uint32(h[OffTxID:]) }

// Len returns the payload length.
func (h Header) Len() uint32 { return binary.LittleEndian.Uint32(h[OffLen:]) }

// Encode writes all four fields.
func (h Header) Encode(t Type, reqID, txID, length uint32) {
	binary.LittleEndian.PutUint32(h[OffType:], uint32(t))
	binary.LittleEndian.PutUint32(h[OffReqID:], reqID)
	binary.LittleEndian.PutUint32(h[OffTxID:], txID)
	binary.LittleEndian.PutUint32(h[OffLen:], length)
}

// Builder encodes one message into a caller-supplied buffer without allocating.
type Builder struct {
	buf []byte
	n   int
	bad bool
}

// NewBuilder starts a message of type t in buf (which should have room for MaxMessage bytes).
func NewBuilder(buf []byte, t Type, reqID, txID uint32) Builder {
	if len(buf) < HeaderSize {
		return Builder{bad: true}
	}
	Header(buf).Encode(t, reqID, txID, 0)
	return Builder{buf: buf, n: HeaderSize}
}

// Bytes appends p to the payload.
func (b *Builder) Bytes(p []byte) {
	if b.bad || b.n+len(p) > len(b.buf) || b.n+len(p) > MaxMessage {
		b.bad = true
		return
	}
	b.n += copy(b.buf[b.n:], p)
}

// String appends s to the payload.
func (b *Builder) String(s string) { b.Bytes(unsafe.Slice(unsafe.StringData(s), len(s))) }

// Nul appends a NUL byte.
func (b *Builder) Nul() { b.Bytes([]byte{0}) }

// Finish sets the payload length and returns the encoded message; ok is false when the payload
// did not fit the buffer or exceeded MaxPayload.
func (b *Builder) Finish() (msg []byte, ok bool) {
	if b.bad {
		return nil, false
	}
	binary.LittleEndian.PutUint32(b.buf[OffLen:], uint32(b.n-HeaderSize))
	return b.buf[:b.n], true
}

// EncodePath encodes a request whose payload is path\0 (READ, RM, MKDIR, DIRECTORY, GET_PERMS,
// GET_DOMAIN_PATH with a decimal domid).
func EncodePath(buf []byte, t Type, reqID, txID uint32, path string) ([]byte, bool) {
	b := NewBuilder(buf, t, reqID, txID)
	b.String(path)
	b.Nul()
	return b.Finish()
}

// EncodeWrite encodes WRITE path\0value.
func EncodeWrite(buf []byte, reqID, txID uint32, path string, value []byte) ([]byte, bool) {
	b := NewBuilder(buf, Write, reqID, txID)
	b.String(path)
	b.Nul()
	b.Bytes(value)
	return b.Finish()
}

// EncodeWatch encodes WATCH or UNWATCH (t) path\0token\0.
func EncodeWatch(buf []byte, t Type, reqID uint32, path, token string) ([]byte, bool) {
	b := NewBuilder(buf, t, reqID, 0)
	b.String(path)
	b.Nul()
	b.String(token)
	b.Nul()
	return b.Finish()
}

// EncodeTransactionStart encodes TRANSACTION_START with its empty-string payload \0.
func EncodeTransactionStart(buf []byte, reqID uint32) ([]byte, bool) {
	b := NewBuilder(buf, TransactionStart, reqID, 0)
	b.Nul()
	return b.Finish()
}

// EncodeTransactionEnd encodes TRANSACTION_END T\0 (commit) or F\0 (abort) for transaction txID.
func EncodeTransactionEnd(buf []byte, reqID, txID uint32, commit bool) ([]byte, bool) {
	b := NewBuilder(buf, TransactionEnd, reqID, txID)
	if commit {
		b.String("T")
	} else {
		b.String("F")
	}
	b.Nul()
	return b.Finish()
}

// NextField splits p at its first NUL: field is the text before it, rest what follows. When p has
// no NUL, field is all of p, rest is empty and terminated is false.
func NextField(p []byte) (field, rest []byte, terminated bool) {
	for i, c := range p {
		if c == 0 {
			return p[:i], p[i+1:], true
		}
	}
	return p, p[len(p):], false
}

// CountFields returns the number of NUL-terminated fields in p (a DIRECTORY reply), ignoring
// trailing bytes without a NUL.
func CountFields(p []byte) int {
	n := 0
	for _, c := range p {
		if c == 0 {
			n++
		}
	}
	return n
}

// ParseWatchEvent splits a WATCH_EVENT payload path\0token\0.
func ParseWatchEvent(p []byte) (path, token []byte, ok bool) {
	path, rest, ok1 := NextField(p)
	token, _, ok2 := NextField(rest)
	return path, token, ok1 && (ok2 || len(token) > 0)
}

// ParseUint parses a decimal number followed by an optional NUL (a TRANSACTION_START reply, a
// domid).
func ParseUint(p []byte) (uint32, bool) {
	if len(p) > 0 && p[len(p)-1] == 0 {
		p = p[:len(p)-1]
	}
	if len(p) == 0 || len(p) > 10 {
		return 0, false
	}
	var v uint64
	for _, c := range p {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if v > 0xffffffff {
		return 0, false
	}
	return uint32(v), true
}

// AppendUint writes v in decimal into buf and returns the digits (buf needs 20 bytes for any
// value).
func AppendUint(buf []byte, v uint64) []byte { return strconv.AppendUint(buf[:0], v, 10) }

// errnos are the names of xsd_errors and the errno each stands for.
var errnos = [...]struct {
	name  string
	errno syscall.Errno
}{
	{"EINVAL", syscall.EINVAL}, {"EACCES", syscall.EACCES}, {"EEXIST", syscall.EEXIST},
	{"EISDIR", syscall.EISDIR}, {"ENOENT", syscall.ENOENT}, {"ENOMEM", syscall.ENOMEM},
	{"ENOSPC", syscall.ENOSPC}, {"EIO", syscall.EIO}, {"ENOTEMPTY", syscall.ENOTEMPTY},
	{"ENOSYS", syscall.ENOSYS}, {"EROFS", syscall.EROFS}, {"EBUSY", syscall.EBUSY},
	{"EAGAIN", syscall.EAGAIN}, {"EISCONN", syscall.EISCONN}, {"E2BIG", syscall.E2BIG},
	{"EPERM", syscall.EPERM}, {"EQUOTA", syscall.EDQUOT}, // EPERM, EQUOTA: oxenstored
}

// ParseError returns the errno named by an ERROR payload (e.g. "ENOENT\0"); unknown names give
// EIO.
func ParseError(p []byte) syscall.Errno {
	name, _, _ := NextField(p)
	for _, e := range errnos {
		if string(name) == e.name {
			return e.errno
		}
	}
	return syscall.EIO
}

// ErrorName returns the xenstore name of errno (the payload of an ERROR reply without its NUL),
// or "EIO" for an errno xenstore does not use.
func ErrorName(errno syscall.Errno) string {
	for _, e := range errnos {
		if e.errno == errno {
			return e.name
		}
	}
	return "EIO"
}
