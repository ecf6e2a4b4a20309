package modify

import (
	"github.com/hooksim/hooksim/simulator/internal/text"
	"slices"
	"strings"

	"github.com/hooksim/hooksim/simulator/wire"
)

// Address is one envelope address after Stalwart's handling.
type Address struct {
	Address string // as given (brackets stripped)
	Lower   string // lower-cased; what the hook request shows
	Params  string // flattened ESMTP parameters "K=V K2" (parameter order as the hook sent them)
}

// Envelope is the transaction's sender and recipients.
type Envelope struct {
	From *Address // nil: no sender; From.Address "": the null sender
	To   []Address
}

// clone returns a deep copy of e.
func (e Envelope) clone() Envelope {
	out := Envelope{To: slices.Clone(e.To)}
	if e.From != nil {
		from := *e.From
		out.From = &from
	}
	return out
}

// Result is the outcome of Apply and Edit.
type Result struct {
	Raw      []byte   // the new message (Apply only); nil when the message is unchanged
	Envelope Envelope // always a fresh copy (never aliases the input's To slice)
	Notes    []Note

	// out is the new message before it is written: every header line
	// and the body, slices of the received message or of the
	// modifications, in order. nil when the message is unchanged.
	out [][]byte
}

// Changed reports whether the modifications change the message (Raw is
// then set by Apply, and AppendMessage writes the new one).
func (r *Result) Changed() bool { return r.out != nil }

// Size is the length in bytes of the new message; 0 when unchanged.
func (r *Result) Size() int {
	n := 0
	for _, p := range r.out {
		n += len(p)
	}
	return n
}

// AppendMessage appends the new message to dst and returns the extended
// slice (dst unchanged when the message is unchanged). With cap(dst) at
// least len(dst)+Size() nothing is allocated: a caller can write the
// message after its own bytes (simulator/queued.go writes it after the
// server's headers) without a second copy of a large message.
func (r *Result) AppendMessage(dst []byte) []byte {
	for _, p := range r.out {
		dst = append(dst, p...)
	}
	return dst
}

// headerChange is one pending header edit, as Stalwart queues them: an add
// (index 0, not a change), an insert (index n, not a change) or a change
// (index n; an empty value deletes).
type headerChange struct {
	mod    int
	index  uint32
	name   string
	value  string
	change bool
}

// Apply applies modifications to msg and env the way Stalwart's
// apply_milter_modifications does after the data-stage hooks accepted, in
// list order and against the message as received. mods are taken as one
// list already merged across hooks (see PROTOCOL.md §3 for how a later
// hook's replaceContents drops earlier ones). A nil msg is an empty
// message. Result.Raw is the new message in a buffer of its own, of
// exactly its size.
func Apply(msg *Message, env Envelope, mods []wire.Modification) Result {
	res := Edit(msg, env, mods)
	if res.Changed() {
		res.Raw = res.AppendMessage(make([]byte, 0, res.Size()))
	}
	return res
}

// Edit is Apply without writing the new message: Result.Raw stays nil,
// and Result.AppendMessage writes the message (Size bytes) where the
// caller wants it. The result holds slices of msg and of mods, which must
// not change until the message is written.
func Edit(msg *Message, env Envelope, mods []wire.Modification) Result {
	if msg == nil {
		msg = &Message{}
	}
	res := Result{Envelope: env.clone()}
	var ns notes
	var body []byte
	var changes []headerChange
	needsRewrite := false
	replaces := 0

	for i, m := range mods {
		switch m.Type {
		case wire.ModChangeFrom:
			from := newAddress(m.Value, m.Parameters)
			res.Envelope.From = &from
		case wire.ModAddRecipient:
			rcpt := newAddress(m.Value, m.Parameters)
			if !strings.Contains(rcpt.Address, "@") {
				ns.add(i, NoteAddRecipientNoAt, "addRecipient %q has no \"@\", so Stalwart ignores it.", rcpt.Address)
				continue
			}
			if slices.ContainsFunc(res.Envelope.To, func(a Address) bool { return a.Lower == rcpt.Lower }) {
				ns.add(i, NoteAddRecipientDuplicate, "addRecipient %q is already a recipient (addresses compare lower-cased), so it is not added again.", rcpt.Address)
				continue
			}
			res.Envelope.To = append(res.Envelope.To, rcpt)
		case wire.ModDeleteRecipient:
			rcpt := stripBrackets(m.Value)
			before := len(res.Envelope.To)
			res.Envelope.To = slices.DeleteFunc(res.Envelope.To, func(a Address) bool { return a.Lower == rcpt })
			if len(res.Envelope.To) == before {
				ns.add(i, NoteDeleteRecipientNoMatch, "deleteRecipient %q matched no recipient, so nothing was removed.", rcpt)
				if hasUpper(rcpt) {
					ns.add(i, NoteDeleteRecipientCase, "deleteRecipient %q has upper-case letters, but Stalwart compares it unchanged with lower-cased addresses, so it can never match; send %q.", rcpt, rustLower(rcpt))
				}
			}
		case wire.ModReplaceContents:
			replaces++
			if replaces > 1 {
				ns.add(i, NoteReplaceContentsMultiple, "This is replaceContents number %d in the list: Stalwart concatenates them instead of keeping the last one.", replaces)
			}
			body = append(body, m.Value...)
		case wire.ModAddHeader:
			noteInjection(&ns, i, m)
			changes = append(changes, headerChange{mod: i, name: m.Name, value: m.Value})
		case wire.ModInsertHeader:
			noteInjection(&ns, i, m)
			changes = append(changes, headerChange{mod: i, index: m.Index, name: m.Name, value: m.Value})
			needsRewrite = true
		case wire.ModChangeHeader, wire.ModDeleteHeader:
			value := m.Value
			if m.Type == wire.ModDeleteHeader {
				value = ""
			}
			noteInjection(&ns, i, wire.Modification{Name: m.Name, Value: value})
			if value == "" || msg.hasHeader(m.Name) {
				changes = append(changes, headerChange{mod: i, index: m.Index, name: m.Name, value: value, change: true})
				needsRewrite = true
			} else {
				ns.add(i, NoteChangeHeaderAbsent, "changeHeader %q: the received message has no such header, so Stalwart adds it at the top like addHeader (index %d is not used).", m.Name, m.Index)
				changes = append(changes, headerChange{mod: i, name: m.Name, value: value})
			}
		}
	}

	switch {
	case len(changes) == 0 && len(body) == 0:
		// Unchanged message.
	case len(changes) == 0:
		res.out = [][]byte{msg.HeaderBlock, body}
	default:
		newBody := msg.Body
		if len(body) > 0 {
			newBody = body
		}
		if needsRewrite {
			res.out = rewrite(msg, changes, newBody, &ns)
		} else {
			res.out = prepend(msg, changes, newBody)
		}
	}

	if len(ns) > 0 {
		slices.SortStableFunc(ns, func(a, b Note) int { return a.Mod - b.Mod })
		res.Notes = ns
	}
	return res
}

// hasHeader reports whether the received message has a header whose raw
// name equals name, ASCII case ignored (whitespace before the colon is part
// of the raw name).
func (m *Message) hasHeader(name string) bool {
	for _, h := range m.Headers {
		if text.EqualFoldASCII(h.Name, name) {
			return true
		}
	}
	return false
}

func noteInjection(ns *notes, i int, m wire.Modification) {
	if headerInjects(m.Name, m.Value) {
		ns.add(i, NoteHeaderCRLF, "Header %q has a line break inside its name or value: Stalwart writes it as is, which injects extra lines into the message.", m.Name)
	}
}

// prepend lists the added headers as "Name: value" lines before the
// untouched original header block (Stalwart's mode without rewrite).
func prepend(msg *Message, changes []headerChange, body []byte) [][]byte {
	out := make([][]byte, 0, 3*len(changes)+2)
	crlf := []byte("\r\n")
	for _, c := range changes {
		out = append(out, []byte(c.name), []byte(": "+c.value))
		if !strings.HasSuffix(c.value, "\n") {
			out = append(out, crlf)
		}
	}
	return append(out, msg.HeaderBlock, body)
}

// rawField is a header in the rewrite list.
type rawField struct {
	name, value []byte
}

// rewrite applies the header changes one after the other to the list of
// received headers and lists the whole header block anew (Stalwart's
// rewrite mode).
func rewrite(msg *Message, changes []headerChange, body []byte, ns *notes) [][]byte {
	fields := make([]rawField, len(msg.Headers))
	for i, h := range msg.Headers {
		fields[i] = rawField{name: h.Name, value: h.Value}
	}
	for _, c := range changes {
		if c.change {
			fields = applyChange(fields, c, ns)
		} else {
			fields = applyInsert(fields, c, ns)
		}
	}

	out := make([][]byte, 0, 4*len(fields)+2)
	crlf, colon, colonSpace := []byte("\r\n"), []byte(":"), []byte(": ")
	for _, f := range fields {
		out = append(out, f.name)
		if len(f.value) > 0 && isRustSpace(f.value[0]) {
			out = append(out, colon)
		} else {
			out = append(out, colonSpace)
		}
		out = append(out, f.value)
		if len(f.value) == 0 || f.value[len(f.value)-1] != '\n' {
			out = append(out, crlf)
		}
	}
	return append(out, crlf, body)
}

// applyChange replaces (or, with an empty value, removes) the index-th
// header named c.name in the current list.
func applyChange(fields []rawField, c headerChange, ns *notes) []rawField {
	verb := "changeHeader"
	if c.value == "" {
		verb = "deleteHeader"
	}
	if c.index == 0 {
		ns.add(c.mod, NoteHeaderIndexZero, "%s %q with index 0 does nothing: indexes count from 1 among the headers of that name.", verb, c.name)
		return fields
	}
	count := uint32(0)
	for pos := range fields {
		if !text.EqualFoldASCII(fields[pos].name, c.name) {
			continue
		}
		count++
		if count == c.index {
			if c.value != "" {
				fields[pos].value = []byte(c.value)
				return fields
			}
			return slices.Delete(fields, pos, pos+1)
		}
	}
	ns.add(c.mod, NoteHeaderIndexOutOfRange, "%s %q index %d: at that point the message has %d header(s) of that name, so nothing happens.", verb, c.name, c.index, count)
	return fields
}

// applyInsert inserts a header before the index-th header of its name
// (index 0: the top; beyond the count: before the last one; name absent:
// the top).
func applyInsert(fields []rawField, c headerChange, ns *notes) []rawField {
	pos := 0
	if c.index > 0 {
		count := uint32(0)
		for i := range fields {
			if text.EqualFoldASCII(fields[i].name, c.name) {
				pos = i
				count++
				if count == c.index {
					break
				}
			}
		}
		switch {
		case count == 0:
			ns.add(c.mod, NoteHeaderIndexOutOfRange, "insertHeader %q index %d: the message has no header of that name, so it goes to the very top (indexes count among headers of the same name, not all headers).", c.name, c.index)
		case count < c.index:
			ns.add(c.mod, NoteHeaderIndexOutOfRange, "insertHeader %q index %d: the message has only %d header(s) of that name, so it goes before the last one.", c.name, c.index, count)
		}
	}
	return slices.Insert(fields, pos, rawField{name: []byte(c.name), value: []byte(c.value)})
}
