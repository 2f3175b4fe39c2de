package runstats

import (
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	if got := Median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("odd count: %v", got)
	}
	if got := Median([]time.Duration{4, 1, 3, 2}); got != 2 { // (2+3)/2 in integers
		t.Errorf("even count: %v", got)
	}
	if got := Median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("even count, floats: %v", got)
	}
	if got := Median[int](nil); got != 0 {
		t.Errorf("none: %v", got)
	}
	v := []int{3, 1, 2}
	Median(v)
	if v[0] != 3 {
		t.Error("Median sorted its argument")
	}
}
