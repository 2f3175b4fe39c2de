package gen

// This file implements the use of the analysis cache (package analysis/cache) by Generate.

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/unikgen/unikgen/analysis"
	"github.com/unikgen/unikgen/analysis/cache"
	"github.com/unikgen/unikgen/gen/plan"
	"github.com/unikgen/unikgen/internal/libos"
)

// cacheSalt is the format of cachedAnalysis: change it when the type changes.
const cacheSalt = "gen.cachedAnalysis v1"

// mainPackage is the main package: its import path and directory.
type mainPackage struct {
	Path string `json:"path"`
	Dir  string `json:"dir"`
}

// cachedAnalysis is what Generate keeps of one analysis: all that it reads after the analysis. Its
// key covers every file of the main package, so the configuration read from it is kept too.
type cachedAnalysis struct {
	Main     mainPackage      `json:"main"`
	Config   cachedConfig     `json:"config"`
	Analysis *analysis.Result `json:"analysis"`
	// Reaches answers advice's reachability questions (adviceFuncs).
	Reaches map[string]bool `json:"reaches"`
}

// cachedConfig is a userConfig.
type cachedConfig struct {
	Settings plan.Settings     `json:"settings"`
	Found    bool              `json:"found"`
	Pos      string            `json:"pos"`
	Field    map[string]string `json:"field"`
}

func (c cachedConfig) userConfig() *userConfig {
	field := c.Field
	if field == nil {
		field = map[string]string{}
	}
	return &userConfig{Settings: c.Settings, found: c.Found, pos: c.Pos, field: field}
}

func newCachedAnalysis(main mainPackage, uc *userConfig, r *analysis.Result) *cachedAnalysis {
	c := &cachedAnalysis{Main: main, Analysis: r, Reaches: map[string]bool{},
		Config: cachedConfig{Settings: uc.Settings, Found: uc.found, Pos: uc.pos, Field: uc.field}}
	for _, fn := range adviceFuncs {
		_, err := r.Why(fn)
		c.Reaches[fn] = err == nil
	}
	return c
}

// cacheGet computes the key of o's program and returns its entry, if the cache has one. The
// CacheUse has the key (to write the entry after an analysis) and any warning.
func cacheGet(ctx context.Context, o Options, pattern string) (*cachedAnalysis, CacheUse) {
	var use CacheUse
	// The key covers the library OS's packages too: the listing is the one build.Resolve makes
	// with ListDeps (o.Listing), or the same made here.
	in := cache.Inputs{Dir: o.Dir, Patterns: []string{pattern}, Tags: o.Tags, Env: o.Env, Salt: cacheSalt}
	listing, key, err := o.Listing, o.CacheKey, error(nil)
	if listing == nil && key == "" {
		listing, err = cache.List(ctx, in, libos.GeneratorPackages, o.Trace)
	}
	if err == nil && key == "" {
		key, use.Snapshot, err = cache.KeySnapshot(listing, in, func(p string) bool { return slices.Contains(libos.GeneratorPackages, p) })
	}
	var nk *cache.NoKeyError
	switch {
	case errors.As(err, &nk):
		return nil, use // the analysis reports the program's errors
	case err != nil:
		use.Warning = fmt.Sprintf("analysis cache: %v", err)
		return nil, use
	}
	use.Key = key
	c := new(cachedAnalysis)
	ok, err := o.Cache.Get(key, c)
	if err != nil {
		use.Warning = err.Error()
		return nil, use
	}
	if !ok || c.Analysis == nil || c.Main.Path == "" {
		return nil, use
	}
	use.Hit = true
	return c, use
}
