package compare

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/wire"
)

// rejectAtMail turns r into the play where the mail hook rejects: RCPT
// and DATA then get "MAIL is required first" without a hook call, and no
// transaction is made.
func rejectAtMail(r *simulator.SessionResult) {
	reject(r.Steps[2].Exchanges[0], 0, "")
	r.Steps[2].Replies = []string{simulator.ReplyHookReject}
	r.Steps[3].Exchanges, r.Steps[3].Replies = nil, []string{simulator.ReplyMailFirst}
	r.Steps[4].Exchanges, r.Steps[4].Replies = nil, []string{simulator.ReplyMailFirst}
	r.Transactions = nil
	r.Exchanges = 3
}

func setDataMods(r *simulator.SessionResult, mods ...wire.Modification) {
	dataExchange(r).Response.Modifications = mods
}

func TestSessions(t *testing.T) {
	t.Parallel()
	same := []Status{StatusSame, StatusSame, StatusSame, StatusSame, StatusSame}
	dataChanged := []Status{StatusSame, StatusSame, StatusSame, StatusSame, StatusChanged}
	tests := []struct {
		name   string
		before func(*simulator.SessionResult) // optional
		after  func(*simulator.SessionResult)
		opts   Options
		equal  bool
		want   []Status // exchange statuses
		check  func(t *testing.T, d *Diff)
		golden string // text output compared with this golden file
	}{
		{
			name:   "identical",
			after:  func(*simulator.SessionResult) {},
			equal:  true,
			want:   same,
			golden: "identical",
		},
		{
			name: "queue ids ignored",
			after: func(r *simulator.SessionResult) {
				q := "1f00dbeef"
				r.Steps[4].Replies[1] = "250 2.0.0 Message queued with id " + q + "."
				r.Transactions[0].QueueID = q
				r.Transactions[0].Reply = r.Steps[4].Replies[1]
				dataExchange(r).Request = []byte(`{"context":{"stage":"data","queue":{"id":"1f00dbeef"}}}`)
			},
			equal: true,
			want:  same,
		},
		{
			name:   "changed action cascades to missing exchanges",
			after:  rejectAtMail,
			want:   []Status{StatusSame, StatusSame, StatusChanged, StatusMissing, StatusMissing},
			golden: "reject-at-mail",
			check: func(t *testing.T, d *Diff) {
				e := d.Exchanges[2]
				if e.Outcome != (Change{"accept", "reject"}) || e.Reply != (Change{simulator.ReplyMailOK, simulator.ReplyHookReject}) {
					t.Errorf("mail exchange: outcome %+v reply %+v", e.Outcome, e.Reply)
				}
				if d.Exchanges[3].BeforeSeq != 4 || d.Exchanges[3].AfterSeq != 0 {
					t.Errorf("missing rcpt exchange seqs %d, %d", d.Exchanges[3].BeforeSeq, d.Exchanges[3].AfterSeq)
				}
				if len(d.Transactions) != 1 || d.Transactions[0].Status != StatusMissing {
					t.Errorf("transactions %+v, want one missing", d.Transactions)
				}
				// 3 exchanges + 1 transaction; the steps' replies are explained by their exchanges.
				if n := d.Differences(); n != 4 {
					t.Errorf("Differences() = %d, want 4", n)
				}
			},
		},
		{
			name:   "new exchanges when a hook accepts again",
			before: rejectAtMail,
			after:  func(*simulator.SessionResult) {},
			want:   []Status{StatusSame, StatusSame, StatusChanged, StatusNew, StatusNew},
			check: func(t *testing.T, d *Diff) {
				if d.Exchanges[4].AfterSeq != 5 || d.Exchanges[4].Key.Stage != wire.StageData {
					t.Errorf("new data exchange %+v", d.Exchanges[4])
				}
				if d.Transactions[0].Status != StatusNew {
					t.Errorf("transaction status %s, want new", d.Transactions[0].Status)
				}
			},
		},
		{
			name: "changed reply with the same action",
			before: func(r *simulator.SessionResult) {
				rejectAtMail(r)
			},
			after: func(r *simulator.SessionResult) {
				rejectAtMail(r)
				reject(r.Steps[2].Exchanges[0], 550, "Go away")
				r.Steps[2].Replies = []string{"550 Go away"}
			},
			want: []Status{StatusSame, StatusSame, StatusChanged},
			check: func(t *testing.T, d *Diff) {
				e := d.Exchanges[2]
				if e.Outcome.Changed() || e.Reply != (Change{simulator.ReplyHookReject, "550 Go away"}) {
					t.Errorf("outcome %+v reply %+v", e.Outcome, e.Reply)
				}
				if !slices.ContainsFunc(e.Notes, func(n string) bool { return strings.HasPrefix(n, "response object (none) → {status 550") }) {
					t.Errorf("notes %q lack the response object change", e.Notes)
				}
			},
		},
		{
			name: "a second hook's new reject does not change the first",
			before: func(r *simulator.SessionResult) {
				r.Steps[2].Exchanges = append(r.Steps[2].Exchanges, exch(4, 2, wire.StageMail, "hook-2"))
			},
			after: func(r *simulator.SessionResult) {
				r.Steps[2].Exchanges = append(r.Steps[2].Exchanges, reject(exch(4, 2, wire.StageMail, "hook-2"), 0, ""))
				r.Steps[2].Replies = []string{simulator.ReplyHookReject}
			},
			want: []Status{StatusSame, StatusSame, StatusSame, StatusChanged, StatusSame, StatusSame},
			check: func(t *testing.T, d *Diff) {
				if e := d.Exchanges[3]; e.Key.HookID != "hook-2" || e.Reply != (Change{simulator.ReplyMailOK, simulator.ReplyHookReject}) {
					t.Errorf("hook-2 exchange %+v", e)
				}
				if d.Differences() != 1 {
					t.Errorf("Differences() = %d, want 1", d.Differences())
				}
			},
		},
		{
			name: "modification added",
			after: func(r *simulator.SessionResult) {
				setDataMods(r, addHeader("X-Spam-Score", "1"), addHeader("X-Checked", "yes"))
			},
			want: dataChanged,
			check: func(t *testing.T, d *Diff) {
				want := []Line{{OpSame, `addHeader X-Spam-Score: "1"`}, {OpAdded, `addHeader X-Checked: "yes"`}}
				if e := d.Exchanges[4]; !slices.Equal(e.Modifications, want) || e.ModsReordered {
					t.Errorf("modifications %q reordered %v, want %q", e.Modifications, e.ModsReordered, want)
				}
			},
		},
		{
			name:  "modification removed",
			after: func(r *simulator.SessionResult) { setDataMods(r) },
			want:  dataChanged,
			check: func(t *testing.T, d *Diff) {
				want := []Line{{OpRemoved, `addHeader X-Spam-Score: "1"`}}
				if e := d.Exchanges[4]; !slices.Equal(e.Modifications, want) {
					t.Errorf("modifications %q, want %q", e.Modifications, want)
				}
			},
		},
		{
			name:   "header edits reordered is a change",
			before: func(r *simulator.SessionResult) { setDataMods(r, addHeader("X-A", "1"), addHeader("X-B", "2")) },
			after:  func(r *simulator.SessionResult) { setDataMods(r, addHeader("X-B", "2"), addHeader("X-A", "1")) },
			want:   dataChanged,
			check: func(t *testing.T, d *Diff) {
				if !d.Exchanges[4].ModsReordered {
					t.Error("ModsReordered = false, want true")
				}
			},
		},
		{
			name: "edits of different groups reordered is no change",
			before: func(r *simulator.SessionResult) {
				setDataMods(r, addHeader("X-A", "1"), wire.Modification{Type: wire.ModChangeFrom, Value: "a@b.org"},
					wire.Modification{Type: wire.ModReplaceContents, Value: "new body"})
			},
			after: func(r *simulator.SessionResult) {
				setDataMods(r, wire.Modification{Type: wire.ModReplaceContents, Value: "new body"},
					wire.Modification{Type: wire.ModChangeFrom, Value: "a@b.org"}, addHeader("X-A", "1"))
			},
			equal: true,
			want:  same,
		},
		{
			name: "replaceContents reordered is a change",
			before: func(r *simulator.SessionResult) {
				setDataMods(r, wire.Modification{Type: wire.ModReplaceContents, Value: "one"}, wire.Modification{Type: wire.ModReplaceContents, Value: "two"})
			},
			after: func(r *simulator.SessionResult) {
				setDataMods(r, wire.Modification{Type: wire.ModReplaceContents, Value: "two"}, wire.Modification{Type: wire.ModReplaceContents, Value: "one"})
			},
			want: dataChanged,
		},
		{
			name: "recipient values compare as sent",
			before: func(r *simulator.SessionResult) {
				setDataMods(r, wire.Modification{Type: wire.ModAddRecipient, Value: "a@x.org"}, wire.Modification{Type: wire.ModDeleteRecipient, Value: "<bill@foobar.org>"})
			},
			after: func(r *simulator.SessionResult) {
				setDataMods(r, wire.Modification{Type: wire.ModDeleteRecipient, Value: "bill@foobar.org"}, wire.Modification{Type: wire.ModAddRecipient, Value: "<A@x.org>"})
			},
			// Same set, but the values are compared as sent: brackets and
			// case differ, so the lines differ while the order does not.
			want: dataChanged,
			check: func(t *testing.T, d *Diff) {
				if d.Exchanges[4].ModsReordered {
					t.Error("ModsReordered = true for different values")
				}
			},
		},
		{
			name: "recipient edits of different addresses reordered is no change",
			before: func(r *simulator.SessionResult) {
				setDataMods(r, wire.Modification{Type: wire.ModAddRecipient, Value: "a@x.org"}, wire.Modification{Type: wire.ModDeleteRecipient, Value: "bill@foobar.org"},
					wire.Modification{Type: wire.ModAddRecipient, Value: "c@x.org"})
				r.Transactions[0].EnvelopeOut.To = []string{"a@x.org", "c@x.org"}
			},
			after: func(r *simulator.SessionResult) {
				setDataMods(r, wire.Modification{Type: wire.ModAddRecipient, Value: "c@x.org"}, wire.Modification{Type: wire.ModDeleteRecipient, Value: "bill@foobar.org"},
					wire.Modification{Type: wire.ModAddRecipient, Value: "a@x.org"})
				r.Transactions[0].EnvelopeOut.To = []string{"c@x.org", "a@x.org"}
			},
			equal: true,
			want:  same,
			check: func(t *testing.T, d *Diff) {
				if len(d.Transactions[0].Notes) != 1 || !strings.HasPrefix(d.Transactions[0].Notes[0], "recipient order") {
					t.Errorf("transaction notes %q, want the recipient order note", d.Transactions[0].Notes)
				}
			},
		},
		{
			name: "add and delete of one address reordered is a change",
			before: func(r *simulator.SessionResult) {
				setDataMods(r, wire.Modification{Type: wire.ModAddRecipient, Value: "a@x.org"}, wire.Modification{Type: wire.ModDeleteRecipient, Value: "a@x.org"})
			},
			after: func(r *simulator.SessionResult) {
				setDataMods(r, wire.Modification{Type: wire.ModDeleteRecipient, Value: "a@x.org"}, wire.Modification{Type: wire.ModAddRecipient, Value: "A@X.org"})
			},
			want: dataChanged,
		},
		{
			name: "parameter order carries no meaning",
			before: func(r *simulator.SessionResult) {
				setDataMods(r, wire.Modification{Type: wire.ModChangeFrom, Value: "a@b.org", Parameters: []wire.Parameter{{Key: "SIZE", Value: strp("10")}, {Key: "BODY", Value: strp("8BITMIME")}}})
			},
			after: func(r *simulator.SessionResult) {
				setDataMods(r, wire.Modification{Type: wire.ModChangeFrom, Value: "a@b.org", Parameters: []wire.Parameter{{Key: "BODY", Value: strp("8BITMIME")}, {Key: "SIZE", Value: strp("10")}}})
			},
			equal: true,
			want:  same,
		},
		{
			name: "lints changed",
			before: func(r *simulator.SessionResult) {
				r.Steps[2].Exchanges[0].Lints = []wire.Lint{{Code: wire.LintUnknownKey, Path: "foo", Message: "Stalwart ignores this key"}}
			},
			after: func(r *simulator.SessionResult) {
				r.Steps[2].Exchanges[0].Lints = []wire.Lint{{Code: wire.LintEnhancedStatusCamel, Path: "response.enhancedStatus", Message: "Stalwart ignores enhancedStatus; it reads enhanced_status"}}
			},
			want: []Status{StatusSame, StatusSame, StatusChanged, StatusSame, StatusSame},
			check: func(t *testing.T, d *Diff) {
				e := d.Exchanges[2]
				if len(e.LintsAdded) != 1 || e.LintsAdded[0].Code != wire.LintEnhancedStatusCamel || len(e.LintsRemoved) != 1 || e.LintsRemoved[0].Code != wire.LintUnknownKey {
					t.Errorf("lints added %v removed %v", e.LintsAdded, e.LintsRemoved)
				}
			},
		},
		{
			name: "lints ignored on request",
			after: func(r *simulator.SessionResult) {
				r.Steps[2].Exchanges[0].Lints = []wire.Lint{{Code: wire.LintUnknownKey, Path: "foo"}}
			},
			opts:  Options{IgnoreLints: true},
			equal: true,
			want:  same,
		},
		{
			name: "lint wording does not count",
			before: func(r *simulator.SessionResult) {
				r.Steps[2].Exchanges[0].Lints = []wire.Lint{{Code: wire.LintUnknownKey, Path: "foo", Message: "old words"}}
			},
			after: func(r *simulator.SessionResult) {
				r.Steps[2].Exchanges[0].Lints = []wire.Lint{{Code: wire.LintUnknownKey, Path: "foo", Message: "new words"}}
			},
			equal: true,
			want:  same,
		},
		{
			name: "step lints of applying modifications",
			after: func(r *simulator.SessionResult) {
				r.Steps[4].Lints = append(r.Steps[4].Lints, wire.Lint{Code: "header-index-zero", Path: "hook-1 modifications[0]"})
			},
			want: same,
			check: func(t *testing.T, d *Diff) {
				if s := d.Steps[4]; s.Status != StatusChanged || len(s.LintsAdded) != 1 {
					t.Errorf("step 4: %+v", s)
				}
				if d.Differences() != 1 {
					t.Errorf("Differences() = %d, want 1", d.Differences())
				}
			},
		},
		{
			name: "error class changed",
			after: func(r *simulator.SessionResult) {
				failed(dataExchange(r), hookclient.ErrTimeout, "tempfail")
				r.Steps[4].Replies[1] = simulator.ReplyHookTempFail
				r.Transactions[0].Delivered, r.Transactions[0].Final = false, nil
				r.Transactions[0].Reply = simulator.ReplyHookTempFail
			},
			want:   dataChanged,
			golden: "timeout-at-data",
			check: func(t *testing.T, d *Diff) {
				e := d.Exchanges[4]
				if e.ErrorClass != (Change{"", "timeout"}) || e.Outcome != (Change{"accept", "error"}) || e.Effect != (Change{"", "tempfail"}) {
					t.Errorf("exchange %+v", e)
				}
				tx := d.Transactions[0]
				if tx.Delivered != (Change{"yes", "no"}) || tx.Final.After != "(none)" || len(tx.Message) != 0 {
					t.Errorf("transaction %+v", tx)
				}
			},
		},
		{
			name: "final message header changed",
			after: func(r *simulator.SessionResult) {
				setDataMods(r, addHeader("X-Spam-Score", "7"))
				r.Transactions[0].Final = []byte("X-Spam-Score: 7\r\n" + original)
			},
			want:   dataChanged,
			golden: "header-changed",
			check: func(t *testing.T, d *Diff) {
				tx := d.Transactions[0]
				if tx.Status != StatusChanged || len(tx.Message) != 1 {
					t.Fatalf("transaction %+v", tx)
				}
				h := tx.Message[0]
				if h.A != 1 || h.ALen != 4 || h.B != 1 || h.BLen != 4 {
					t.Errorf("hunk @@ -%d,%d +%d,%d @@", h.A, h.ALen, h.B, h.BLen)
				}
			},
		},
		{
			name: "final message line ends changed",
			after: func(r *simulator.SessionResult) {
				r.Transactions[0].Final = bytes.ReplaceAll(r.Transactions[0].Final, []byte("say hello.\r\n"), []byte("say hello.\n"))
			},
			want:   same,
			golden: "line-ends-changed",
			check: func(t *testing.T, d *Diff) {
				if d.Transactions[0].Status != StatusChanged {
					t.Errorf("transaction %s, want changed", d.Transactions[0].Status)
				}
			},
		},
		{
			name: "response bytes differ with equal meaning",
			after: func(r *simulator.SessionResult) {
				dataExchange(r).Call.Body = []byte("{ \"modifications\": [{\"value\":\"1\",\"name\":\"X-Spam-Score\",\"type\":\"addHeader\"}],\n  \"action\": \"accept\" }")
				dataExchange(r).Call.Duration = time.Second
			},
			opts:   Options{},
			equal:  true,
			want:   same,
			golden: "body-bytes-note",
			check: func(t *testing.T, d *Diff) {
				e := d.Exchanges[4]
				if !slices.Equal(e.Notes, []string{"response body bytes differ, same meaning"}) || e.Latency != (Change{"3ms", "1s"}) {
					t.Errorf("notes %q latency %+v", e.Notes, e.Latency)
				}
			},
		},
		{
			name: "closed connection",
			after: func(r *simulator.SessionResult) {
				r.Steps[5].Closed = false
			},
			want: same,
			check: func(t *testing.T, d *Diff) {
				if d.Steps[5].Status != StatusChanged || d.Differences() != 1 {
					t.Errorf("step 5 %+v, %d differences", d.Steps[5], d.Differences())
				}
			},
		},
		{
			name: "simulator error",
			after: func(r *simulator.SessionResult) {
				r.Err = errString2("context canceled")
			},
			want: same,
			check: func(t *testing.T, d *Diff) {
				if d.Err != (Change{"", "context canceled"}) || d.Row("7").Verdict != VerdictError {
					t.Errorf("Err %+v row %+v", d.Err, d.Row("7"))
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			before, after := play("1a2b3c4d5e6f7081"), play("1a2b3c4d5e6f7081")
			if tc.before != nil {
				tc.before(before)
			}
			tc.after(after)
			d := Sessions(live(before), live(after), tc.opts)
			if got := d.Equal(); got != tc.equal {
				t.Errorf("Equal() = %v, want %v", got, tc.equal)
			}
			if got := statuses(d); !slices.Equal(got, tc.want) {
				t.Errorf("exchange statuses %v, want %v", got, tc.want)
			}
			if d.Session != "hello" || d.Mode != ModeResimulate {
				t.Errorf("session %q mode %q", d.Session, d.Mode)
			}
			if tc.check != nil {
				tc.check(t, d)
			}
			var text bytes.Buffer
			d.WriteText(&text)
			if tc.golden != "" {
				golden(t, tc.golden, text.Bytes())
			}
			headline, _, _ := strings.Cut(text.String(), "\n")
			if tc.equal != strings.Contains(headline, "no differences") {
				t.Errorf("headline %q does not match Equal() = %v", headline, tc.equal)
			}
		})
	}
}

type errString2 string

func (e errString2) Error() string { return string(e) }

func TestLongMessageDiffIsCut(t *testing.T) {
	t.Parallel()
	before, after := play("1"), play("1")
	var bb, ab strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&bb, "line %d\r\n", i)
		fmt.Fprintf(&ab, "LINE %d\r\n", i)
	}
	before.Transactions[0].Final = []byte(bb.String())
	after.Transactions[0].Final = []byte(ab.String())
	d := Sessions(live(before), live(after), Options{})
	var text bytes.Buffer
	d.WriteText(&text)
	if n := strings.Count(text.String(), "\n"); n > maxMessageLines+20 {
		t.Errorf("the text has %d lines", n)
	}
	if !strings.Contains(text.String(), "... 3600 more diff lines not shown") {
		t.Errorf("no cut marker in:\n%s", text.String()[len(text.String())-300:])
	}
}

func TestDiffJSONRoundTrip(t *testing.T) {
	t.Parallel()
	after := play("2")
	rejectAtMail(after)
	d := Sessions(live(play("1")), live(after), Options{})
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var back Diff
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, d) {
		t.Errorf("JSON round trip changed the diff:\n%s", b)
	}
	var op LineOp
	if err := op.UnmarshalText([]byte("x")); err == nil {
		t.Error("UnmarshalText accepted x")
	}
}

func TestSessionsNil(t *testing.T) {
	t.Parallel()
	if d := Sessions(nil, nil, Options{}); !d.Equal() || len(d.Exchanges) != 0 {
		t.Errorf("nil vs nil: %+v", d)
	}
	d := Sessions(nil, live(play("1")), Options{})
	if d.Equal() || d.AfterExchanges != 5 || d.BeforeExchanges != 0 {
		t.Errorf("nil vs play: equal %v, exchanges %d -> %d", d.Equal(), d.BeforeExchanges, d.AfterExchanges)
	}
	for _, e := range d.Exchanges {
		if e.Status != StatusNew {
			t.Errorf("exchange %+v, want new", e.Key)
		}
	}
	var b bytes.Buffer
	d.WriteText(&b) // must not panic with steps on one side only
	if !strings.Contains(b.String(), "[new: not played in the before play]") {
		t.Errorf("text lacks the new step:\n%s", b.String())
	}
}
