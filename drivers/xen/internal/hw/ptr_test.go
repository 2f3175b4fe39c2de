package hw

import "unsafe"

func unsafePtr(p *uint64) unsafe.Pointer { return unsafe.Pointer(p) }
