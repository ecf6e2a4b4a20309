package simulator

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/hooksim/hooksim/simulator/hookconf"
)

// logObserver keeps, for every play it is told about, the events its
// handle received, as lines.
type logObserver struct {
	mu    sync.Mutex
	plays []*logPlay
}

func (o *logObserver) Begin(_ context.Context, info *SessionInfo) Play {
	p := &logPlay{info: info}
	p.add("begin %s %+v", info.Name, info.Origin)
	o.mu.Lock()
	o.plays = append(o.plays, p)
	o.mu.Unlock()
	return p
}

type logPlay struct {
	info *SessionInfo
	log  []string
}

func (p *logPlay) add(format string, a ...any) { p.log = append(p.log, fmt.Sprintf(format, a...)) }
func (p *logPlay) Exchange(ex *Exchange)       { p.add("exchange %s %d", ex.Session, ex.Seq) }
func (p *logPlay) Step(st *StepResult) {
	seqs := make([]int, 0, len(st.Exchanges))
	for _, ex := range st.Exchanges {
		seqs = append(seqs, ex.Seq)
	}
	p.add("step %s %d %v", st.Session, st.Index, seqs)
}
func (p *logPlay) Transaction(tx *TransactionResult) {
	p.add("transaction %s %d", tx.Session, tx.Number)
}
func (p *logPlay) Finish(res *SessionResult) { p.add("finish %s %d", res.Name, res.Exchanges) }

// wantLog is what a handle must receive for res, given the simulator's
// order: begin; for each step, its exchanges as they complete, the
// transaction a data step finished, then the step; finish last.
func wantLog(res *SessionResult, origin Origin) []string {
	out := []string{fmt.Sprintf("begin %s %+v", res.Name, origin)}
	for _, st := range res.Steps {
		var seqs []int
		for _, ex := range st.Exchanges {
			out = append(out, fmt.Sprintf("exchange %s %d", res.Name, ex.Seq))
			seqs = append(seqs, ex.Seq)
		}
		for _, tx := range res.Transactions {
			if (st.Kind == "data" || st.Kind == "bdat") && tx.Number == st.Transaction && tx.Reply == st.Reply() {
				out = append(out, fmt.Sprintf("transaction %s %d", res.Name, tx.Number))
			}
		}
		if seqs == nil {
			seqs = []int{}
		}
		out = append(out, fmt.Sprintf("step %s %d %v", res.Name, st.Index, seqs))
	}
	return append(out, fmt.Sprintf("finish %s %d", res.Name, res.Exchanges))
}

// TestObserverSeam plays a session through each shape of observer and
// checks every handle got the play's events once each, in order, with
// the simulator's Origin; a nil observer or a nil handle is no failure.
func TestObserverSeam(t *testing.T) {
	t.Parallel()
	hook := newFakeHook(t, answerAt("data", `{"action":"accept","modifications":[{"type":"addHeader","name":"X-Seen","value":"yes"}]}`))
	hooks := []*hookconf.Hook{hookAt("h", hook.srv.URL, allStages...)}
	replay := Origin{Source: SourceReplay, ReplayOf: 7, ReplayMode: "exact"}
	tests := []struct {
		name   string
		logs   int // logObservers combined
		origin Origin
		extra  []Observer // also combined, after the logs
		nilObs bool       // Simulator.Observer left nil
	}{
		{name: "one", logs: 1},
		{name: "fan-out", logs: 2, origin: replay},
		{name: "a nil handle in the fan-out", logs: 1, origin: Origin{Source: SourceSMTP},
			extra: []Observer{ObserverFunc(func(context.Context, *SessionInfo) Play { return nil })}},
		{name: "empty fan-out", logs: 0},
		{name: "nil observer", nilObs: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs []*logObserver
			var obs Observers
			for range tc.logs {
				l := &logObserver{}
				logs = append(logs, l)
				obs = append(obs, l)
			}
			obs = append(obs, tc.extra...)
			sim := New(hooks, obs)
			if tc.nilObs {
				sim.Observer = nil
			}
			sim.Origin = tc.origin
			t.Cleanup(func() { sim.Client.Close() })
			res := sim.Play(context.Background(), standard())
			if res.Err != nil || res.Exchanges != 5 || len(res.Transactions) != 1 {
				t.Fatalf("play: err %v, %d exchanges, %d transactions; want 5 and 1", res.Err, res.Exchanges, len(res.Transactions))
			}
			want := wantLog(res, tc.origin)
			for i, l := range logs {
				if len(l.plays) != 1 {
					t.Fatalf("observer %d: Begin called %d times, want 1", i, len(l.plays))
				}
				if got := l.plays[0].log; !slices.Equal(got, want) {
					t.Errorf("observer %d got\n  %v\nwant\n  %v", i, got, want)
				}
				if info := l.plays[0].info; info.Name != res.Name || info.File != "test.yaml" || info.Session == nil ||
					len(info.Hooks) != 1 || !info.Started.Equal(res.Started) {
					t.Errorf("observer %d: info %+v", i, info)
				}
			}
		})
	}
}

// TestConcurrentPlaysHaveTheirOwnHandles plays two sessions of different
// names at once through one Simulator and one observer: each handle must
// receive only its own play's events.
func TestConcurrentPlaysHaveTheirOwnHandles(t *testing.T) {
	t.Parallel()
	hook := newFakeHook(t, accept)
	obs := &logObserver{}
	sim := New([]*hookconf.Hook{hookAt("h", hook.srv.URL, allStages...)}, obs)
	t.Cleanup(func() { sim.Client.Close() })
	const plays = 8
	results := make([]*SessionResult, plays)
	var wg sync.WaitGroup
	for i := range plays {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := standard()
			s.Name = fmt.Sprintf("play-%d", i)
			results[i] = sim.Play(context.Background(), s)
		}()
	}
	wg.Wait()
	if len(obs.plays) != plays {
		t.Fatalf("Begin called %d times, want %d", len(obs.plays), plays)
	}
	byName := map[string]*logPlay{}
	for _, p := range obs.plays {
		byName[p.info.Name] = p
	}
	for _, res := range results {
		p := byName[res.Name]
		if p == nil {
			t.Fatalf("no handle for %s", res.Name)
		}
		if want := wantLog(res, Origin{}); !slices.Equal(p.log, want) {
			t.Errorf("%s got\n  %v\nwant\n  %v", res.Name, p.log, want)
		}
	}
}
