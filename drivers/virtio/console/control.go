package console

// This file implements the control messages of a multiport console (VIRTIO 1.2 §5.3.6.2,
// §5.3.6.2.1 struct virtio_console_control): the driver says it is ready, the device names its
// ports, the driver readies and opens the one it uses.

const (
	ctlSize = 8 // le32 id, le16 event, le16 value; PORT_NAME adds the name

	eventDeviceReady = 0
	eventDeviceAdd   = 1
	eventPortReady   = 3
	eventConsolePort = 4
	eventPortOpen    = 6
	eventPortName    = 7
)

// control is one control message from the device.
type control struct {
	id           uint32
	event, value uint16
	name         []byte // PORT_NAME: the name, without the NUL that may end it
}

// parseControl decodes the n bytes the device wrote into a control buffer b. ok is false for a
// message shorter than its header or a length beyond the buffer.
func parseControl(b []byte, n uint32) (c control, ok bool) {
	if n < ctlSize || uint64(n) > uint64(len(b)) {
		return control{}, false
	}
	c.id = uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
	c.event = uint16(b[4]) | uint16(b[5])<<8
	c.value = uint16(b[6]) | uint16(b[7])<<8
	if c.event == eventPortName {
		name := b[ctlSize:n]
		for i, ch := range name {
			if ch == 0 {
				name = name[:i]
				break
			}
		}
		c.name = name
	}
	return c, true
}

// putControl encodes a message for the device into b (at least ctlSize bytes).
func putControl(b []byte, id uint32, event, value uint16) {
	b[0], b[1], b[2], b[3] = byte(id), byte(id>>8), byte(id>>16), byte(id>>24)
	b[4], b[5] = byte(event), byte(event>>8)
	b[6], b[7] = byte(value), byte(value>>8)
}

// portState is what the control messages told about the port the driver wants.
type portState struct {
	added, named, hostOpen bool
	badName                bool // the port has another name
}

// apply records message c about port and returns the reply the driver owes, if any: PORT_READY
// for the port once the device added it.
func (s *portState) apply(c control, port uint32, name string) (reply uint16, value uint16, ok bool) {
	if c.id != port {
		return 0, 0, false
	}
	switch c.event {
	case eventDeviceAdd:
		if !s.added {
			s.added = true
			return eventPortReady, 1, true
		}
	case eventPortName:
		if string(c.name) == name {
			s.named = true
		} else {
			s.badName = true
		}
	case eventPortOpen:
		s.hostOpen = c.value != 0
	}
	return 0, 0, false
}
