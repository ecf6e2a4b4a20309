package report

import (
	"fmt"
	"strconv"

	"github.com/hooksim/hooksim/simulator/wire"
)

// ParsedOf is r in the vocabulary; nil for nil.
func ParsedOf(r *wire.Response) *Parsed {
	if r == nil {
		return nil
	}
	v := &Parsed{Action: string(r.Action), Modifications: []Modification{}}
	if r.Reply != nil {
		v.Response = &Reply{Status: r.Reply.Status, EnhancedStatus: r.Reply.EnhancedStatus, Message: r.Reply.Message, Disconnect: r.Reply.Disconnect}
	}
	for _, m := range r.Modifications {
		mv := Modification{Type: string(m.Type), Name: m.Name, Value: m.Value, Index: m.Index}
		if len(m.Parameters) > 0 {
			mv.Parameters = map[string]*string{}
			for _, p := range m.Parameters {
				mv.Parameters[p.Key] = p.Value
			}
		}
		v.Modifications = append(v.Modifications, mv)
	}
	return v
}

// ModificationLines renders modifications one per line, as a person reads
// them: `addHeader X-Spam: "yes"`, `changeHeader Subject[1]: "x"`,
// `deleteHeader Received[2]`, `replaceContents (812 bytes)`,
// `addRecipient "a@b.org" NOTIFY=NEVER`. Never nil.
func ModificationLines(mods []wire.Modification) []string {
	out := make([]string, 0, len(mods))
	for _, m := range mods {
		switch m.Type {
		case wire.ModAddHeader:
			out = append(out, fmt.Sprintf("%s %s: %s", m.Type, m.Name, strconv.Quote(m.Value)))
		case wire.ModInsertHeader, wire.ModChangeHeader:
			out = append(out, fmt.Sprintf("%s %s[%d]: %s", m.Type, m.Name, m.Index, strconv.Quote(m.Value)))
		case wire.ModDeleteHeader:
			out = append(out, fmt.Sprintf("%s %s[%d]", m.Type, m.Name, m.Index))
		case wire.ModReplaceContents:
			out = append(out, fmt.Sprintf("%s (%d bytes)", m.Type, len(m.Value)))
		default:
			s := fmt.Sprintf("%s %s", m.Type, strconv.Quote(m.Value))
			for _, p := range m.Parameters {
				if p.Value == nil {
					s += " " + p.Key
				} else {
					s += " " + p.Key + "=" + *p.Value
				}
			}
			out = append(out, s)
		}
	}
	return out
}

// LintsOf is ls in the vocabulary; never nil.
func LintsOf(ls []wire.Lint) []Lint {
	out := make([]Lint, len(ls))
	for i, l := range ls {
		out[i] = Lint{Code: l.Code, Path: l.Path, Message: l.Message, Fix: l.Fix, Count: l.Count}
	}
	return out
}
