package recorder

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/store"
)

// TestLoadRoundTrip records a played session and checks that Load gives
// back the same run: the row, the script, the play in the vocabulary
// (steps, exchanges byte for byte, transactions) and the exchange rows.
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
	// The run is the play itself in the vocabulary (the report tests
	// check every field; here: nothing lost on the way through Load).
	if l.Report == nil || l.Report.Run == nil || l.Report.Run.ID != id {
		t.Fatalf("report %+v, want run #%d", l.Report, id)
	}
	if got, want := comparableSession(*l.Report), comparableSession(report.LiveSession(res)); got != want {
		t.Errorf("loaded report differs from the play's:\n--- loaded\n%s\n--- played\n%s", got, want)
	}
	if res.Exchanges != 6 { // connect, ehlo, mail (two hooks), rcpt, data
		t.Errorf("played %d exchanges, want 6", res.Exchanges)
	}
	if len(l.ExchangeRows) != res.Exchanges {
		t.Fatalf("Loaded.ExchangeRows has %d, want %d", len(l.ExchangeRows), res.Exchanges)
	}
	var played []*simulator.Exchange
	for _, st := range res.Steps {
		played = append(played, st.Exchanges...)
	}
	for i, row := range l.ExchangeRows {
		w := played[i]
		if row.Seq != w.Seq || !bytes.Equal(row.RequestBody, w.Request) || !bytes.Equal(row.ResponseBody, w.Call.Body) || row.Duration != w.Call.Duration {
			t.Errorf("exchange row %d: seq %d, bodies or duration differ from the play's", i, row.Seq)
		}
	}
	skipped := 0
	for _, ex := range report.SortedExchanges(l.Report) {
		if ex.Effect == "skipped" && ex.Error != nil && ex.Error.Class == "http-status" && ex.Response.Status == 503 &&
			ex.Response.Base64 != nil && string(report.RawBody(ex.Response.Body)) == "maintenance\xff" {
			skipped++
		}
	}
	if skipped != 1 {
		t.Errorf("%d skipped 503 exchanges loaded, want 1", skipped)
	}
	if _, err := Load(ctx, st, id+100); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Load of a missing run: %v, want ErrNotFound", err)
	}
}

// comparableSession is s as JSON without what a recording holds
// differently: the run row, the duration (timed by the recorder), the
// message as queued (not stored); times in UTC.
func comparableSession(s report.Session) string {
	s.Run = nil
	s.DurationMS = 0
	s.Started = s.Started.UTC()
	s.Steps = slices.Clone(s.Steps)
	for i := range s.Steps {
		s.Steps[i].Exchanges = slices.Clone(s.Steps[i].Exchanges)
		for j := range s.Steps[i].Exchanges {
			s.Steps[i].Exchanges[j].Started = s.Steps[i].Exchanges[j].Started.UTC()
		}
	}
	s.Transactions = slices.Clone(s.Transactions)
	for i := range s.Transactions {
		s.Transactions[i].Queued, s.Transactions[i].QueuedNotes = nil, []string{}
	}
	b, _ := json.MarshalIndent(s, "", " ")
	return string(b)
}
