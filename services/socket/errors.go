package socket

import (
	"gvisor.dev/gvisor/pkg/tcpip"

	"github.com/unikgen/unikgen/runtime/errno"
)

// errnoOf returns the Linux error number for a netstack error (0 for nil), as Linux's own
// stack reports the same conditions.
func errnoOf(err tcpip.Error) int64 {
	switch err.(type) {
	case nil:
		return 0
	case *tcpip.ErrWouldBlock:
		return errno.EAGAIN
	case *tcpip.ErrConnectStarted:
		return errno.EINPROGRESS
	case *tcpip.ErrAlreadyConnecting:
		return errno.EALREADY
	case *tcpip.ErrAlreadyConnected:
		return errno.EISCONN
	case *tcpip.ErrNotConnected:
		return errno.ENOTCONN
	case *tcpip.ErrConnectionRefused:
		return errno.ECONNREFUSED
	case *tcpip.ErrConnectionReset:
		return errno.ECONNRESET
	case *tcpip.ErrConnectionAborted:
		return errno.ECONNABORTED
	case *tcpip.ErrTimeout:
		return errno.ETIMEDOUT
	case *tcpip.ErrClosedForSend, *tcpip.ErrAborted:
		return errno.EPIPE
	case *tcpip.ErrClosedForReceive:
		return 0 // end of file
	case *tcpip.ErrPortInUse:
		return errno.EADDRINUSE
	case *tcpip.ErrBadLocalAddress:
		return errno.EADDRNOTAVAIL
	case *tcpip.ErrNoPortAvailable:
		return errno.EAGAIN
	case *tcpip.ErrAlreadyBound, *tcpip.ErrInvalidEndpointState, *tcpip.ErrUnknownProtocol,
		*tcpip.ErrInvalidOptionValue, *tcpip.ErrMalformedHeader, *tcpip.ErrInvalidPortRange,
		*tcpip.ErrMulticastInputCannotBeOutput, *tcpip.ErrMissingRequiredFields:
		return errno.EINVAL
	case *tcpip.ErrDestinationRequired:
		return errno.EDESTADDRREQ
	case *tcpip.ErrNotSupported:
		return errno.EOPNOTSUPP
	case *tcpip.ErrQueueSizeNotSupported:
		return errno.ENOTTY
	case *tcpip.ErrNoSuchFile:
		return errno.ENOENT
	case *tcpip.ErrBroadcastDisabled:
		return errno.EACCES
	case *tcpip.ErrNotPermitted:
		return errno.EPERM
	case *tcpip.ErrBadBuffer, *tcpip.ErrBadAddress:
		return errno.EFAULT
	case *tcpip.ErrNetworkUnreachable:
		return errno.ENETUNREACH
	case *tcpip.ErrHostUnreachable:
		return errno.EHOSTUNREACH
	case *tcpip.ErrHostDown:
		return errno.EHOSTDOWN
	case *tcpip.ErrNoNet:
		return errno.ENETDOWN
	case *tcpip.ErrMessageTooLong:
		return errno.EMSGSIZE
	case *tcpip.ErrNoBufferSpace:
		return errno.ENOBUFS
	case *tcpip.ErrAddressFamilyNotSupported:
		return errno.EAFNOSUPPORT
	case *tcpip.ErrUnknownProtocolOption:
		return errno.ENOPROTOOPT
	case *tcpip.ErrUnknownNICID, *tcpip.ErrUnknownDevice:
		return errno.ENODEV
	case *tcpip.ErrDuplicateNICID, *tcpip.ErrDuplicateAddress:
		return errno.EEXIST
	case *tcpip.ErrEndpointBusy:
		return errno.EBUSY
	}
	return errno.EINVAL
}
