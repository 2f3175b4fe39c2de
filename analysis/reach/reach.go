// This file implements the reachability fixpoint (RTA with unikgen's
// extensions).

package reach

import (
	"go/constant"
	"go/token"
	"go/types"
	"sort"
	"strings"

	"github.com/unikgen/unikgen/analysis/load"
	"golang.org/x/tools/go/ssa"
	"golang.org/x/tools/go/types/typeutil"
)

// EdgeKind says how a call edge was found.
type EdgeKind uint8

// Edge kinds. The first three are static: they do not depend on types that
// flow at run time.
const (
	Static   EdgeKind = iota // a call of a statically known function
	Linkname                 // a bodyless declaration linked to a body by //go:linkname or by name
	Asm                      // an assembly body referring to a Go function
	Dynamic                  // a call of a func value
	Invoke                   // an interface method call
	Reflect                  // a method kept by the reflection rule
	// The following kinds are edges that RTA finds but that type
	// propagation (VTA, see Refine) does not confirm: a func value or
	// interface of that type exists, but none flows to the call.
	WeakDynamic // a dynamic call by signature only
	WeakInvoke  // an interface call by method set only
	ReflectCall // reflect.Value.Call to an address-taken function
	Root        // a root of the runtime (no caller)
)

var kindNames = [...]string{"static", "linkname", "asm", "dynamic", "interface", "reflect",
	"dynamic?", "interface?", "reflect-call", "root"}

func (k EdgeKind) String() string { return kindNames[k] }

// IsStatic reports whether the edge is known without run-time type flow.
func (k EdgeKind) IsStatic() bool { return k <= Asm }

// IsPrecise reports whether the edge is static or confirmed by type flow.
func (k EdgeKind) IsPrecise() bool { return k <= Reflect }

// An Edge is a call edge of the reachable program.
type Edge struct {
	Caller, Callee *ssa.Function
	Site           ssa.CallInstruction // nil for Linkname, Asm, Reflect
	Pos            token.Pos
	Kind           EdgeKind
}

// Options configures Analyze.
type Options struct {
	// Roots are the program's entry points, in preferred order for witness
	// paths (main.main before main.init, as cmd/deadcode does).
	Roots []*ssa.Function
	// Linknames and Asm describe the edges SSA cannot see (see package load).
	Linknames []load.Linkname
	Asm       []load.AsmFunc
	// NoRuntimeRoots disables the runtime's roots.
	NoRuntimeRoots bool
	// ExtraRoots are linker-style symbols entered from outside Go, such
	// as a kernel's ELF entry point: Go functions, or assembly-only
	// symbols (then what their assembly refers to). Unknown symbols are
	// ignored.
	ExtraRoots []string
	// Visit, if non-nil, is called for every instruction in a live block of
	// every reachable function.
	Visit func(fn *ssa.Function, instr ssa.Instruction)
}

// Result is the outcome of Analyze.
type Result struct {
	Prog *ssa.Program
	// Roots are all roots in preferred order: the given ones, then the
	// runtime's.
	Roots []*ssa.Function
	// NumUserRoots is the number of leading Roots given in Options.
	NumUserRoots int
	// Reachable is the set of reachable functions.
	Reachable map[*ssa.Function]bool
	// Edges are all call edges between reachable functions.
	Edges []*Edge
	// AsmSyscalls maps each reachable function implemented in assembly to
	// the constant system call numbers its assembly (or the assembly-only
	// symbols it refers to) makes. RuntimeAsm holds those of the runtime's
	// assembly-only roots.
	AsmSyscalls map[*ssa.Function][]int
	RuntimeAsm  []int
	// ReflectAll is the first reachable function found that calls reflect's
	// Method or MethodByName with a non-constant name (nil if none); then
	// every exported method of every runtime type is reachable.
	ReflectAll    *ssa.Function
	ReflectAllPos token.Pos
	// ReflectNames maps each constant MethodByName name to a function
	// calling it.
	ReflectNames map[string]*ssa.Function
	in           map[*ssa.Function][]*Edge // by callee, built on demand

	// Refined is set by Refine.
	Refined bool

	// globalStores records the values stored to package variables in live
	// code; globalEscapes the variables whose address is used otherwise.
	globalStores  map[*ssa.Global][]ssa.Value
	globalEscapes map[*ssa.Global]bool

	// PrunedBlocks counts the basic blocks skipped because a constant
	// condition never reaches them.
	PrunedBlocks int
}

// Analyze computes the functions reachable from opts.Roots in prog, which must
// have been built with ssa.InstantiateGenerics.
func Analyze(prog *ssa.Program, opts Options) *Result {
	r := &rta{
		prog:     prog,
		opts:     opts,
		visitors: opts.Visit,
		res: &Result{
			Prog:         prog,
			Reachable:    map[*ssa.Function]bool{},
			AsmSyscalls:  map[*ssa.Function][]int{},
			ReflectNames: map[string]*ssa.Function{},

			globalStores:  map[*ssa.Global][]ssa.Value{},
			globalEscapes: map[*ssa.Global]bool{},
		},
	}
	h := typeutil.MakeHasher()
	r.addrBySig.SetHasher(h)
	r.dynSites.SetHasher(h)
	r.invokeSites.SetHasher(h)
	r.concrete.SetHasher(h)
	r.ifaces.SetHasher(h)
	r.elems.SetHasher(h)
	r.setupLinks()
	if rp := prog.ImportedPackage("reflect"); rp != nil {
		if t, ok := rp.Members["Value"].(*ssa.Type); ok {
			r.reflectCall = prog.LookupMethod(t.Type(), rp.Pkg, "Call")
			r.reflectCallSlice = prog.LookupMethod(t.Type(), rp.Pkg, "CallSlice")
		}
	}

	r.res.Roots = append(r.res.Roots, opts.Roots...)
	r.res.NumUserRoots = len(opts.Roots)
	r.res.Roots = append(r.res.Roots, r.extraRoots()...)
	if !opts.NoRuntimeRoots {
		r.res.Roots = append(r.res.Roots, r.runtimeRoots()...)
	}
	for _, f := range r.res.Roots {
		r.reach(f)
	}
	for len(r.work) > 0 {
		f := r.work[len(r.work)-1]
		r.work = r.work[:len(r.work)-1]
		r.visit(f)
	}
	return r.res
}

// rta is the working state of the fixpoint.
type rta struct {
	prog     *ssa.Program
	opts     Options
	res      *Result
	visitors func(*ssa.Function, ssa.Instruction)
	work     []*ssa.Function

	// address-taken functions × dynamic call sites, by signature
	addrBySig typeutil.Map // *types.Signature -> []*ssa.Function
	addrSet   map[*ssa.Function]bool
	addrList  []*ssa.Function
	dynSites  typeutil.Map // *types.Signature -> []ssa.CallInstruction

	// runtime types × invoke sites, by interface
	invokeSites typeutil.Map // *types.Interface -> []ssa.CallInstruction
	concrete    typeutil.Map // types.Type -> *concreteInfo
	concList    []*concreteInfo
	ifaces      typeutil.Map // *types.Interface -> *ifaceInfo
	ifaceList   []*ifaceInfo
	elems       typeutil.Map // types.Type -> bool: visited by addRuntimeType

	// reflection
	reflectCall, reflectCallSlice *ssa.Function
	reflectCallLive               *ssa.Function // whichever became reachable first

	// links
	pushes   map[string]*ssa.Function // symbol -> function with body pushed under it
	pulls    map[*ssa.Function]string // bodyless function -> symbol it pulls
	asmFuncs map[string]*load.AsmFunc // symbol -> assembly
	asmMemo  map[string]*asmClosure   // symbol -> closure over assembly-only refs
	byName   map[string]*ssa.Function // memo for funcBySym
	asmRoots []*ssa.Function          // Go functions referenced by runtime assembly-only symbols
}

type concreteInfo struct {
	T          types.Type
	mset       *types.MethodSet
	implements []*types.Interface
}

type ifaceInfo struct {
	I     *types.Interface
	mset  *types.MethodSet
	impls []types.Type
}

// reach marks f reachable and queues it.
func (r *rta) reach(f *ssa.Function) {
	if f == nil || r.res.Reachable[f] {
		return
	}
	r.res.Reachable[f] = true
	r.work = append(r.work, f)
}

func (r *rta) edge(caller *ssa.Function, site ssa.CallInstruction, callee *ssa.Function, kind EdgeKind, pos token.Pos) {
	if callee == nil {
		return
	}
	r.res.Edges = append(r.res.Edges, &Edge{Caller: caller, Callee: callee, Site: site, Pos: pos, Kind: kind})
	r.reach(callee)
}

// liveBlocks returns the blocks of f reachable from its entry when constant
// conditions take only their taken edge.
func liveBlocks(f *ssa.Function) []*ssa.BasicBlock {
	if len(f.Blocks) == 0 {
		return nil
	}
	seen := make([]bool, len(f.Blocks))
	var live []*ssa.BasicBlock
	stack := []*ssa.BasicBlock{f.Blocks[0]}
	if f.Recover != nil {
		stack = append(stack, f.Recover)
	}
	for len(stack) > 0 {
		b := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[b.Index] {
			continue
		}
		seen[b.Index] = true
		live = append(live, b)
		succs := b.Succs
		if n := len(b.Instrs); n > 0 {
			if iff, ok := b.Instrs[n-1].(*ssa.If); ok {
				if c, ok := iff.Cond.(*ssa.Const); ok && c.Value != nil && c.Value.Kind() == constant.Bool {
					if constant.BoolVal(c.Value) {
						succs = succs[:1]
					} else {
						succs = succs[1:]
					}
				}
			}
		}
		stack = append(stack, succs...)
	}
	sort.Slice(live, func(i, j int) bool { return live[i].Index < live[j].Index })
	return live
}

// visit processes the body of a newly reachable function.
func (r *rta) visit(f *ssa.Function) {
	if f == r.reflectCall || f == r.reflectCallSlice {
		if r.reflectCallLive == nil {
			r.reflectCallLive = f
			for _, g := range r.addrList {
				r.edge(f, nil, g, ReflectCall, token.NoPos)
			}
		}
	}
	if f.Blocks == nil {
		r.visitBodyless(f)
		return
	}
	live := liveBlocks(f)
	r.res.PrunedBlocks += len(f.Blocks) - len(live)
	var space [32]*ssa.Value
	for _, b := range live {
		for _, instr := range b.Instrs {
			if r.visitors != nil {
				r.visitors(f, instr)
			}
			rands := instr.Operands(space[:0])
			switch instr := instr.(type) {
			case ssa.CallInstruction:
				r.visitCall(f, instr)
				rands = rands[1:] // the callee operand is not address-taken
			case *ssa.MakeInterface:
				r.addRuntimeType(instr.X.Type())
			}
			for i, op := range rands {
				switch v := (*op).(type) {
				case *ssa.Function:
					r.addrTaken(v)
					if v.Blocks == nil && r.hasAsm(v) {
						// The address of an assembly function is taken
						// to be installed somewhere (an interrupt
						// table, a signal handler): it can run.
						r.edge(f, nil, v, Asm, instr.Pos())
					}
				case *ssa.Global:
					r.globalUse(instr, i, v)
				}
			}
		}
	}
}

func (r *rta) visitCall(f *ssa.Function, site ssa.CallInstruction) {
	call := site.Common()
	switch {
	case call.IsInvoke():
		r.reflectMethodUse(f, site)
		I := call.Value.Type().Underlying().(*types.Interface)
		sites, _ := r.invokeSites.At(I).([]ssa.CallInstruction)
		r.invokeSites.Set(I, append(sites, site))
		for _, C := range r.implementations(I) {
			r.invokeEdge(site, C)
		}
	case call.StaticCallee() != nil:
		r.reflectMethodUse(f, site)
		r.edge(f, site, call.StaticCallee(), Static, site.Pos())
	default:
		if _, ok := call.Value.(*ssa.Builtin); ok {
			return
		}
		S := call.Signature()
		sites, _ := r.dynSites.At(S).([]ssa.CallInstruction)
		r.dynSites.Set(S, append(sites, site))
		funcs, _ := r.addrBySig.At(S).([]*ssa.Function)
		for _, g := range funcs {
			r.edge(f, site, g, Dynamic, site.Pos())
		}
	}
}

func (r *rta) invokeEdge(site ssa.CallInstruction, C types.Type) {
	m := site.Common().Method
	r.edge(site.Parent(), site, r.prog.LookupMethod(C, m.Pkg(), m.Name()), Invoke, site.Pos())
}

// globalUse records how instr uses package variable g (its i-th operand).
func (r *rta) globalUse(instr ssa.Instruction, i int, g *ssa.Global) {
	switch instr := instr.(type) {
	case *ssa.Store:
		if i == 0 && instr.Addr == g {
			r.res.globalStores[g] = append(r.res.globalStores[g], instr.Val)
			return
		}
	case *ssa.UnOp:
		if instr.Op == token.MUL {
			return // a load
		}
	}
	r.res.globalEscapes[g] = true
}

// addrTaken records a function whose value is taken.
func (r *rta) addrTaken(g *ssa.Function) {
	if r.addrSet == nil {
		r.addrSet = map[*ssa.Function]bool{}
	}
	if r.addrSet[g] {
		return
	}
	r.addrSet[g] = true
	r.addrList = append(r.addrList, g)
	S := g.Signature
	funcs, _ := r.addrBySig.At(S).([]*ssa.Function)
	r.addrBySig.Set(S, append(funcs, g))
	sites, _ := r.dynSites.At(S).([]ssa.CallInstruction)
	for _, site := range sites {
		r.edge(site.Parent(), site, g, Dynamic, site.Pos())
	}
	if r.reflectCallLive != nil {
		r.edge(r.reflectCallLive, nil, g, ReflectCall, token.NoPos)
	}
}

// reflectMethodUse applies the linker's rule to a call of reflect's
// Type.Method, Type.MethodByName, Value.Method or Value.MethodByName
// (cmd/compile/internal/walk.usemethod).
func (r *rta) reflectMethodUse(f *ssa.Function, site ssa.CallInstruction) {
	call := site.Common()
	var name string
	var args []ssa.Value
	if call.IsInvoke() {
		name, args = call.Method.Name(), call.Args
	} else {
		callee := call.StaticCallee()
		if callee.Signature.Recv() == nil {
			return
		}
		name, args = callee.Name(), call.Args[1:]
	}
	if name != "Method" && name != "MethodByName" {
		return
	}
	sig := call.Signature()
	if sig.Params().Len() != 1 || len(args) != 1 || (sig.Results().Len() != 1 && sig.Results().Len() != 2) {
		return
	}
	pt, ok := sig.Params().At(0).Type().Underlying().(*types.Basic)
	if !ok || (name == "Method" && pt.Kind() != types.Int) || (name == "MethodByName" && pt.Kind() != types.String) {
		return
	}
	res, ok := types.Unalias(sig.Results().At(0).Type()).(*types.Named)
	if !ok || res.Obj().Pkg() == nil || res.Obj().Pkg().Path() != "reflect" ||
		(res.Obj().Name() != "Method" && res.Obj().Name() != "Value") {
		return
	}
	// reflect's own implementations of these methods do not count.
	if f.Pkg != nil && f.Pkg.Pkg.Path() == "reflect" && f.Signature.Recv() != nil &&
		(f.Name() == "Method" || f.Name() == "MethodByName") {
		return
	}
	if c, ok := args[0].(*ssa.Const); ok && name == "MethodByName" && c.Value != nil && c.Value.Kind() == constant.String {
		n := constant.StringVal(c.Value)
		if _, seen := r.res.ReflectNames[n]; seen {
			return
		}
		r.res.ReflectNames[n] = f
		for _, ci := range r.concList {
			r.keepMethods(f, ci, n)
		}
		return
	}
	if r.res.ReflectAll != nil {
		return
	}
	r.res.ReflectAll, r.res.ReflectAllPos = f, site.Pos()
	for _, ci := range r.concList {
		r.keepMethods(f, ci, "")
	}
}

// keepMethods makes the exported methods of a runtime type reachable through
// reflection: all of them if name is "", else the one called name.
func (r *rta) keepMethods(from *ssa.Function, ci *concreteInfo, name string) {
	for i := 0; i < ci.mset.Len(); i++ {
		sel := ci.mset.At(i)
		obj := sel.Obj()
		if !obj.Exported() || (name != "" && obj.Name() != name) {
			continue
		}
		if obj.Type().(*types.Signature).TypeParams() != nil {
			continue // generic methods cannot be called through reflection
		}
		r.edge(from, nil, r.prog.MethodValue(sel), Reflect, token.NoPos)
	}
}

// addRuntimeType records that values of type T may be the dynamic type of an
// interface, and so may every type reflection can derive from T.
func (r *rta) addRuntimeType(T types.Type) {
	if r.elems.At(T) != nil {
		return
	}
	r.elems.Set(T, true)
	mset := r.prog.MethodSets.MethodSet(T)
	for i := 0; i < mset.Len(); i++ {
		sig := mset.At(i).Type().(*types.Signature)
		if sig.TypeParams() == nil {
			r.addRuntimeType(sig.Params())
			r.addRuntimeType(sig.Results())
		}
	}
	switch T := T.(type) {
	case *types.Alias:
		r.addRuntimeType(types.Unalias(T))
		return
	case *types.Named:
		r.addRuntimeType(types.NewPointer(T))
		r.addRuntimeType(T.Underlying())
	case *types.Pointer:
		r.addRuntimeType(T.Elem())
	case *types.Slice:
		r.addRuntimeType(T.Elem())
	case *types.Array:
		r.addRuntimeType(T.Elem())
	case *types.Chan:
		r.addRuntimeType(T.Elem())
	case *types.Map:
		r.addRuntimeType(T.Key())
		r.addRuntimeType(T.Elem())
	case *types.Signature:
		r.addRuntimeType(T.Params())
		r.addRuntimeType(T.Results())
	case *types.Struct:
		for i := 0; i < T.NumFields(); i++ {
			r.addRuntimeType(T.Field(i).Type())
		}
	case *types.Tuple:
		for i := 0; i < T.Len(); i++ {
			r.addRuntimeType(T.At(i).Type())
		}
		return // a tuple is not a type of a value
	}
	if types.IsInterface(T) {
		return
	}
	ci := r.concreteInfo(T)
	if r.res.ReflectAll != nil {
		r.keepMethods(r.res.ReflectAll, ci, "")
	} else {
		names := make([]string, 0, len(r.res.ReflectNames))
		for n := range r.res.ReflectNames {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			r.keepMethods(r.res.ReflectNames[n], ci, n)
		}
	}
	for _, I := range ci.implements {
		sites, _ := r.invokeSites.At(I).([]ssa.CallInstruction)
		for _, site := range sites {
			r.invokeEdge(site, T)
		}
	}
}

// concreteInfo returns the info of runtime type C, creating it on first use.
func (r *rta) concreteInfo(C types.Type) *concreteInfo {
	if v := r.concrete.At(C); v != nil {
		return v.(*concreteInfo)
	}
	ci := &concreteInfo{T: C, mset: r.prog.MethodSets.MethodSet(C)}
	r.concrete.Set(C, ci)
	r.concList = append(r.concList, ci)
	for _, ii := range r.ifaceList {
		if implements(ci, ii) {
			ii.impls = append(ii.impls, C)
			ci.implements = append(ci.implements, ii.I)
		}
	}
	return ci
}

// implementations returns the runtime types known so far that implement I.
func (r *rta) implementations(I *types.Interface) []types.Type {
	if v := r.ifaces.At(I); v != nil {
		return v.(*ifaceInfo).impls
	}
	ii := &ifaceInfo{I: I, mset: r.prog.MethodSets.MethodSet(I)}
	r.ifaces.Set(I, ii)
	r.ifaceList = append(r.ifaceList, ii)
	for _, ci := range r.concList {
		if implements(ci, ii) {
			ci.implements = append(ci.implements, I)
			ii.impls = append(ii.impls, ci.T)
		}
	}
	return ii.impls
}

// implements is types.Implements with a quick rejection: a concrete type
// with fewer methods than the interface cannot implement it, nor one lacking
// the interface's first method name.
func implements(ci *concreteInfo, ii *ifaceInfo) bool {
	if ii.mset.Len() > ci.mset.Len() {
		return false
	}
	if ii.mset.Len() > 0 {
		m := ii.mset.At(0).Obj()
		if ci.mset.Lookup(m.Pkg(), m.Name()) == nil {
			return false
		}
	}
	return types.Implements(ci.T, ii.I)
}

// runtimeRoots returns the runtime's functions with bodies and the Go
// functions that its assembly-only symbols refer to.
func (r *rta) runtimeRoots() []*ssa.Function {
	var roots []*ssa.Function
	for _, p := range r.prog.AllPackages() {
		path := p.Pkg.Path()
		if path != "runtime" && !strings.HasPrefix(path, "internal/runtime/") {
			continue
		}
		for _, m := range p.Members {
			if f, ok := m.(*ssa.Function); ok && f.Blocks != nil && f.TypeParams() == nil {
				roots = append(roots, f)
			}
		}
	}
	sort.Slice(roots, func(i, j int) bool { return roots[i].String() < roots[j].String() })
	return append(roots, r.asmRoots...)
}
