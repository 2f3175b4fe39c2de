package minmem

import "testing"

func TestMiB(t *testing.T) {
	for _, c := range []struct {
		end  uint64
		want int
	}{
		// examples/hello: the image ends at 4.27 MiB; the 1 MiB below the image and 0.73 MiB
		// after it give the 1.5 MiB of StartupFrames.
		{0x4440c0, 5},
		{0x480000, 5}, // 4.5 MiB + 0.5 MiB: just fits
		{0x481000, 6},
		{ImageBase, 3},
	} {
		if got := MiB(c.end); got != c.want {
			t.Errorf("MiB(%#x) = %d, want %d", c.end, got, c.want)
		}
		// The result leaves StartupFrames frames beside the image, and one MiB less would not.
		free := func(mib int) uint64 {
			top := uint64(mib) << 20
			end := (c.end + PageSize - 1) &^ (PageSize - 1)
			if top < end {
				return 0
			}
			return (ImageBase-FirstUsable)/PageSize + (top-end)/PageSize
		}
		if m := MiB(c.end); free(m) < StartupFrames || free(m-1) >= StartupFrames {
			t.Errorf("MiB(%#x) = %d: %d frames free there, %d with 1 MiB less", c.end, m, free(m), free(m-1))
		}
	}
}
