package sys

import (
	"testing"

	"github.com/unikgen/unikgen/runtime/errno"
)

// TestCheckSocket: the errors socket(2) gives, which the kernel decides alone (socket(2) does not
// wait for the server).
func TestCheckSocket(t *testing.T) {
	for _, c := range []struct {
		name               string
		family, typ, proto int
		want               int64
	}{
		{"tcp4", afINET, sockStream, 0, 0},
		{"tcp6", afINET6, sockStream, protoTCP, 0},
		{"udp4", afINET, sockDgram, protoUDP, 0},
		{"udp6", afINET6, sockDgram, 0, 0},
		{"unix", afUNIX, sockStream, 0, -errno.EAFNOSUPPORT},
		{"netlink", 16, 3, 0, -errno.EAFNOSUPPORT},
		{"mptcp", afINET, sockStream, 262, -errno.EPROTONOSUPPORT},
		{"udp as stream", afINET6, sockStream, protoUDP, -errno.EPROTONOSUPPORT},
		{"icmp datagram", afINET, sockDgram, 1, -errno.EPROTONOSUPPORT},
		{"raw", afINET, sockRaw, 1, -errno.EPERM},
		{"seqpacket", afINET, 5, 0, -errno.ESOCKTNOSUPPORT},
	} {
		if got := checkSocket(c.family, c.typ, c.proto); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	if f := fileFlags(sockNonblock | sockCloexec); f != 02|04000|02000000 {
		t.Errorf("SOCK_NONBLOCK|SOCK_CLOEXEC: flags %#o", f)
	}
}
