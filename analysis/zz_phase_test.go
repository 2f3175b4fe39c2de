package analysis_test

import (
	"context"
	"strings"
	"testing"

	"github.com/unikgen/unikgen/analysis"
)

func TestZZPhase(t *testing.T) {
	for i := 0; i < 3; i++ {
		_, err := analysis.Analyze(context.Background(), analysis.Config{Patterns: []string{"./testdata/httpserver"}, Log: func(f string, a ...any) {
			if strings.Contains(f, "refine") || strings.Contains(f, "reach") {
				t.Logf(f, a...)
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
}
