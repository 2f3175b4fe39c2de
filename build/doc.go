// Package build compiles a Go main package and the unikgen library OS into a PVH kernel image.
//
// [Build] is the pipeline of docs/internals.md ("Module and build") as a library: it resolves the
// package with go list for the kernel's configuration (GOOS=linux GOARCH=amd64 CGO_ENABLED=0),
// refuses anything but one main package, writes the overlay that adds
// `import _ "github.com/unikgen/unikgen/runtime/boot"` to that package (the user's tree is never
// written), runs the stock go build with the PVH link flags, and patches the ELF note with
// package image. It writes only the output image, and only once the image is complete.
//
// Errors come in two kinds the caller must tell apart: a *[PackageError] means the request was
// wrong (no such package, not a main package, no library OS in the module graph); a *[GoError]
// carries go build's own messages, byte for byte.
package build
