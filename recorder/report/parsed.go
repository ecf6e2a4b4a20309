package report

import (
	"maps"
	"slices"
	"strconv"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/wire"
	"github.com/hooksim/hooksim/store/jsonesc"
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

// ModificationLines renders modifications one per line, as the
// transcript and the expectation failures do (simulator.DescribeModification:
// `addHeader X-Spam: "yes"`, `changeHeader #1 Subject: "x"`,
// `addRecipient a@b.org NOTIFY=NEVER`), parameters sorted by key, as
// Parsed keeps them (Stalwart reads them into a map too). Never nil.
func ModificationLines(mods []Modification) []string {
	out := make([]string, 0, len(mods))
	for _, m := range mods {
		out = append(out, simulator.DescribeModification(m.Wire()))
	}
	return out
}

// AppendParsed appends the JSON of ParsedOf(r) to b: the same bytes
// json.Marshal writes for it ("null" for nil), without its reflection;
// the recorder stores it with every parsed answer (store.Exchange.Parsed).
// Parameters of one key keep the last value, as in ParsedOf's map.
func AppendParsed(b []byte, r *wire.Response) []byte {
	if r == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"action":`...)
	b = jsonesc.AppendQuoted(b, string(r.Action))
	b = append(b, `,"response":`...)
	if rp := r.Reply; rp == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"status":`...)
		if rp.Status == nil {
			b = append(b, "null"...)
		} else {
			b = strconv.AppendUint(b, uint64(*rp.Status), 10)
		}
		b = append(b, `,"enhanced_status":`...)
		b = appendStringPtr(b, rp.EnhancedStatus)
		b = append(b, `,"message":`...)
		b = appendStringPtr(b, rp.Message)
		b = append(b, `,"disconnect":`...)
		b = strconv.AppendBool(b, rp.Disconnect)
		b = append(b, '}')
	}
	b = append(b, `,"modifications":[`...)
	for i, m := range r.Modifications {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"type":`...)
		b = jsonesc.AppendQuoted(b, string(m.Type))
		if m.Name != "" {
			b = append(b, `,"name":`...)
			b = jsonesc.AppendQuoted(b, m.Name)
		}
		b = append(b, `,"value":`...)
		b = jsonesc.AppendQuoted(b, m.Value)
		b = append(b, `,"index":`...)
		b = strconv.AppendUint(b, uint64(m.Index), 10)
		if len(m.Parameters) > 0 {
			b = appendParameters(b, m.Parameters)
		}
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

func appendStringPtr(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return jsonesc.AppendQuoted(b, *s)
}

// appendParameters writes ps as ParsedOf's map marshals: keys sorted by
// their bytes, the last value of a repeated key.
func appendParameters(b []byte, ps []wire.Parameter) []byte {
	last := make(map[string]*string, len(ps))
	for _, p := range ps {
		last[p.Key] = p.Value
	}
	b = append(b, `,"parameters":{`...)
	for i, k := range slices.Sorted(maps.Keys(last)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonesc.AppendQuoted(b, k)
		b = append(b, ':')
		b = appendStringPtr(b, last[k])
	}
	return append(b, '}')
}

// Wire is m as the simulator's wire type, its parameters sorted by key
// (the vocabulary keeps them as a map, as Stalwart does).
func (m Modification) Wire() wire.Modification {
	w := wire.Modification{Type: wire.ModType(m.Type), Name: m.Name, Value: m.Value, Index: m.Index}
	for _, k := range slices.Sorted(maps.Keys(m.Parameters)) {
		w.Parameters = append(w.Parameters, wire.Parameter{Key: k, Value: m.Parameters[k]})
	}
	return w
}

// LintsOf is ls in the vocabulary; never nil.
func LintsOf(ls []wire.Lint) []Lint {
	out := make([]Lint, len(ls))
	for i, l := range ls {
		out[i] = Lint{Code: l.Code, Path: l.Path, Message: l.Message, Fix: l.Fix, Count: l.Count}
	}
	return out
}
