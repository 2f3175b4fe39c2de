package socket

// This file implements the Linux socket addresses: struct sockaddr_in and sockaddr_in6, as
// bytes in the caller's memory, to and from netstack's tcpip.FullAddress.

import (
	"encoding/binary"
	"syscall"

	"gvisor.dev/gvisor/pkg/tcpip"

	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/services/relay"
)

// Layouts (include/uapi/linux/in.h, in6.h): the port is big-endian.
//
//	sockaddr_in (16 bytes)        sockaddr_in6 (28 bytes)
//	+0 u16 family (AF_INET)       +0  u16 family (AF_INET6)
//	+2 u16 port                   +2  u16 port
//	+4 [4]byte address            +4  u32 flowinfo
//	+8 [8]byte zero               +8  [16]byte address
//	                              +24 u32 scope id
const (
	sockaddrInSize  = 16
	sockaddrIn6Size = 28
	saFamily        = 0
	saPort          = 2
	sinAddr         = 4
	sin6Addr        = 8
	sin6Scope       = 24
)

// parseAddr reads the socket address of length n at addr, for a socket of family. It returns
// the address and its family (AF_UNSPEC for an AF_UNSPEC address, as connect uses to
// disconnect).
func parseAddr(addr uintptr, n uintptr, family int) (tcpip.FullAddress, int, int64) {
	if n < 2 {
		return tcpip.FullAddress{}, 0, -errno.EINVAL
	}
	if n > 128 {
		n = 128
	}
	b, ok := relay.UserBytes(addr, n)
	if !ok {
		return tcpip.FullAddress{}, 0, -errno.EFAULT
	}
	fam := int(binary.LittleEndian.Uint16(b[saFamily:]))
	switch fam {
	case syscall.AF_UNSPEC:
		return tcpip.FullAddress{}, syscall.AF_UNSPEC, 0
	case syscall.AF_INET:
		if n < sockaddrInSize {
			return tcpip.FullAddress{}, 0, -errno.EINVAL
		}
		if family != syscall.AF_INET && family != syscall.AF_INET6 {
			return tcpip.FullAddress{}, 0, -errno.EAFNOSUPPORT
		}
		a := tcpip.AddrFrom4Slice(b[sinAddr : sinAddr+4])
		if family == syscall.AF_INET6 {
			return tcpip.FullAddress{}, 0, -errno.EAFNOSUPPORT // Linux wants a v4-mapped address here
		}
		return tcpip.FullAddress{Addr: unspecifiedToEmpty(a), Port: binary.BigEndian.Uint16(b[saPort:])}, fam, 0
	case syscall.AF_INET6:
		if family != syscall.AF_INET6 {
			return tcpip.FullAddress{}, 0, -errno.EAFNOSUPPORT
		}
		if n < sockaddrIn6Size {
			return tcpip.FullAddress{}, 0, -errno.EINVAL
		}
		a := tcpip.AddrFrom16Slice(b[sin6Addr : sin6Addr+16])
		fa := tcpip.FullAddress{Addr: unspecifiedToEmpty(a), Port: binary.BigEndian.Uint16(b[saPort:])}
		if scope := binary.LittleEndian.Uint32(b[sin6Scope:]); scope != 0 {
			fa.NIC = tcpip.NICID(scope)
		}
		return fa, fam, 0
	}
	return tcpip.FullAddress{}, 0, -errno.EAFNOSUPPORT
}

// unspecifiedToEmpty maps 0.0.0.0 and :: to netstack's "any address", the empty Address.
func unspecifiedToEmpty(a tcpip.Address) tcpip.Address {
	if a.Unspecified() {
		return tcpip.Address{}
	}
	return a
}

// encodeAddr returns the socket address of fa for a socket of family.
func encodeAddr(fa tcpip.FullAddress, family int) []byte {
	if family == syscall.AF_INET {
		b := make([]byte, sockaddrInSize)
		binary.LittleEndian.PutUint16(b[saFamily:], syscall.AF_INET)
		binary.BigEndian.PutUint16(b[saPort:], fa.Port)
		if fa.Addr.Len() == 4 {
			copy(b[sinAddr:], fa.Addr.AsSlice())
		}
		return b
	}
	b := make([]byte, sockaddrIn6Size)
	binary.LittleEndian.PutUint16(b[saFamily:], syscall.AF_INET6)
	binary.BigEndian.PutUint16(b[saPort:], fa.Port)
	switch fa.Addr.Len() {
	case 16:
		copy(b[sin6Addr:], fa.Addr.AsSlice())
		if a := fa.Addr.AsSlice(); a[0] == 0xfe && a[1]&0xc0 == 0x80 { // link-local: the scope
			binary.LittleEndian.PutUint32(b[sin6Scope:], uint32(fa.NIC))
		}
	case 4: // an IPv4 peer of a dual-stack socket: v4-mapped
		b[sin6Addr+10], b[sin6Addr+11] = 0xff, 0xff
		copy(b[sin6Addr+12:], fa.Addr.AsSlice())
	}
	return b
}

// writeAddr stores sa at addr for a caller whose buffer length is at lenAddr (socklen_t, in
// and out), truncating as Linux does and reporting the full length.
func writeAddr(addr, lenAddr uintptr, sa []byte) int64 {
	if addr == 0 || lenAddr == 0 {
		return 0
	}
	lb, ok := relay.UserBytes(lenAddr, 4)
	if !ok {
		return -errno.EFAULT
	}
	n := int32(binary.LittleEndian.Uint32(lb))
	if n < 0 {
		return -errno.EINVAL
	}
	if k := min(int(n), len(sa)); k > 0 {
		b, ok := relay.UserBytes(addr, uintptr(k))
		if !ok {
			return -errno.EFAULT
		}
		copy(b, sa)
	}
	binary.LittleEndian.PutUint32(lb, uint32(len(sa)))
	return 0
}
