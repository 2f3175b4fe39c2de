package plan

import (
	"fmt"
	"strings"

	"github.com/unikgen/unikgen/config"
)

// MaxVolumes bounds the volumes of a kernel: block devices are named /dev/vda to /dev/vdz.
const MaxVolumes = 26

// VolumePaths are the mount points of vols.
func VolumePaths(vols []config.Volume) []string {
	var paths []string
	for _, v := range vols {
		paths = append(paths, v.Path)
	}
	return paths
}

// CheckVolumes validates the volumes' mount points: each clean, absolute and outside the
// library OS's own trees (config.CheckVolumePath), none twice, none inside another. The error
// names the entry (Volumes[i]).
func CheckVolumes(vols []string) error {
	if len(vols) > MaxVolumes {
		return &Error{"Volumes", fmt.Sprintf("%d volumes, at most %d (block devices /dev/vda to /dev/vdz)", len(vols), MaxVolumes)}
	}
	for i, p := range vols {
		field := fmt.Sprintf("Volumes[%d]", i)
		if err := config.CheckVolumePath(p); err != nil {
			return &Error{field, err.Error()}
		}
		for _, q := range vols[:i] {
			switch {
			case p == q:
				return &Error{field, fmt.Sprintf("%s is given twice", p)}
			case strings.HasPrefix(p, q+"/"), strings.HasPrefix(q, p+"/"):
				return &Error{field, fmt.Sprintf("%s and %s are nested: volumes cannot be mounted inside each other", p, q)}
			}
		}
	}
	return nil
}
