package unsupported_test

import (
	"testing"

	"github.com/unikgen/unikgen/analysis/unsupported"
	"golang.org/x/tools/go/analysis/analysistest"
)

func TestAnalyzer(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), unsupported.Analyzer, "a", "b")
}
