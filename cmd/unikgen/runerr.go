// This file reports the failures of a QEMU run.

package main

import (
	"errors"
	"log"
	"strings"

	"github.com/unikgen/unikgen/internal/host/qemu"
)

// reportRunError prints the error of qemu.Run. QEMU's own messages have already reached standard
// error as it printed them (qemu.Config.Stderr), so a QEMU failure is not repeated with them.
func reportRunError(err error) {
	var ee *qemu.ExitError
	if errors.As(err, &ee) && strings.TrimSpace(ee.Stderr) != "" {
		log.Printf("QEMU exited with status %d: its message is above", ee.Code)
		return
	}
	log.Print(err)
}
