package sysno

// Private system calls of the library OS: the relay between the kernel and its program-context
// server (runtime/relay/wire describes their arguments). They are numbered above Linux's last
// x86-64 call (462) and below the x32 range (512), so they never collide with a call the
// program makes. gen/emit reads these constants from this file's source, as it reads table.go.
const (
	SYS_UNIKGEN_RELAY_WAIT   = 480
	SYS_UNIKGEN_RELAY_DONE   = 481
	SYS_UNIKGEN_RELAY_NOTIFY = 482
	SYS_UNIKGEN_RELAY_IRQ    = 483
	SYS_UNIKGEN_RELAY_DMA    = 484
	SYS_UNIKGEN_RELAY_ADDR   = 485
	SYS_UNIKGEN_RELAY_RING   = 486
	SYS_UNIKGEN_RELAY_KICK   = 487
)

// privateFirst is the first private number; private names are indexed from it.
const privateFirst = SYS_UNIKGEN_RELAY_WAIT

var privateNames = [...]string{
	"unikgen_relay_wait", "unikgen_relay_done", "unikgen_relay_notify", "unikgen_relay_irq",
	"unikgen_relay_dma", "unikgen_relay_addr", "unikgen_relay_ring", "unikgen_relay_kick",
}
