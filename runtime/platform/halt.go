package platform

import "github.com/unikgen/unikgen/runtime/arch"

func halt() { arch.HaltForever() }
