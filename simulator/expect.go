package simulator

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/modify"
	"github.com/hooksim/hooksim/simulator/wire"
)

// checkExpect compares a played step with its script's expectations and
// records every mismatch in st.Failures, phrased for a person.
func checkExpect(st *StepResult, step *sessions.Step, tx *TransactionResult, env EnvelopeView, noHook func() string) {
	e := step.Expect
	if e == nil {
		return
	}
	fail := func(format string, args ...any) {
		where := stepName(st)
		if e.Line > 0 && e.Line != st.Line {
			where += fmt.Sprintf(", expect at line %d", e.Line)
		}
		st.Failures = append(st.Failures, where+": "+fmt.Sprintf(format, args...))
	}
	reply := st.Reply()
	if e.Action != "" && e.Action != st.Action {
		hint := ""
		if st.Action == "none" {
			hint = noHook()
		}
		fail("action %s, want %s%s", st.Action, e.Action, hint)
	}
	if e.Reply != "" && e.Reply != reply {
		fail("reply %q, want %q", reply, e.Reply)
	}
	if e.Code != 0 && !strings.HasPrefix(reply, strconv.Itoa(e.Code)) {
		fail("reply %q, want code %d", reply, e.Code)
	}
	if e.ReplyMatch != nil && !e.ReplyMatch.MatchString(reply) {
		fail("reply %q does not match /%s/", reply, e.ReplyMatch)
	}
	if len(e.Modifications) > 0 {
		checkModifications(st, e.Modifications, fail)
	}
	if e.Envelope != nil {
		got := env
		if tx != nil {
			got = tx.EnvelopeOut
		}
		if e.Envelope.From != nil && (got.From == nil || *got.From != strings.ToLower(*e.Envelope.From)) {
			fail("envelope sender %s, want %q", showSender(got.From), *e.Envelope.From)
		}
		if e.Envelope.To != nil && !sameAddresses(got.To, e.Envelope.To) {
			fail("envelope recipients %v, want %v", got.To, e.Envelope.To)
		}
	}
	if e.Delivered != nil {
		delivered := tx != nil && tx.Delivered
		if delivered != *e.Delivered {
			if delivered {
				fail("the message was queued, want it refused or dropped")
			} else {
				fail("the message was not queued (reply %q), want it queued", reply)
			}
		}
	}
	if len(e.Headers) > 0 || len(e.BodyContains) > 0 {
		if tx == nil || tx.Final == nil {
			fail("no final message to check headers or body against (reply %q)", reply)
		} else {
			checkMessage(tx.Final, e, fail)
		}
	}
	if len(e.QueuedHeaders) > 0 {
		if tx == nil || tx.Queued == nil {
			fail("no queued message to check queued_headers against (reply %q)", reply)
		} else {
			// The message as queued: the server's headers in front of the
			// final message.
			msg := modify.Split(tx.Queued)
			for _, h := range e.QueuedHeaders {
				checkHeader(h, headerValues(msg, h.Name), func(format string, args ...any) {
					fail("queued message: "+format, args...)
				})
			}
		}
	}
	for _, code := range e.Lints {
		found := false
		for _, l := range st.Lints {
			if l.Code == code {
				found = true
				break
			}
		}
		if !found {
			fail("lint %s was not reported", code)
		}
	}
}

func showSender(s *string) string {
	if s == nil {
		return "(none)"
	}
	return strconv.Quote(*s)
}

func sameAddresses(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != strings.ToLower(want[i]) {
			return false
		}
	}
	return true
}

// checkModifications wants each expected modification, in order, among
// those the hooks returned at this step.
func checkModifications(st *StepResult, want []sessions.ExpectModification, fail func(string, ...any)) {
	var got []wire.Modification
	for _, ex := range st.Exchanges {
		if ex.Response != nil {
			got = append(got, ex.Response.Modifications...)
		}
	}
	i := 0
	for _, w := range want {
		// near is the parameter difference of the first modification
		// that matched w but for its parameters, at nearAt.
		var near []string
		nearAt := 0
		for i < len(got) {
			if modMatches(got[i], w) {
				diff := parameterDiff(got[i].Parameters, w.Parameters)
				if len(diff) == 0 {
					break
				}
				if near == nil {
					near, nearAt = diff, i
				}
			}
			i++
		}
		if i == len(got) {
			if near == nil {
				fail("modification %s not returned (in this order); got %s", describeExpectMod(w), describeMods(got))
				return
			}
			bare := w
			bare.Parameters = nil
			fail("modification %s returned with other parameters: %s; got %s", describeExpectMod(bare), strings.Join(near, ", "), describeMods(got))
			// The near miss stands for w, so the later expectations
			// are checked (and their differences named) too.
			i = nearAt
		}
		i++
	}
}

// modMatches compares everything but the parameters (parameterDiff).
func modMatches(m wire.Modification, w sessions.ExpectModification) bool {
	return (w.Type == "" || string(m.Type) == w.Type) &&
		(w.Name == "" || strings.EqualFold(m.Name, w.Name)) &&
		(w.Value == "" || m.Value == w.Value) &&
		(w.Index == nil || m.Index == *w.Index)
}

// parameterDiff lists, for a person, how the parameters a hook sent
// differ from want: a keyword not sent, one sent that want lacks, a
// different value (null, a keyword without "=value", is not ""), a
// keyword sent several times in different case. nil want is not checked.
// Keywords compare as sessions.ParameterKeyFold folds them, values
// exactly; a key repeated exactly was already reduced to its last value
// by the wire parser, as serde's map does.
func parameterDiff(got []wire.Parameter, want map[string]*string) []string {
	if want == nil {
		return nil
	}
	sent := map[string][]wire.Parameter{}
	for _, p := range got {
		k := sessions.ParameterKeyFold(p.Key)
		sent[k] = append(sent[k], p)
	}
	var diff []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		w := want[k]
		ps := sent[sessions.ParameterKeyFold(k)]
		switch {
		case len(ps) == 0:
			diff = append(diff, fmt.Sprintf("%s not sent", showParameter(k, w)))
		case len(ps) > 1:
			keys := make([]string, len(ps))
			for i, p := range ps {
				keys[i] = strconv.Quote(p.Key)
			}
			diff = append(diff, fmt.Sprintf("%s sent %d times (as %s), want once", k, len(ps), strings.Join(keys, ", ")))
		case !sameValue(ps[0].Value, w):
			diff = append(diff, fmt.Sprintf("%s, want %s", showParameter(ps[0].Key, ps[0].Value), showParameter(k, w)))
		}
	}
	for _, p := range got {
		if !hasFoldedKey(want, p.Key) {
			diff = append(diff, fmt.Sprintf("extra %s", showParameter(p.Key, p.Value)))
		}
	}
	return diff
}

func hasFoldedKey(m map[string]*string, key string) bool {
	k := sessions.ParameterKeyFold(key)
	for w := range m {
		if sessions.ParameterKeyFold(w) == k {
			return true
		}
	}
	return false
}

func sameValue(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// showParameter is KEY="value", or KEY (no value) for a keyword without
// "=value".
func showParameter(k string, v *string) string {
	if v == nil {
		return k + " (no value)"
	}
	return k + "=" + strconv.Quote(*v)
}

func describeExpectMod(w sessions.ExpectModification) string {
	parts := []string{}
	if w.Type != "" {
		parts = append(parts, w.Type)
	}
	if w.Index != nil {
		parts = append(parts, fmt.Sprintf("#%d", *w.Index))
	}
	if w.Name != "" {
		parts = append(parts, w.Name)
	}
	if w.Value != "" {
		parts = append(parts, strconv.Quote(w.Value))
	}
	if w.Parameters != nil {
		ps := []string{}
		for _, k := range slices.Sorted(maps.Keys(w.Parameters)) {
			if v := w.Parameters[k]; v == nil {
				ps = append(ps, k)
			} else {
				ps = append(ps, k+"="+*v)
			}
		}
		parts = append(parts, "{"+strings.Join(ps, " ")+"}")
	}
	return strings.Join(parts, " ")
}

func describeMods(ms []wire.Modification) string {
	if len(ms) == 0 {
		return "none"
	}
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = DescribeModification(m)
	}
	return strings.Join(parts, ", ")
}

// DescribeModification renders a modification in one short line.
func DescribeModification(m wire.Modification) string {
	switch m.Type {
	case wire.ModAddHeader:
		return fmt.Sprintf("addHeader %s: %q", m.Name, m.Value)
	case wire.ModInsertHeader, wire.ModChangeHeader:
		return fmt.Sprintf("%s #%d %s: %q", m.Type, m.Index, m.Name, m.Value)
	case wire.ModDeleteHeader:
		return fmt.Sprintf("deleteHeader #%d %s", m.Index, m.Name)
	case wire.ModReplaceContents:
		v := m.Value
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		return fmt.Sprintf("replaceContents %q", v)
	default:
		s := fmt.Sprintf("%s %s", m.Type, m.Value)
		// By keyword, as Stalwart holds them (a map): the same line
		// whatever order the hook sent them in.
		ps := slices.SortedStableFunc(slices.Values(m.Parameters), func(a, b wire.Parameter) int { return strings.Compare(a.Key, b.Key) })
		for _, p := range ps {
			s += " " + p.Key
			if p.Value != nil {
				s += "=" + *p.Value
			}
		}
		return s
	}
}

func checkMessage(final []byte, e *sessions.Expect, fail func(string, ...any)) {
	msg := modify.Split(final)
	for _, h := range e.Headers {
		checkHeader(h, headerValues(msg, h.Name), fail)
	}
	for _, s := range e.BodyContains {
		if !bytes.Contains(msg.Body, []byte(s)) {
			fail("the final body does not contain %q", s)
		}
	}
}

// headerValues returns the value of every occurrence of name in msg
// (case-insensitive), in order, unfolded and trimmed.
func headerValues(msg *modify.Message, name string) []string {
	var out []string
	for _, h := range msg.Headers {
		if strings.EqualFold(string(h.Name), name) {
			out = append(out, HeaderText(h.Value))
		}
	}
	return out
}

// HeaderText is a raw header value as expectations compare it: unfolded
// (every line break followed by a space or tab removed, RFC 5322 §2.2.3)
// and trimmed of surrounding white space.
func HeaderText(raw []byte) string {
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '\r' && i+2 < len(raw) && raw[i+1] == '\n' && (raw[i+2] == ' ' || raw[i+2] == '\t') {
			i++
			continue
		}
		if c == '\n' && i+1 < len(raw) && (raw[i+1] == ' ' || raw[i+1] == '\t') {
			continue
		}
		b.WriteByte(c)
	}
	return strings.TrimSpace(b.String())
}

// checkHeader compares the occurrences of one header with what is expected.
func checkHeader(h sessions.ExpectHeader, got []string, fail func(string, ...any)) {
	switch {
	case h.Absent:
		if len(got) > 0 {
			fail("header %s is present (%s), want it absent", h.Name, quoteList(got))
		}
	case len(h.Values) == 1:
		switch {
		case len(got) == 0:
			fail("header %s is missing, want %q", h.Name, h.Values[0])
		case len(got) > 1:
			fail("header %s occurs %s (%s), want once: %q (list every occurrence to expect several)", h.Name, times(len(got)), quoteList(got), h.Values[0])
		case got[0] != h.Values[0]:
			fail("header %s is %q, want %q", h.Name, got[0], h.Values[0])
		}
	case len(h.Values) > 1:
		if slices.Equal(got, h.Values) {
			return
		}
		diff := ""
		for i := range max(len(got), len(h.Values)) {
			switch {
			case i >= len(h.Values):
				diff = fmt.Sprintf("; occurrence %d (%q) is one too many", i+1, got[i])
			case i >= len(got):
				diff = fmt.Sprintf("; occurrence %d (%q) is missing", i+1, h.Values[i])
			case got[i] != h.Values[i]:
				diff = fmt.Sprintf("; occurrence %d differs: %q, want %q", i+1, got[i], h.Values[i])
			default:
				continue
			}
			break
		}
		fail("header %s occurs %s (%s), want %d (%s)%s", h.Name, times(len(got)), quoteList(got), len(h.Values), quoteList(h.Values), diff)
	default:
		if h.Count != nil && len(got) != *h.Count {
			fail("header %s occurs %s (%s), want %d", h.Name, times(len(got)), quoteList(got), *h.Count)
		}
		if h.Matches != nil {
			if len(got) == 0 && h.Count == nil {
				fail("header %s is missing, want a value matching /%s/", h.Name, h.Matches)
			}
			for i, v := range got {
				if !h.Matches.MatchString(v) {
					fail("header %s occurrence %d is %q, which does not match /%s/", h.Name, i+1, v, h.Matches)
				}
			}
		}
	}
}

// quoteList renders values as "a", "b"; "none" when empty.
func quoteList(vs []string) string {
	if len(vs) == 0 {
		return "none"
	}
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

// times says how often: "once", "2 times".
func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}
