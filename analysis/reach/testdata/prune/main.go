package main

import "runtime"

const debug = false

func main() {
	if debug {
		dead()
	}
	if runtime.GOOS == "windows" {
		windowsOnly()
	}
	if !debug && runtime.GOARCH == "amd64" {
		live()
	}
}

func dead()        {}
func windowsOnly() {}
func live()        {}
