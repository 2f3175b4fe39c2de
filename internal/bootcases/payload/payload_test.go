package payload

import (
	"bytes"
	"testing"
)

// TestBytes: the same seed gives the same bytes (the second boot recomputes what the first
// wrote), another seed others, and a shorter run is a prefix.
func TestBytes(t *testing.T) {
	a, b := Bytes(3, 1000), Bytes(3, 1000)
	if len(a) != 1000 || !bytes.Equal(a, b) {
		t.Fatalf("two runs with seed 3 differ")
	}
	if bytes.Equal(a, Bytes(4, 1000)) {
		t.Errorf("seeds 3 and 4 give the same bytes")
	}
	if !bytes.Equal(Bytes(3, 10), a[:10]) {
		t.Errorf("a shorter run is not a prefix")
	}
	if bytes.Count(a, []byte{a[0]}) == len(a) {
		t.Errorf("constant bytes")
	}
}
