package recorder

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/store"
)

// TestLoadRoundTrip records a played session and checks that Load gives
// back the same result: steps, exchanges byte for byte, transactions.
func TestLoadRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, _ := openStore(t)
	good := hookServer(t)
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Why", "down for maintenance")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("maintenance\xff"))
	}))
	defer broken.Close()
	rec := New(st, Options{})
	hooks := []*hookconf.Hook{
		flagHook(t, hookconf.FlagSpec{URL: good.URL + "/hook"}),
		flagHook(t, hookconf.FlagSpec{URL: broken.URL + "/hook", Stages: []string{"mail"}, NoTempFail: true}),
	}
	hooks[1].ID = "broken"
	sim := newSim(t, rec, hooks...)
	sess := hello(t)
	res, play := recordPlay(ctx, sim, rec, sess, simulator.Origin{Source: simulator.SourceSMTP})
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	id := play.RunID()
	if id == 0 {
		t.Fatal("RunID: no run")
	}
	l, err := Load(ctx, st, id)
	if err != nil {
		t.Fatal(err)
	}
	wantOutcome := store.OutcomePassed
	if !res.Passed() {
		wantOutcome = store.OutcomeFailed
	}
	if l.Run.Outcome != wantOutcome || l.Run.Source != store.SourceSMTP || l.Run.SessionName != "hello" ||
		l.Run.SessionHash != sess.Hash || l.Run.Exchanges != res.Exchanges || l.Run.Failures != res.Failures {
		t.Errorf("run = %+v", l.Run)
	}
	if !l.Run.Started.Equal(res.Started) || !l.Run.Ended.Equal(res.Started.Add(res.Duration)) {
		t.Errorf("run times %v..%v, want %v+%v", l.Run.Started, l.Run.Ended, res.Started, res.Duration)
	}
	if l.Session == nil {
		t.Fatalf("session not parsed back: %v", l.SessionErr)
	}
	if l.Session.Name != sess.Name || len(l.Session.Steps) != len(sess.Steps) {
		t.Errorf("session %q with %d steps, want %q with %d", l.Session.Name, len(l.Session.Steps), sess.Name, len(sess.Steps))
	}
	got := l.Result
	if got.Name != res.Name || got.Exchanges != res.Exchanges || got.Failures != res.Failures || len(got.Steps) != len(res.Steps) {
		t.Fatalf("result %+v, want %+v", got, res)
	}
	if res.Exchanges != 6 { // connect, ehlo, mail (two hooks), rcpt, data
		t.Errorf("played %d exchanges, want 6", res.Exchanges)
	}
	for i, ws := range res.Steps {
		gs := got.Steps[i]
		if gs.Index != ws.Index || gs.Kind != ws.Kind || gs.Command != ws.Command || gs.Message != ws.Message ||
			!reflect.DeepEqual(gs.Replies, ws.Replies) || gs.Action != ws.Action || gs.Transaction != ws.Transaction ||
			gs.Closed != ws.Closed || !reflect.DeepEqual(gs.Failures, ws.Failures) || !reflect.DeepEqual(gs.Lints, ws.Lints) ||
			gs.Line != ws.Line || gs.Implied != ws.Implied || len(gs.Exchanges) != len(ws.Exchanges) {
			t.Errorf("step %d:\n got %+v\nwant %+v", i, gs, ws)
			continue
		}
		for j, we := range ws.Exchanges {
			checkExchange(t, gs.Exchanges[j], we)
			row, err := st.Exchange(ctx, id, we.Seq)
			if err != nil {
				t.Fatal(err)
			}
			if row.Reply != ws.Reply() || row.Reply == "" {
				t.Errorf("exchange %d stored with reply %q, want its step's %q", we.Seq, row.Reply, ws.Reply())
			}
		}
	}
	if len(got.Transactions) != len(res.Transactions) || len(res.Transactions) != 1 {
		t.Fatalf("%d transactions, want %d (1)", len(got.Transactions), len(res.Transactions))
	}
	gt, wt := got.Transactions[0], res.Transactions[0]
	if gt.Number != wt.Number || gt.QueueID != wt.QueueID || gt.Delivered != wt.Delivered || gt.Reply != wt.Reply ||
		!bytes.Equal(gt.Original, wt.Original) || !bytes.Equal(gt.Final, wt.Final) ||
		!reflect.DeepEqual(gt.EnvelopeIn, wt.EnvelopeIn) || !reflect.DeepEqual(gt.EnvelopeOut, wt.EnvelopeOut) {
		t.Errorf("transaction:\n got %+v\nwant %+v", gt, wt)
	}
	skipped := 0
	for _, ex := range l.Exchanges {
		if ex.Effect == "skipped" && ex.Err != nil && ex.Err.Class == "http-status" && ex.Call.Status == 503 &&
			string(ex.Call.Body) == "maintenance\xff" {
			skipped++
		}
	}
	if skipped != 1 {
		t.Errorf("%d skipped 503 exchanges loaded, want 1", skipped)
	}
	if len(l.Exchanges) != res.Exchanges {
		t.Errorf("Loaded.Exchanges has %d, want %d", len(l.Exchanges), res.Exchanges)
	}
	if _, err := Load(ctx, st, id+100); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Load of a missing run: %v, want ErrNotFound", err)
	}
}

func checkExchange(t *testing.T, g, w *simulator.Exchange) {
	t.Helper()
	if g.Seq != w.Seq || g.StepIndex != w.StepIndex || g.Transaction != w.Transaction || g.Stage != w.Stage ||
		g.HookID != w.HookID || g.URL != w.URL || !g.Started.Equal(w.Started) || g.Outcome != w.Outcome || g.Effect != w.Effect {
		t.Errorf("exchange %d:\n got %+v\nwant %+v", w.Seq, g, w)
	}
	if !bytes.Equal(g.Request, w.Request) || !bytes.Equal(g.Call.Body, w.Call.Body) {
		t.Errorf("exchange %d: bodies differ", w.Seq)
	}
	if !reflect.DeepEqual(g.RequestHdrs, w.RequestHdrs) || !reflect.DeepEqual(g.Call.ResponseHeaders, w.Call.ResponseHeaders) {
		t.Errorf("exchange %d: headers\n got %v / %v\nwant %v / %v", w.Seq, g.RequestHdrs, g.Call.ResponseHeaders, w.RequestHdrs, w.Call.ResponseHeaders)
	}
	if g.Call.Status != w.Call.Status || g.Call.Duration != w.Call.Duration {
		t.Errorf("exchange %d: status %d in %v, want %d in %v", w.Seq, g.Call.Status, g.Call.Duration, w.Call.Status, w.Call.Duration)
	}
	if !reflect.DeepEqual(g.Response, w.Response) {
		t.Errorf("exchange %d: response %+v, want %+v", w.Seq, g.Response, w.Response)
	}
	if !reflect.DeepEqual(g.Err, w.Err) || !reflect.DeepEqual(g.Call.Err, w.Call.Err) {
		t.Errorf("exchange %d: error %v / %v, want %v / %v", w.Seq, g.Err, g.Call.Err, w.Err, w.Call.Err)
	}
	if !reflect.DeepEqual(g.Lints, w.Lints) {
		t.Errorf("exchange %d: lints %v, want %v", w.Seq, g.Lints, w.Lints)
	}
}
