package recorder

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
	"github.com/hooksim/hooksim/store"
)

// payload is a deterministic body with every byte value in it.
func payload(g, seq, n int) []byte {
	b := make([]byte, n)
	x := uint32(g*7919 + seq*104729 + 1)
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = byte(x >> 24)
	}
	return b
}

// synthetic reports one session of n exchanges straight to rec, as the
// simulator would, and returns its result and the play's handle.
func synthetic(ctx context.Context, rec *Recorder, name string, g, n int) (*simulator.SessionResult, *Play) {
	started := time.Now()
	play := rec.BeginPlay(ctx, &simulator.SessionInfo{Name: name, File: name + ".yaml", Hash: "h", Started: started})
	res := &simulator.SessionResult{Name: name, File: name + ".yaml", Started: started}
	for seq := 1; seq <= n; seq++ {
		ex := &simulator.Exchange{
			Session: name, Seq: seq, StepIndex: seq - 1, Stage: wire.StageRcpt, HookID: "h", URL: "http://127.0.0.1:1/",
			Started: started, Request: payload(g, seq, 200+seq%64),
			RequestHdrs: []hookconf.HeaderField{{Name: "content-type", Value: "application/json"}},
			Call: hookclient.CallResult{Status: 200, Body: payload(g+100, seq, 20+seq%16), Duration: time.Duration(seq),
				ResponseHeaders: []hookconf.HeaderField{{Name: "Content-Type", Value: "application/json"}}},
			Outcome: "accept",
		}
		play.Exchange(ex)
		st := &simulator.StepResult{Session: name, Index: seq - 1, Kind: "rcpt", Command: "RCPT TO:<a@b>",
			Replies: []string{"250 2.1.5 OK"}, Exchanges: []*simulator.Exchange{ex}, Action: "accept"}
		res.Steps = append(res.Steps, st)
		play.Step(st)
	}
	res.Exchanges = n
	res.Duration = time.Since(started)
	play.Finish(res)
	return res, play
}

// TestConcurrentRecording: 8 goroutines each record 1,000 exchanges under
// the same session name through one recorder (each through its own
// handle); all 8,000 must be stored byte for byte, each in its own run.
func TestConcurrentRecording(t *testing.T) {
	t.Parallel()
	const goroutines, each = 8, 1000
	ctx := context.Background()
	st, _ := openStore(t)
	rec := New(st, Options{QueueSize: 64}) // a small queue, so back-pressure happens
	plays := make([]*Play, goroutines)
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, plays[g] = synthetic(ctx, rec, "same", g, each)
		}()
	}
	wg.Wait()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	ids := map[int64]bool{}
	for g, play := range plays {
		id := play.RunID()
		if id == 0 || ids[id] {
			t.Fatalf("goroutine %d: run %d (duplicate %v)", g, id, ids[id])
		}
		ids[id] = true
		exs, err := st.Exchanges(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(exs) != each {
			t.Fatalf("goroutine %d: %d exchanges stored, want %d", g, len(exs), each)
		}
		for i, e := range exs {
			seq := i + 1
			if e.Seq != seq || !bytes.Equal(e.RequestBody, payload(g, seq, 200+seq%64)) ||
				!bytes.Equal(e.ResponseBody, payload(g+100, seq, 20+seq%16)) || e.Reply != "250 2.1.5 OK" {
				t.Fatalf("goroutine %d: exchange %d differs", g, seq)
			}
		}
		run, err := st.GetRun(ctx, id)
		if err != nil || run.Outcome != store.OutcomePassed || run.Exchanges != each {
			t.Errorf("goroutine %d: run %+v, %v", g, run, err)
		}
	}
}

// TestConcurrentPlays plays the bundled hello session from 8 goroutines
// at once and checks every run holds exactly its own five exchanges.
func TestConcurrentPlays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, _ := openStore(t)
	srv := hookServer(t)
	rec := New(st, Options{})
	sim := newSim(t, rec, flagHook(t, hookconf.FlagSpec{URL: srv.URL}))
	sess := hello(t)
	type played struct {
		res  *simulator.SessionResult
		play *Play
	}
	var mu sync.Mutex
	var results []played
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 3; i++ {
				res, play := recordPlay(ctx, sim, rec, sess, simulator.Origin{})
				mu.Lock()
				results = append(results, played{res, play})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	n, err := st.CountRuns(ctx, store.RunFilter{Session: "hello"})
	if err != nil || n != 24 {
		t.Fatalf("%d runs stored (%v), want 24", n, err)
	}
	for _, p := range results {
		res, id := p.res, p.play.RunID()
		if id == 0 {
			t.Fatal("no run for a result")
		}
		exs, err := st.Exchanges(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		steps, err := st.Steps(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(exs) != 5 || len(steps) != len(res.Steps) {
			t.Fatalf("run %d: %d exchanges, %d steps; want 5, %d", id, len(exs), len(steps), len(res.Steps))
		}
		for i, e := range exs {
			if e.Seq != i+1 || !bytes.Equal(e.RequestBody, res.Steps[e.StepIndex].Exchanges[0].Request) {
				t.Errorf("run %d: exchange %d is not this play's", id, e.Seq)
			}
		}
	}
}

func TestFlushOriginAndClose(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, _ := openStore(t)
	srv := hookServer(t)
	rec := New(st, Options{})
	sim := newSim(t, rec, flagHook(t, hookconf.FlagSpec{URL: srv.URL}))
	_, first := recordPlay(ctx, sim, rec, hello(t), simulator.Origin{})
	firstID := first.RunID()
	if firstID == 0 {
		t.Fatal("no run")
	}
	_, play := recordPlay(ctx, sim, rec, hello(t), simulator.Origin{Source: simulator.SourceReplay, ReplayOf: firstID, ReplayMode: "exact"})
	if err := rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-play.Recorded():
	default:
		t.Fatal("Recorded still open after Flush")
	}
	id := play.RunID()
	if id == 0 || id == firstID {
		t.Fatalf("RunID %d, first %d", id, firstID)
	}
	// After Flush, before Close, everything is in the store.
	run, err := st.GetRun(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if run.Outcome != store.OutcomePassed || run.Source != store.SourceReplay || run.ReplayOf != firstID ||
		run.ReplayMode != "exact" || run.Exchanges != 5 || len(run.Script) == 0 {
		t.Errorf("run after Flush = %+v", run)
	}
	exs, err := st.Exchanges(ctx, id)
	if err != nil || len(exs) != 5 {
		t.Errorf("%d exchanges after Flush (%v)", len(exs), err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := rec.Flush(ctx); err != nil {
		t.Errorf("Flush after Close: %v", err)
	}
	// Reports after Close are refused without a panic; the play's handle
	// says it was not recorded, at once.
	_, late := recordPlay(ctx, sim, rec, hello(t), simulator.Origin{})
	if err := rec.Err(); !errors.Is(err, ErrClosed) {
		t.Errorf("Err after a play on a closed recorder = %v, want ErrClosed", err)
	}
	select {
	case <-late.Recorded():
		if id := late.RunID(); id != 0 {
			t.Errorf("a play on a closed recorder has run ID %d", id)
		}
	default:
		t.Error("a play on a closed recorder is still waiting for its run")
	}
}

func TestWriteErrorsAreReported(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, _ := openStore(t)
	srv := hookServer(t)
	var mu sync.Mutex
	var errs []error
	rec := New(st, Options{OnError: func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() }})
	sim := newSim(t, rec, flagHook(t, hookconf.FlagSpec{URL: srv.URL}))
	_, bad := recordPlay(ctx, sim, rec, hello(t), simulator.Origin{Source: "bogus"}) // refused by the schema
	_, good := recordPlay(ctx, sim, rec, hello(t), simulator.Origin{})
	err := rec.Close()
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("recorder: session hello")) {
		t.Errorf("Close = %v, want the failed run's error", err)
	}
	mu.Lock()
	if len(errs) != 1 {
		t.Errorf("OnError called %d times, want once: %v", len(errs), errs)
	}
	mu.Unlock()
	if id := bad.RunID(); id != 0 {
		t.Errorf("RunID of the refused run = %d", id)
	}
	id := good.RunID()
	if id == 0 {
		t.Fatal("the good run was lost")
	}
	if exs, err := st.Exchanges(ctx, id); err != nil || len(exs) != 5 {
		t.Errorf("good run: %d exchanges (%v)", len(exs), err)
	}
	if n, _ := st.CountRuns(ctx, store.RunFilter{}); n != 1 {
		t.Errorf("%d runs stored, want 1", n)
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"http://127.0.0.1:8080/hook", "http://127.0.0.1:8080/hook"},
		{"http://u:pw@127.0.0.1/hook", "http://u:xxxxx@127.0.0.1/hook"},
		{"http://u@127.0.0.1/hook", "http://u@127.0.0.1/hook"},
		{"http://u:p w%zz@127.0.0.1/", "http://xxxxx@127.0.0.1/"},
	}
	for _, tc := range tests {
		if got := hookconf.RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// The steps a play reports between two commits are stored as one row
// (store.Tx.Write); when a batch's transaction fails, each op is written
// on its own and the steps of the ops that can be written are kept.
func TestStepsOfACommitAreOneRow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, path := openStore(t)
	// An hour's linger: the writer takes the whole play as one batch at Close.
	rec := New(st, Options{Linger: time.Hour})
	_, play := synthetic(ctx, rec, "one", 1, 10)
	// A second play whose third step repeats an exchange's seq, which the
	// schema refuses: the batch fails and its ops are written one by one.
	var errs []error
	var mu sync.Mutex
	rec2 := New(st, Options{Linger: time.Hour, OnError: func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() }})
	started := time.Now()
	bad := rec2.BeginPlay(ctx, &simulator.SessionInfo{Name: "dup", Started: started})
	for i, seq := range []int{1, 2, 2, 3} {
		ex := &simulator.Exchange{Session: "dup", Seq: seq, StepIndex: i, Stage: wire.StageRcpt, Started: started,
			Request: []byte("{}"), Call: hookclient.CallResult{Status: 200, Body: []byte("{}")}, Outcome: "accept"}
		bad.Exchange(ex)
		bad.Step(&simulator.StepResult{Session: "dup", Index: i, Kind: "rcpt", Command: fmt.Sprintf("RCPT TO:<%d@b>", i),
			Replies: []string{"250 2.1.5 OK"}, Exchanges: []*simulator.Exchange{ex}})
	}
	bad.Finish(&simulator.SessionResult{Name: "dup", Started: started, Exchanges: 4})
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if err := rec2.Close(); err == nil {
		t.Error("the repeated exchange was not reported")
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range []struct {
		id          int64
		rows        int
		commandsLen int
	}{{play.RunID(), 1, 10}, {bad.RunID(), 3, 3}} {
		var rows int
		if err := db.QueryRow(`SELECT count(*) FROM step_lists WHERE run_id = ?`, c.id).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		steps, err := st.Steps(ctx, c.id)
		if err != nil {
			t.Fatal(err)
		}
		if rows != c.rows || len(steps) != c.commandsLen {
			t.Errorf("run %d: %d steps in %d rows, want %d in %d", c.id, len(steps), rows, c.commandsLen, c.rows)
		}
		for i, s := range steps {
			if i > 0 && s.Index <= steps[i-1].Index {
				t.Errorf("run %d: steps out of order: %d after %d", c.id, s.Index, steps[i-1].Index)
			}
		}
	}
	steps, _ := st.Steps(ctx, bad.RunID())
	var got []int
	for _, s := range steps {
		got = append(got, s.Index)
	}
	if fmt.Sprint(got) != "[0 1 3]" {
		t.Errorf("steps kept of the failed batch: %v, want [0 1 3] (all but the refused one)", got)
	}
}
