// A file for another system that uses cgo: not part of a linux/amd64 kernel, not reported.

package d

import "C"
