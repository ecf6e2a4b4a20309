package compare

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/wire"
)

func TestExchange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		before *simulator.Exchange
		after  *simulator.Exchange
		status Status
		reply  Change
	}{
		{"same", exch(3, 2, wire.StageMail, "h"), exch(3, 2, wire.StageMail, "h"), StatusSame,
			Change{simulator.ReplyMailOK, simulator.ReplyMailOK}},
		{"now rejects", exch(3, 2, wire.StageMail, "h"), reject(exch(3, 2, wire.StageMail, "h"), 550, "No"), StatusChanged,
			Change{simulator.ReplyMailOK, "550 No"}},
		{"now times out", exch(3, 2, wire.StageRcpt, "h"), failed(exch(3, 2, wire.StageRcpt, "h"), hookclient.ErrTimeout, ""), StatusChanged,
			Change{simulator.ReplyRcptOK, simulator.ReplyHookTempFail}},
		{"skipped error", failed(exch(3, 2, wire.StageRcpt, "h"), hookclient.ErrRefused, "skipped"), failed(exch(3, 2, wire.StageRcpt, "h"), hookclient.ErrTimeout, "skipped"), StatusChanged,
			Change{"(hook skipped: tempFailOnError is false)", "(hook skipped: tempFailOnError is false)"}},
		{"missing", exch(3, 2, wire.StageMail, "h"), nil, StatusMissing, Change{simulator.ReplyMailOK, ""}},
		{"new", nil, exch(3, 2, wire.StageMail, "h"), StatusNew, Change{"", simulator.ReplyMailOK}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := Exchange(liveExchange(tc.before), liveExchange(tc.after), Options{IgnoreLatency: true})
			if d.Status != tc.status || d.Reply != tc.reply {
				t.Errorf("status %s reply %+v, want %s %+v", d.Status, d.Reply, tc.status, tc.reply)
			}
			if d.Equal() != (tc.status == StatusSame) {
				t.Errorf("Equal() = %v with status %s", d.Equal(), d.Status)
			}
			if d.Latency != (Change{}) {
				t.Errorf("latency %+v with IgnoreLatency", d.Latency)
			}
		})
	}
	if Exchange(nil, nil, Options{}) != nil {
		t.Error("Exchange(nil, nil) is not nil")
	}
}

func TestExchangesExact(t *testing.T) {
	t.Parallel()
	before := []*simulator.Exchange{exch(1, 0, wire.StageConnect, "h"), exch(2, 2, wire.StageMail, "h"), exch(3, 3, wire.StageRcpt, "h")}
	after := []*simulator.Exchange{exch(1, 0, wire.StageConnect, "h"), reject(exch(2, 2, wire.StageMail, "h"), 0, ""), exch(3, 3, wire.StageRcpt, "h")}
	after[2].Lints = []wire.Lint{{Code: wire.LintUnknownKey, Path: "x", Message: "Stalwart ignores this key"}}
	d := Exchanges("hello", liveExchanges(before), liveExchanges(after), Options{IgnoreLatency: true})
	if d.Mode != ModeExact || d.Session != "hello" || d.Equal() {
		t.Fatalf("mode %s session %q equal %v", d.Mode, d.Session, d.Equal())
	}
	if got := statuses(d); !slices.Equal(got, []Status{StatusSame, StatusChanged, StatusChanged}) {
		t.Errorf("statuses %v", got)
	}
	var b bytes.Buffer
	d.WriteText(&b)
	golden(t, "exact", b.Bytes())
	if !Exchanges("hello", liveExchanges(before), liveExchanges(before), Options{}).Equal() {
		t.Error("a list compared with itself is not equal")
	}
}

func TestMatchExchanges(t *testing.T) {
	t.Parallel()
	ex := func(seq, step int, hook string) *simulator.Exchange { return exch(seq, step, wire.StageRcpt, hook) }
	tests := []struct {
		name          string
		before, after []*simulator.Exchange
		want          []string // "b-a" seqs, 0 for none
	}{
		{"same", []*simulator.Exchange{ex(1, 1, "a"), ex(2, 1, "b")}, []*simulator.Exchange{ex(1, 1, "a"), ex(2, 1, "b")}, []string{"1-1", "2-2"}},
		{"one missing in the middle", []*simulator.Exchange{ex(1, 1, "a"), ex(2, 2, "a"), ex(3, 3, "a")}, []*simulator.Exchange{ex(1, 1, "a"), ex(2, 3, "a")}, []string{"1-1", "2-0", "3-2"}},
		{"one new in the middle", []*simulator.Exchange{ex(1, 1, "a"), ex(2, 3, "a")}, []*simulator.Exchange{ex(1, 1, "a"), ex(2, 2, "a"), ex(3, 3, "a")}, []string{"1-1", "0-2", "2-3"}},
		{"hooks swapped", []*simulator.Exchange{ex(1, 1, "a"), ex(2, 1, "b")}, []*simulator.Exchange{ex(1, 1, "b"), ex(2, 1, "a")}, []string{"1-2", "2-1"}},
		{"n-th call", []*simulator.Exchange{ex(1, 1, "a"), ex(2, 1, "a")}, []*simulator.Exchange{ex(1, 1, "a")}, []string{"1-1", "2-0"}},
		{"all new", nil, []*simulator.Exchange{ex(1, 1, "a")}, []string{"0-1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, p := range matchExchanges(liveExchanges(tc.before), liveExchanges(tc.after)) {
				b, a := 0, 0
				if p.before != nil {
					b = p.before.Seq
				}
				if p.after != nil {
					a = p.after.Seq
				}
				got = append(got, strings.Join([]string{itoa(b), itoa(a)}, "-"))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("pairs %v, want %v", got, tc.want)
			}
		})
	}
}

func itoa(n int) string { return string(rune('0' + n)) }

func TestMaskQueueID(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"250 2.0.0 Message queued with id 1a2b3c.", "250 2.0.0 Message queued with id <queue-id>."},
		{"250 2.0.0 Message queued with id .", "250 2.0.0 Message queued with id ."},
		{"250 2.0.0 Message queued with id zz.", "250 2.0.0 Message queued with id zz."},
		{"250 2.0.0 Message queued for delivery.", "250 2.0.0 Message queued for delivery."},
		{"550 Message queued with id 12.", "550 Message queued with id 12."},
	}
	for _, tc := range tests {
		if got := maskQueueID(tc.in); got != tc.want {
			t.Errorf("maskQueueID(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCanonicalMods(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 200)
	long2 := strings.Repeat("x", 199) + "y"
	mods := []wire.Modification{
		{Type: wire.ModDeleteRecipient, Value: "<b@x.org>"},
		{Type: wire.ModAddRecipient, Value: "B@x.org", Parameters: []wire.Parameter{{Key: "NOTIFY", Value: strp("NEVER")}, {Key: "A"}}},
		{Type: wire.ModChangeFrom, Value: "<>"},
		{Type: wire.ModReplaceContents, Value: "a\r\n"},
		{Type: wire.ModAddRecipient, Value: "a@x.org"},
		{Type: wire.ModDeleteHeader, Index: 2, Name: "Received"},
		{Type: wire.ModInsertHeader, Index: 1, Name: "X: bad", Value: "v\r\nInjected: yes"},
		{Type: wire.ModChangeHeader, Index: 1, Name: "Subject", Value: long},
	}
	got := canonicalMods(reportMods(mods))
	want := []string{
		`deleteHeader #2 Received`,
		`insertHeader #1 "X: bad": "v\r\nInjected: yes"`,
		`changeHeader #1 Subject: "` + strings.Repeat("x", 100) + `"... (200 bytes, sha256 ` + got[2][len(got[2])-13:],
		`replaceContents "a\r\n"`,
		`changeFrom "<>"`,
		`addRecipient "a@x.org"`,
		`deleteRecipient "<b@x.org>"`,
		`addRecipient "B@x.org" A NOTIFY="NEVER"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("canonical:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Two long values that differ only after the shown prefix still differ.
	a := canonicalMods(reportMods([]wire.Modification{{Type: wire.ModReplaceContents, Value: long}}))
	b := canonicalMods(reportMods([]wire.Modification{{Type: wire.ModReplaceContents, Value: long2}}))
	if a[0] == b[0] {
		t.Errorf("long values render the same: %s", a[0])
	}
}
