package simulator

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
)

const deliveredTo3 = `{"action":"accept","modifications":[` +
	`{"type":"addHeader","name":"Delivered-To","value":"a@example.org"},` +
	`{"type":"addHeader","name":"Delivered-To","value":"b@example.org"},` +
	`{"type":"addHeader","name":"Delivered-To","value":"c@example.org"}]}`

// TestHeaderExpectationForms checks each form of a header expectation
// against a real message written by a hook: one value, every occurrence,
// a count, a pattern, absence, and folded values compared unfolded.
func TestHeaderExpectationForms(t *testing.T) {
	t.Parallel()
	hook := newFakeHook(t, func(stage string, _ map[string]any) (int, string) {
		if stage == "data" {
			return 200, strings.Replace(deliveredTo3, `"modifications":[`,
				`"modifications":[{"type":"addHeader","name":"X-Folded","value":"one\r\n two"},`, 1)
		}
		return 200, `{"action":"accept"}`
	})
	hooks := []*hookconf.Hook{hookAt("h", hook.srv.URL, wire.StageData)}
	count := func(n int) *int { return &n }
	tests := []struct {
		name string
		h    sessions.ExpectHeader
		fail string // "" when it must pass
	}{
		{"one value", sessions.ExpectHeader{Name: "subject", Values: []string{"Saying Hello"}}, ""},
		{"folded value unfolded", sessions.ExpectHeader{Name: "X-Folded", Values: []string{"one two"}}, ""},
		{"one value of three", sessions.ExpectHeader{Name: "Delivered-To", Values: []string{"a@example.org"}},
			`header Delivered-To occurs 3 times ("a@example.org", "b@example.org", "c@example.org"), want once: "a@example.org"`},
		{"every occurrence", sessions.ExpectHeader{Name: "Delivered-To", Values: []string{"a@example.org", "b@example.org", "c@example.org"}}, ""},
		{"one occurrence too few", sessions.ExpectHeader{Name: "Delivered-To", Values: []string{"a@example.org", "b@example.org"}},
			"want 2 (\"a@example.org\", \"b@example.org\"); occurrence 3 (\"c@example.org\") is one too many"},
		{"count", sessions.ExpectHeader{Name: "Delivered-To", Count: count(3)}, ""},
		{"wrong count", sessions.ExpectHeader{Name: "Delivered-To", Count: count(2)}, "header Delivered-To occurs 3 times"},
		{"pattern", sessions.ExpectHeader{Name: "Delivered-To", Matches: regexp.MustCompile(`^[abc]@example\.org$`)}, ""},
		{"pattern fails on one", sessions.ExpectHeader{Name: "Delivered-To", Matches: regexp.MustCompile(`^[ab]@`)},
			`header Delivered-To occurrence 3 is "c@example.org", which does not match /^[ab]@/`},
		{"pattern on a missing header", sessions.ExpectHeader{Name: "X-None", Matches: regexp.MustCompile(`.`)}, "header X-None is missing"},
		{"absent", sessions.ExpectHeader{Name: "X-None", Absent: true}, ""},
		{"absent but present", sessions.ExpectHeader{Name: "Delivered-To", Absent: true}, "header Delivered-To is present"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := standard()
			s.Steps[4].Expect = &sessions.Expect{Headers: []sessions.ExpectHeader{tt.h}}
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

func TestHeaderText(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		" Saying Hello\r\n":            "Saying Hello",
		" one\r\n two\r\n":             "one two",
		" one\r\n\ttwo\r\n  three\r\n": "one\ttwo  three",
		" a\n b\n":                     "a b",
		"no-space\r\n":                 "no-space",
		" \r\n":                        "",
	} {
		if got := HeaderText([]byte(raw)); got != want {
			t.Errorf("HeaderText(%q) = %q, want %q", raw, got, want)
		}
	}
}

func failures(r *SessionResult) []string {
	var out []string
	for _, st := range r.Steps {
		out = append(out, st.Failures...)
	}
	return out
}

// TestNoHookHint: an expected action at a stage no hook is configured for
// says so, instead of a bare "action none".
func TestNoHookHint(t *testing.T) {
	t.Parallel()
	hook := newFakeHook(t, accept)
	s := standard()
	s.Steps[2].Expect = &sessions.Expect{Action: "accept"}
	s.Steps[4].Expect = &sessions.Expect{Action: "reject"}
	msgs := failures(playWith(t, []*hookconf.Hook{hookAt("h", hook.srv.URL, wire.StageData)}, s))
	if len(msgs) != 2 {
		t.Fatalf("failures %q", msgs)
	}
	if !strings.HasSuffix(msgs[0], "action none, want accept (no hook is configured for the mail stage: --stages all, or stages in the script's hooks)") {
		t.Errorf("mail: %q", msgs[0])
	}
	if !strings.HasSuffix(msgs[1], "action accept, want reject") {
		t.Errorf("data (a hook is configured there): %q", msgs[1])
	}
}
