package modify

import (
	"slices"

	"github.com/hooksim/hooksim/simulator/wire"
)

// Accumulate adds the modifications of one more accepting hook to those
// gathered from the hooks before it, as Stalwart's run_mta_hooks does: when
// next holds any replaceContents, the earlier hooks' replaceContents are
// dropped (the body is replaced by the last hook that replaces it), and
// next is appended. acc is not modified.
func Accumulate(acc, next []wire.Modification) []wire.Modification {
	out := slices.Clone(acc)
	if slices.ContainsFunc(next, isReplace) {
		out = slices.DeleteFunc(out, isReplace)
	}
	return append(out, next...)
}

func isReplace(m wire.Modification) bool { return m.Type == wire.ModReplaceContents }
