// Command badvolumes has volume mount points that cannot be.
package main

import "github.com/unikgen/unikgen/config"

var _ = config.Kernel{Volumes: []config.Volume{
	{Path: "/data"},
	{Path: "data"},
	{Path: "/tmp/x"},
	{Path: "/data/sub"},
	{Path: "/data"},
	{},
	{Path: "/a/../b"},
}}

func main() {}
