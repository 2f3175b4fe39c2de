// This file implements the names of the deployment files and of the domain they describe.

package deploy

import (
	"path/filepath"
	"strings"
)

// XLHeader starts every xl config that XLConfig renders (xl.cfg.tmpl): a file that starts with it
// was written by unikgen and may be overwritten by the next build.
const XLHeader = "# xl.cfg for the unikgen kernel "

// XLPath returns the path of the xl config written beside image: the image's path with its
// extension replaced by ".xl" (hello.xen -> hello.xl).
func XLPath(image string) string {
	ext := filepath.Ext(image)
	if ext == ".xl" {
		return image + ".xl"
	}
	return strings.TrimSuffix(image, ext) + ".xl"
}

// DomainName turns a program name into a domain name (XLParams.Name): characters outside
// [A-Za-z0-9_.-] become '-', leading '_', '.' and '-' are dropped, at most 64 characters;
// "unikgen" if nothing is left.
func DomainName(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	s := strings.TrimLeft(b.String(), "_.-")
	if len(s) > 64 {
		s = s[:64]
	}
	if s == "" {
		s = "unikgen"
	}
	return s
}
