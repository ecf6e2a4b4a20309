package recorder

import "github.com/hooksim/hooksim/simulator/wire"

// MaxLints and LintLeftOut are the simulator's: lints are counted and
// capped where they are reported (wire.CompactLints), and again here for
// lints from elsewhere.
const (
	MaxLints    = wire.MaxLints
	LintLeftOut = wire.LintLeftOut
)

// compactLints is wire.CompactLints: lints as stored.
func compactLints(l []wire.Lint) []wire.Lint { return wire.CompactLints(l) }
