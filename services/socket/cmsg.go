package socket

// This file implements the ancillary data of recvmsg(2) and sendmsg(2) (cmsg(3)): the packet
// information of IP_PKTINFO and IPV6_PKTINFO, the TTL and the hop limit.
//
//	struct cmsghdr (16 bytes)   in_pktinfo (12 bytes)          in6_pktinfo (20 bytes)
//	+0  u64 cmsg_len            +0 i32 ipi_ifindex             +0  [16]byte ipi6_addr
//	+8  i32 cmsg_level          +4 [4]byte ipi_spec_dst        +16 i32 ipi6_ifindex
//	+12 i32 cmsg_type           +8 [4]byte ipi_addr
//	+16 data, the whole padded to 8 bytes

import (
	"syscall"

	"gvisor.dev/gvisor/pkg/tcpip"

	"github.com/unikgen/unikgen/runtime/errno"
)

const (
	cmsgHdr      = 16
	msgCtrunc    = 0x8
	ipv6Pktinfo  = 50 // IPV6_PKTINFO
	ipv6Hoplimit = 52 // IPV6_HOPLIMIT
)

func cmsgAlign(n int) int { return (n + 7) &^ 7 }

// encodeCmsgs returns the control messages of a received packet, as recvmsg writes them.
func encodeCmsgs(cm tcpip.ReceivableControlMessages) []byte {
	var out []byte
	add := func(level, typ int, data []byte) {
		m := make([]byte, cmsgAlign(cmsgHdr+len(data)))
		le.PutUint64(m, uint64(cmsgHdr+len(data)))
		le.PutUint32(m[8:], uint32(level))
		le.PutUint32(m[12:], uint32(typ))
		copy(m[cmsgHdr:], data)
		out = append(out, m...)
	}
	if cm.HasIPPacketInfo {
		d := make([]byte, 12)
		le.PutUint32(d, uint32(cm.PacketInfo.NIC))
		if cm.PacketInfo.LocalAddr.Len() == 4 {
			copy(d[4:], cm.PacketInfo.LocalAddr.AsSlice())
		}
		if cm.PacketInfo.DestinationAddr.Len() == 4 {
			copy(d[8:], cm.PacketInfo.DestinationAddr.AsSlice())
		}
		add(syscall.IPPROTO_IP, ipPktinfo, d)
	}
	if cm.HasIPv6PacketInfo {
		d := make([]byte, 20)
		if cm.IPv6PacketInfo.Addr.Len() == 16 {
			copy(d, cm.IPv6PacketInfo.Addr.AsSlice())
		}
		le.PutUint32(d[16:], uint32(cm.IPv6PacketInfo.NIC))
		add(syscall.IPPROTO_IPV6, ipv6Pktinfo, d)
	}
	return out
}

// parseCmsgs reads the control messages of sendmsg into opts. IP_PKTINFO is accepted and its
// source address left to the route (netstack chooses the interface's address, which is what a
// reply to a packet received on it needs); an unknown message is EINVAL, as on Linux.
func parseCmsgs(b []byte, opts *tcpip.WriteOptions) int64 {
	for len(b) > 0 {
		if len(b) < cmsgHdr {
			return -errno.EINVAL
		}
		n := le.Uint64(b)
		if n < cmsgHdr || n > uint64(len(b)) {
			return -errno.EINVAL
		}
		level, typ, data := int(int32(le.Uint32(b[8:]))), int(int32(le.Uint32(b[12:]))), b[cmsgHdr:n]
		switch {
		case level == syscall.IPPROTO_IP && typ == ipPktinfo && len(data) >= 12:
		case level == syscall.IPPROTO_IP && typ == syscall.IP_TTL && len(data) >= 4:
			opts.ControlMessages.HasTTL, opts.ControlMessages.TTL = true, uint8(le.Uint32(data))
		case level == syscall.IPPROTO_IPV6 && typ == ipv6Pktinfo && len(data) >= 20:
			opts.ControlMessages.HasIPv6PacketInfo = true
			opts.ControlMessages.IPv6PacketInfo = tcpip.IPv6PacketInfo{
				Addr: tcpip.AddrFrom16Slice(data[:16]), NIC: tcpip.NICID(le.Uint32(data[16:])),
			}
			if opts.ControlMessages.IPv6PacketInfo.Addr.Unspecified() {
				opts.ControlMessages.HasIPv6PacketInfo = false
			}
		case level == syscall.IPPROTO_IPV6 && typ == ipv6Hoplimit && len(data) >= 4:
			opts.ControlMessages.HasHopLimit, opts.ControlMessages.HopLimit = true, uint8(le.Uint32(data))
		default:
			return -errno.EINVAL
		}
		if a := uint64(cmsgAlign(int(n))); a < uint64(len(b)) {
			b = b[a:]
		} else {
			b = nil
		}
	}
	return 0
}
