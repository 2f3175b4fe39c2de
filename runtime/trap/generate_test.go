package trap

import (
	"testing"

	"github.com/unikgen/unikgen/internal/testenv"
)

// TestVectorsUpToDate: vectors_amd64.s is what gen_vectors.go writes.
func TestVectorsUpToDate(t *testing.T) {
	testenv.CheckGenerated(t, "gen_vectors.go", "vectors_amd64.s")
}
