package modify

import (
	"strings"

	"github.com/hooksim/hooksim/simulator/wire"
)

// stripBrackets is Stalwart's strip_brackets: trim white space; when the
// result starts with "<", keep what lies between it and the last ">" (or
// the rest when there is no ">"), trimmed again.
func stripBrackets(addr string) string {
	addr = strings.TrimSpace(addr)
	rest, ok := strings.CutPrefix(addr, "<")
	if !ok {
		return addr
	}
	if i := strings.LastIndexByte(rest, '>'); i >= 0 {
		rest = rest[:i]
	}
	return strings.TrimSpace(rest)
}

// flattenParameters joins ESMTP parameters as Stalwart's
// flatten_parameters does: "KEY=VALUE" or "KEY", separated by one space.
// Stalwart iterates a hash map, so its order is arbitrary; here the order
// is the one the hook sent.
func flattenParameters(params []wire.Parameter) string {
	var b strings.Builder
	for _, p := range params {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p.Key)
		if p.Value != nil {
			b.WriteByte('=')
			b.WriteString(*p.Value)
		}
	}
	return b.String()
}

// newAddress builds an envelope address from a hook's value, as Stalwart
// builds a SessionAddress for changeFrom and addRecipient.
func newAddress(value string, params []wire.Parameter) Address {
	addr := stripBrackets(value)
	return Address{Address: addr, Lower: rustLower(addr), Params: flattenParameters(params)}
}
