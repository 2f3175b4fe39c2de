//go:build !cgo

package d

func Answer() int { return 42 }
