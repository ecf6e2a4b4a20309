package simulator

import (
	"strings"
	"testing"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
)

// archiveAnswer is a data answer whose changeFrom and addRecipient carry
// ESMTP parameters, with a keyword in lower case and one without a value.
const archiveAnswer = `{"action":"accept","modifications":[` +
	`{"type":"changeFrom","value":"bounces@example.org","parameters":{"RET":"HDRS","ENVID":"QQ314159"}},` +
	`{"type":"addRecipient","value":"Archive@Example.org","parameters":{"NOTIFY":"SUCCESS,FAILURE","orcpt":"rfc822;archive@example.org","X-FLAG":null}},` +
	`{"type":"addRecipient","value":"plain@example.org"}]}`

// TestModificationParameters checks an expected modification's
// parameters against a real hook's answer: the exact map passes (keyword
// case aside), and each kind of difference fails with a message naming
// it; absent parameters are not checked.
func TestModificationParameters(t *testing.T) {
	t.Parallel()
	hook := newFakeHook(t, func(stage string, _ map[string]any) (int, string) {
		if stage == "data" {
			return 200, archiveAnswer
		}
		return 200, `{"action":"accept"}`
	})
	hooks := []*hookconf.Hook{hookAt("h", hook.srv.URL, wire.StageData)}
	str := func(s string) *string { return &s }
	archive := func(p map[string]*string) sessions.ExpectModification {
		return sessions.ExpectModification{Type: "addRecipient", Value: "Archive@Example.org", Parameters: p}
	}
	exact := func() map[string]*string {
		return map[string]*string{"NOTIFY": str("SUCCESS,FAILURE"), "ORCPT": str("rfc822;archive@example.org"), "X-FLAG": nil}
	}
	with := func(edit func(map[string]*string)) map[string]*string {
		p := exact()
		edit(p)
		return p
	}
	const prefix = `modification addRecipient "Archive@Example.org" returned with other parameters: `
	tests := []struct {
		name string
		want []sessions.ExpectModification
		fail string // "" when it must pass
	}{
		{"not checked", []sessions.ExpectModification{archive(nil)}, ""},
		{"exact", []sessions.ExpectModification{archive(exact())}, ""},
		{"keywords in other case", []sessions.ExpectModification{archive(map[string]*string{
			"notify": str("SUCCESS,FAILURE"), "Orcpt": str("rfc822;archive@example.org"), "x-flag": nil})}, ""},
		{"changeFrom and addRecipient in order", []sessions.ExpectModification{
			{Type: "changeFrom", Parameters: map[string]*string{"RET": str("HDRS"), "ENVID": str("QQ314159")}},
			archive(exact()),
			{Type: "addRecipient", Value: "plain@example.org", Parameters: map[string]*string{}}}, ""},
		{"missing key", []sessions.ExpectModification{archive(with(func(p map[string]*string) { p["RET"] = str("FULL") }))},
			prefix + `RET="FULL" not sent; got changeFrom bounces@example.org ENVID=QQ314159 RET=HDRS, addRecipient Archive@Example.org NOTIFY=SUCCESS,FAILURE X-FLAG orcpt=rfc822;archive@example.org, addRecipient plain@example.org`},
		{"missing keyword without value", []sessions.ExpectModification{archive(with(func(p map[string]*string) { p["SMTPUTF8"] = nil }))},
			prefix + `SMTPUTF8 (no value) not sent;`},
		{"extra key", []sessions.ExpectModification{archive(with(func(p map[string]*string) { delete(p, "ORCPT") }))},
			prefix + `extra orcpt="rfc822;archive@example.org";`},
		{"different value", []sessions.ExpectModification{archive(with(func(p map[string]*string) { p["NOTIFY"] = str("NEVER") }))},
			prefix + `NOTIFY="SUCCESS,FAILURE", want NOTIFY="NEVER";`},
		{"value case matters", []sessions.ExpectModification{archive(with(func(p map[string]*string) { p["ORCPT"] = str("rfc822;Archive@Example.org") }))},
			prefix + `orcpt="rfc822;archive@example.org", want ORCPT="rfc822;Archive@Example.org";`},
		{"null is not empty", []sessions.ExpectModification{archive(with(func(p map[string]*string) { p["X-FLAG"] = str("") }))},
			prefix + `X-FLAG (no value), want X-FLAG="";`},
		{"several differences", []sessions.ExpectModification{archive(map[string]*string{"NOTIFY": str("NEVER"), "RET": nil})},
			prefix + `NOTIFY="SUCCESS,FAILURE", want NOTIFY="NEVER", RET (no value) not sent, extra orcpt="rfc822;archive@example.org", extra X-FLAG (no value);`},
		{"none wanted, some sent", []sessions.ExpectModification{archive(map[string]*string{})},
			prefix + `extra NOTIFY="SUCCESS,FAILURE", extra orcpt="rfc822;archive@example.org", extra X-FLAG (no value);`},
		{"some wanted, none sent", []sessions.ExpectModification{{Type: "addRecipient", Value: "plain@example.org", Parameters: map[string]*string{"NOTIFY": str("NEVER")}}},
			`modification addRecipient "plain@example.org" returned with other parameters: NOTIFY="NEVER" not sent;`},
		{"changeFrom value", []sessions.ExpectModification{{Type: "changeFrom", Parameters: map[string]*string{"RET": str("FULL"), "ENVID": str("QQ314159")}}},
			`modification changeFrom returned with other parameters: RET="HDRS", want RET="FULL";`},
		{"no such modification at all", []sessions.ExpectModification{{Type: "addRecipient", Value: "other@example.org", Parameters: map[string]*string{"NOTIFY": str("NEVER")}}},
			`modification addRecipient "other@example.org" {NOTIFY=NEVER} not returned (in this order)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := standard()
			s.Steps[4].Expect = &sessions.Expect{Modifications: tt.want}
			msgs := failures(playWith(t, hooks, s))
			switch {
			case tt.fail == "" && len(msgs) > 0:
				t.Errorf("want a pass, got %q", msgs)
			case tt.fail != "" && (len(msgs) != 1 || !strings.Contains(msgs[0], tt.fail)):
				t.Errorf("failures %q, want one containing %q", msgs, tt.fail)
			}
		})
	}
}

// TestModificationParametersRepeatedKeyword: a keyword a hook sends twice
// in different case (two map entries for Stalwart, one keyword for its
// parser) does not pass for one.
func TestModificationParametersRepeatedKeyword(t *testing.T) {
	t.Parallel()
	hook := newFakeHook(t, func(stage string, _ map[string]any) (int, string) {
		if stage == "data" {
			return 200, `{"action":"accept","modifications":[{"type":"addRecipient","value":"a@example.org","parameters":{"NOTIFY":"NEVER","notify":"NEVER"}}]}`
		}
		return 200, `{"action":"accept"}`
	})
	s := standard()
	never := "NEVER"
	s.Steps[4].Expect = &sessions.Expect{Modifications: []sessions.ExpectModification{
		{Type: "addRecipient", Value: "a@example.org", Parameters: map[string]*string{"NOTIFY": &never}}}}
	msgs := failures(playWith(t, []*hookconf.Hook{hookAt("h", hook.srv.URL, wire.StageData)}, s))
	want := `NOTIFY sent 2 times (as "NOTIFY", "notify"), want once`
	if len(msgs) != 1 || !strings.Contains(msgs[0], want) {
		t.Errorf("failures %q, want one containing %q", msgs, want)
	}
}

// TestModificationParametersGoOn: a modification that differs only in its
// parameters stands for the expected one, so the expectations after it
// are checked too and every difference is named.
func TestModificationParametersGoOn(t *testing.T) {
	t.Parallel()
	hook := newFakeHook(t, func(stage string, _ map[string]any) (int, string) {
		if stage == "data" {
			return 200, archiveAnswer
		}
		return 200, `{"action":"accept"}`
	})
	full := "FULL"
	s := standard()
	s.Steps[4].Expect = &sessions.Expect{Modifications: []sessions.ExpectModification{
		{Type: "changeFrom", Parameters: map[string]*string{"RET": &full}},
		{Type: "addRecipient", Value: "Archive@Example.org", Parameters: map[string]*string{}},
		{Type: "addRecipient", Value: "plain@example.org"},
		{Type: "addHeader", Name: "X-Missing"},
	}}
	msgs := failures(playWith(t, []*hookconf.Hook{hookAt("h", hook.srv.URL, wire.StageData)}, s))
	want := []string{
		`modification changeFrom returned with other parameters: RET="HDRS", want RET="FULL", extra ENVID="QQ314159";`,
		`modification addRecipient "Archive@Example.org" returned with other parameters: extra NOTIFY=`,
		`modification addHeader X-Missing not returned (in this order)`,
	}
	if len(msgs) != len(want) {
		t.Fatalf("failures %q, want %d", msgs, len(want))
	}
	for i, w := range want {
		if !strings.Contains(msgs[i], w) {
			t.Errorf("failure %d %q, want it to contain %q", i, msgs[i], w)
		}
	}
}
