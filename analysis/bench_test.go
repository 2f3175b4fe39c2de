package analysis_test

import (
	"context"
	"testing"

	"github.com/unikgen/unikgen/analysis"
)

// BenchmarkAnalyze measures analysis.Analyze (load, SSA, reachability and
// derived results) per program. For peak memory, run `go run ./analysis/bench`,
// which measures each analysis in its own process.
func BenchmarkAnalyze(b *testing.B) {
	for _, name := range []string{"hello", "goroutines", "httpserver"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				r, err := analysis.Analyze(context.Background(), analysis.Config{Patterns: []string{"./testdata/" + name}})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(r.Stats.Reachable), "funcs")
			}
		})
	}
}
