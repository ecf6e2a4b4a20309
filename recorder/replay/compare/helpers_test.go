package compare

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/wire"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/compare/")

// golden compares got with testdata/compare/name.golden.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "..", "..", "testdata", "compare", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s\nwant:\n%s", name, got, want)
	}
}

const (
	greeting = "220 mx.example.org Stalwart ESMTP at your service"
	original = "From: john@example.org\r\nTo: bill@foobar.org\r\nSubject: Saying Hello\r\n\r\nThis is a message just to say hello.\r\nSo, \"Hello\"."
)

// exch builds an accepting exchange with a body made from mods.
func exch(seq, step int, stage wire.Stage, hook string, mods ...wire.Modification) *simulator.Exchange {
	if mods == nil {
		mods = []wire.Modification{}
	}
	return &simulator.Exchange{
		Session: "hello", Seq: seq, StepIndex: step, Stage: stage, HookID: hook,
		URL:      "http://127.0.0.1:8080/hook",
		Request:  []byte(`{"context":{"stage":"` + string(stage) + `"}}`),
		Call:     hookclient.CallResult{Status: 200, Body: []byte(`{"action":"accept"}`), Duration: 3 * time.Millisecond},
		Response: &wire.Response{Action: wire.ActionAccept, Modifications: mods},
		Outcome:  "accept",
	}
}

// reject makes ex a reject with an optional custom reply.
func reject(ex *simulator.Exchange, status uint16, message string) *simulator.Exchange {
	ex.Response.Action = wire.ActionReject
	ex.Outcome = "reject"
	ex.Call.Body = []byte(`{"action":"reject"}`)
	if message != "" {
		ex.Response.Reply = &wire.SMTPResponse{Status: &status, Message: &message}
	}
	return ex
}

func failed(ex *simulator.Exchange, class hookclient.ErrorClass, effect string) *simulator.Exchange {
	ex.Response = nil
	ex.Outcome = "error"
	ex.Effect = effect
	ex.Call.Status = 0
	ex.Call.Body = nil
	ex.Err = &hookclient.HookError{Class: class, Message: "the hook did not answer in time"}
	ex.Call.Err = ex.Err
	return ex
}

func step(i int, kind, cmd string, replies []string, exs ...*simulator.Exchange) *simulator.StepResult {
	st := &simulator.StepResult{Session: "hello", Index: i, Kind: kind, Command: cmd, Replies: replies, Exchanges: exs, Line: 3 + i, Action: "none"}
	for _, ex := range exs {
		st.Lints = append(st.Lints, ex.Lints...)
		st.Action = ex.Outcome
	}
	return st
}

func addHeader(name, value string) wire.Modification {
	return wire.Modification{Type: wire.ModAddHeader, Name: name, Value: value}
}

func strp(s string) *string { return &s }

// play builds the played "hello" session: every stage accepted, the data
// hook adding X-Spam-Score, the message queued with queueID.
func play(queueID string) *simulator.SessionResult {
	final := "X-Spam-Score: 1\r\n" + original
	r := &simulator.SessionResult{Name: "hello", File: "hello.yaml", Exchanges: 5}
	r.Steps = []*simulator.StepResult{
		step(0, "connect", "", []string{greeting}, exch(1, 0, wire.StageConnect, "hook-1")),
		step(1, "ehlo", "EHLO client.example", []string{"250-mx.example.org you had me at EHLO", "250 8BITMIME"}, exch(2, 1, wire.StageEhlo, "hook-1")),
		step(2, "mail", "MAIL FROM:<john@example.org>", []string{simulator.ReplyMailOK}, exch(3, 2, wire.StageMail, "hook-1")),
		step(3, "rcpt", "RCPT TO:<bill@foobar.org>", []string{simulator.ReplyRcptOK}, exch(4, 3, wire.StageRcpt, "hook-1")),
		step(4, "data", "DATA", []string{simulator.ReplyDataGo, "250 2.0.0 Message queued with id " + queueID + "."},
			exch(5, 4, wire.StageData, "hook-1", addHeader("X-Spam-Score", "1"))),
		step(5, "quit", "QUIT", []string{simulator.ReplyBye}),
	}
	r.Steps[5].Closed = true
	env := simulator.EnvelopeView{From: strp("john@example.org"), To: []string{"bill@foobar.org"}}
	r.Transactions = []*simulator.TransactionResult{{
		Session: "hello", Number: 1, QueueID: queueID, Delivered: true,
		Original: []byte(original), Final: []byte(final), EnvelopeIn: env, EnvelopeOut: env,
		Reply: "250 2.0.0 Message queued with id " + queueID + ".",
	}}
	return r
}

// dataExchange returns the data-stage exchange of a play built by play.
func dataExchange(r *simulator.SessionResult) *simulator.Exchange { return r.Steps[4].Exchanges[0] }

// statuses lists the statuses of d's exchanges, in order.
func statuses(d *Diff) []Status {
	out := make([]Status, len(d.Exchanges))
	for i, e := range d.Exchanges {
		out[i] = e.Status
	}
	return out
}

// live is r as Sessions compares it (report.LiveSession); nil for nil.
func live(r *simulator.SessionResult) *report.Session {
	if r == nil {
		return nil
	}
	s := report.LiveSession(r)
	return &s
}

// liveExchange is ex as Exchange compares it (report.LiveExchange); nil
// for nil.
func liveExchange(ex *simulator.Exchange) *report.Exchange {
	if ex == nil {
		return nil
	}
	e := report.LiveExchange(ex, "")
	return &e
}

// liveExchanges is liveExchange of each.
func liveExchanges(exs []*simulator.Exchange) []*report.Exchange {
	out := make([]*report.Exchange, len(exs))
	for i, ex := range exs {
		out[i] = liveExchange(ex)
	}
	return out
}

// reportMods are mods as the vocabulary holds them (report.ParsedOf).
func reportMods(mods []wire.Modification) []report.Modification {
	return report.ParsedOf(&wire.Response{Modifications: mods}).Modifications
}
