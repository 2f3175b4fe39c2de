package socket

// This file implements setsockopt(2) and getsockopt(2): the options of socket(7), ip(7),
// ipv6(7), tcp(7) and udp(7) that Go's net package and common servers set, on netstack's
// SocketOptions and endpoint options.

import (
	"sync/atomic"
	"syscall"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/waiter"

	"github.com/unikgen/unikgen/runtime/errno"
	"github.com/unikgen/unikgen/runtime/relay/wire"
	"github.com/unikgen/unikgen/services/relay"
)

// Option names not in package syscall.
const (
	ipPktinfo       = 8  // IP_PKTINFO
	ipv6Recvpktinfo = 49 // IPV6_RECVPKTINFO
	soReusePort     = 15
	soProtocol      = 38
	soDomain        = 39
	tcpUserTimeout  = 18
)

func getInt(addr, n uintptr) (int, int64) {
	if n < 4 {
		return 0, -errno.EINVAL
	}
	b, ok := relay.UserBytes(addr, 4)
	if !ok {
		return 0, -errno.EFAULT
	}
	return int(int32(le.Uint32(b))), 0
}

// putInt stores the int v at addr (ioctl).
func putInt(addr uintptr, v int) int64 {
	b, ok := relay.UserBytes(addr, 4)
	if !ok {
		return -errno.EFAULT
	}
	le.PutUint32(b, uint32(int32(v)))
	return 0
}

// putOpt stores val for getsockopt, truncated to the caller's length at lenAddr, which it
// updates.
func putOpt(addr, lenAddr uintptr, val []byte) int64 {
	lb, ok := relay.UserBytes(lenAddr, 4)
	if !ok {
		return -errno.EFAULT
	}
	n := int32(le.Uint32(lb))
	if n < 0 {
		return -errno.EINVAL
	}
	k := min(int(n), len(val))
	if k > 0 {
		b, ok := relay.UserBytes(addr, uintptr(k))
		if !ok {
			return -errno.EFAULT
		}
		copy(b, val)
	}
	le.PutUint32(lb, uint32(k))
	return 0
}

func intOpt(addr, lenAddr uintptr, v int) int64 {
	var b [4]byte
	le.PutUint32(b[:], uint32(int32(v)))
	return putOpt(addr, lenAddr, b[:])
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *Socket) setsockopt(level, name int, val, n uintptr) int64 {
	so := s.ep.SocketOptions()
	switch level {
	case syscall.SOL_SOCKET:
		switch name {
		case syscall.SO_LINGER:
			if n < 8 {
				return -errno.EINVAL
			}
			b, ok := relay.UserBytes(val, 8)
			if !ok {
				return -errno.EFAULT
			}
			so.SetLinger(tcpip.LingerOption{Enabled: le.Uint32(b) != 0, Timeout: time.Duration(int32(le.Uint32(b[4:]))) * time.Second})
			return 0
		case syscall.SO_RCVTIMEO, syscall.SO_SNDTIMEO:
			// Accepted for compatibility; calls on blocking sockets do not time out.
			if n < 16 {
				return -errno.EINVAL
			}
			return 0
		}
		v, e := getInt(val, n)
		if e != 0 {
			return e
		}
		switch name {
		case syscall.SO_REUSEADDR:
			so.SetReuseAddress(v != 0)
		case soReusePort:
			so.SetReusePort(v != 0)
		case syscall.SO_KEEPALIVE:
			so.SetKeepAlive(v != 0)
		case syscall.SO_BROADCAST:
			so.SetBroadcast(v != 0)
		case syscall.SO_SNDBUF:
			so.SetSendBufferSize(int64(v)*2, true) // Linux doubles the value for bookkeeping
		case syscall.SO_RCVBUF:
			so.SetReceiveBufferSize(int64(v)*2, true)
		case syscall.SO_OOBINLINE, syscall.SO_DONTROUTE:
			// Out-of-band data is always inline here; routing is not bypassed.
		case syscall.SO_RCVLOWAT:
			return -errnoOf(so.SetRcvlowat(int32(v)))
		default:
			return -errno.ENOPROTOOPT
		}
		return 0
	case syscall.IPPROTO_TCP:
		if s.proto != syscall.IPPROTO_TCP {
			return -errno.ENOPROTOOPT
		}
		v, e := getInt(val, n)
		if e != 0 {
			return e
		}
		switch name {
		case syscall.TCP_NODELAY:
			so.SetDelayOption(v == 0)
		case syscall.TCP_CORK:
			so.SetCorkOption(v != 0)
		case syscall.TCP_QUICKACK:
			so.SetQuickAck(v != 0)
		case syscall.TCP_KEEPIDLE, syscall.TCP_KEEPINTVL:
			if v < 1 || v > 32767 {
				return -errno.EINVAL
			}
			d := time.Duration(v) * time.Second
			if name == syscall.TCP_KEEPIDLE {
				return -errnoOf(s.ep.SetSockOpt((*tcpip.KeepaliveIdleOption)(&d)))
			}
			return -errnoOf(s.ep.SetSockOpt((*tcpip.KeepaliveIntervalOption)(&d)))
		case syscall.TCP_KEEPCNT:
			if v < 1 || v > 127 {
				return -errno.EINVAL
			}
			return -errnoOf(s.ep.SetSockOptInt(tcpip.KeepaliveCountOption, v))
		case syscall.TCP_MAXSEG:
			return -errnoOf(s.ep.SetSockOptInt(tcpip.MaxSegOption, v))
		case tcpUserTimeout:
			if v < 0 {
				return -errno.EINVAL
			}
			d := time.Duration(v) * time.Millisecond
			return -errnoOf(s.ep.SetSockOpt((*tcpip.TCPUserTimeoutOption)(&d)))
		default:
			return -errno.ENOPROTOOPT
		}
		return 0
	case syscall.IPPROTO_IPV6:
		if s.family != syscall.AF_INET6 {
			return -errno.ENOPROTOOPT
		}
		v, e := getInt(val, n)
		if e != 0 {
			return e
		}
		switch name {
		case syscall.IPV6_V6ONLY:
			so.SetV6Only(v != 0)
		case ipv6Recvpktinfo:
			so.SetIPv6ReceivePacketInfo(v != 0)
		case syscall.IPV6_UNICAST_HOPS:
			if v < -1 || v > 255 {
				return -errno.EINVAL
			}
			return -errnoOf(s.ep.SetSockOptInt(tcpip.IPv6HopLimitOption, v))
		case syscall.IPV6_TCLASS:
			return -errnoOf(s.ep.SetSockOptInt(tcpip.IPv6TrafficClassOption, v))
		default:
			return -errno.ENOPROTOOPT
		}
		return 0
	case syscall.IPPROTO_IP:
		v, e := getInt(val, n)
		if e != 0 {
			return e
		}
		switch name {
		case ipPktinfo:
			so.SetReceivePacketInfo(v != 0)
			return 0
		case syscall.IP_TOS:
			return -errnoOf(s.ep.SetSockOptInt(tcpip.IPv4TOSOption, v))
		case syscall.IP_TTL:
			if v < -1 || v == 0 || v > 255 {
				return -errno.EINVAL
			}
			return -errnoOf(s.ep.SetSockOptInt(tcpip.IPv4TTLOption, v))
		default:
			return -errno.ENOPROTOOPT
		}
	}
	return -errno.ENOPROTOOPT
}

func (s *Socket) getsockopt(level, name int, val, lenAddr uintptr) int64 {
	so := s.ep.SocketOptions()
	switch level {
	case syscall.SOL_SOCKET:
		switch name {
		case syscall.SO_ERROR:
			if h := s.ring; h != nil && atomic.LoadUint32(&h.state)&wire.RingErr != 0 && !s.soErrTaken {
				s.soErrTaken = true // the pump took the endpoint's error into the ring
				return intOpt(val, lenAddr, int(atomic.LoadUint32(&h.errno)))
			}
			err := so.GetLastError()
			if s.connecting && (err != nil || s.ep.Readiness(waiter.WritableEvents) != 0) {
				s.connecting = false // the handshake ended: the peer is confirmed, or gone
				s.publish()
			}
			return intOpt(val, lenAddr, int(errnoOf(err)))
		case syscall.SO_TYPE:
			return intOpt(val, lenAddr, s.typ)
		case soProtocol:
			return intOpt(val, lenAddr, s.proto)
		case soDomain:
			return intOpt(val, lenAddr, s.family)
		case syscall.SO_ACCEPTCONN:
			return intOpt(val, lenAddr, boolInt(so.GetAcceptConn()))
		case syscall.SO_REUSEADDR:
			return intOpt(val, lenAddr, boolInt(so.GetReuseAddress()))
		case soReusePort:
			return intOpt(val, lenAddr, boolInt(so.GetReusePort()))
		case syscall.SO_KEEPALIVE:
			return intOpt(val, lenAddr, boolInt(so.GetKeepAlive()))
		case syscall.SO_BROADCAST:
			return intOpt(val, lenAddr, boolInt(so.GetBroadcast()))
		case syscall.SO_SNDBUF:
			return intOpt(val, lenAddr, int(so.GetSendBufferSize()))
		case syscall.SO_RCVBUF:
			return intOpt(val, lenAddr, int(so.GetReceiveBufferSize()))
		case syscall.SO_RCVLOWAT:
			return intOpt(val, lenAddr, int(so.GetRcvlowat()))
		case syscall.SO_LINGER:
			l := so.GetLinger()
			var b [8]byte
			le.PutUint32(b[:], uint32(boolInt(l.Enabled)))
			le.PutUint32(b[4:], uint32(l.Timeout/time.Second))
			return putOpt(val, lenAddr, b[:])
		}
	case syscall.IPPROTO_TCP:
		if s.proto != syscall.IPPROTO_TCP {
			return -errno.ENOPROTOOPT
		}
		switch name {
		case syscall.TCP_NODELAY:
			return intOpt(val, lenAddr, boolInt(!so.GetDelayOption()))
		case syscall.TCP_CORK:
			return intOpt(val, lenAddr, boolInt(so.GetCorkOption()))
		case syscall.TCP_KEEPIDLE, syscall.TCP_KEEPINTVL:
			var d tcpip.KeepaliveIdleOption
			var err tcpip.Error
			if name == syscall.TCP_KEEPIDLE {
				err = s.ep.GetSockOpt(&d)
			} else {
				var i tcpip.KeepaliveIntervalOption
				err = s.ep.GetSockOpt(&i)
				d = tcpip.KeepaliveIdleOption(i)
			}
			if err != nil {
				return -errnoOf(err)
			}
			return intOpt(val, lenAddr, int(time.Duration(d)/time.Second))
		case syscall.TCP_KEEPCNT, syscall.TCP_MAXSEG:
			opt := tcpip.KeepaliveCountOption
			if name == syscall.TCP_MAXSEG {
				opt = tcpip.MaxSegOption
			}
			return s.endpointIntOpt(opt, val, lenAddr)
		}
	case syscall.IPPROTO_IPV6:
		if s.family == syscall.AF_INET6 && name == syscall.IPV6_V6ONLY {
			return intOpt(val, lenAddr, boolInt(so.GetV6Only()))
		}
		if s.family == syscall.AF_INET6 && name == ipv6Recvpktinfo {
			return intOpt(val, lenAddr, boolInt(so.GetIPv6ReceivePacketInfo()))
		}
	case syscall.IPPROTO_IP:
		var opt tcpip.SockOptInt
		switch name {
		case ipPktinfo:
			return intOpt(val, lenAddr, boolInt(so.GetReceivePacketInfo()))
		case syscall.IP_TOS:
			opt = tcpip.IPv4TOSOption
		case syscall.IP_TTL:
			opt = tcpip.IPv4TTLOption
		default:
			return -errno.ENOPROTOOPT
		}
		return s.endpointIntOpt(opt, val, lenAddr)
	}
	return -errno.ENOPROTOOPT
}

// endpointIntOpt answers getsockopt with the endpoint's integer option opt.
func (s *Socket) endpointIntOpt(opt tcpip.SockOptInt, val, lenAddr uintptr) int64 {
	v, err := s.ep.GetSockOptInt(opt)
	if err != nil {
		return -errnoOf(err)
	}
	return intOpt(val, lenAddr, v)
}
