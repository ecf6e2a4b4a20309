package store

import (
	"context"
	"reflect"
	"testing"
	"time"
)

// fillRuns makes six runs with different sessions, sources, stages,
// outcomes and start times, and returns their IDs in creation order.
func fillRuns(t *testing.T, s *Store) []int64 {
	t.Helper()
	ctx := context.Background()
	type spec struct {
		session, source string
		started         time.Time
		stage, outcome  string
		errClass        string
	}
	specs := []spec{
		{"hello", SourceScript, t0, "data", "accept", ""},
		{"hello", SourceScript, t0.Add(time.Hour), "rcpt", "reject", ""},
		{"spam", SourceSMTP, t0.Add(2 * time.Hour), "data", "error", "timeout"},
		{"hello", SourceReplay, t0.Add(3 * time.Hour), "connect", "accept", ""},
		{"spam", SourceScript, t0.Add(4 * time.Hour), "", "", ""},
		{"bounce", SourceScript, t0.Add(5 * time.Hour), "mail", "error", "parse"},
	}
	var ids []int64
	for _, sp := range specs {
		id, err := s.CreateRun(ctx, &Run{SessionName: sp.session, Source: sp.source, Started: sp.started, Script: []byte("s")})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		if sp.stage == "" {
			continue
		}
		e := testExchange(id, 0, 1)
		e.Stage, e.Outcome, e.ErrorClass = sp.stage, sp.outcome, sp.errClass
		if err := s.Write(ctx, Batch{Exchanges: []Exchange{e}, Steps: []Step{{RunID: id, Index: 0, Kind: "connect"}},
			Messages: []Message{{RunID: id, Number: 1, Original: []byte("m")}}}); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishRun(ctx, id, sp.started.Add(time.Second), OutcomePassed, 0, 1, ""); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func TestListAndCountRuns(t *testing.T) {
	t.Parallel()
	s, _ := openTemp(t)
	ctx := context.Background()
	ids := fillRuns(t, s)
	pick := func(idx ...int) []int64 {
		var out []int64
		for _, i := range idx {
			out = append(out, ids[i])
		}
		return out
	}
	tests := []struct {
		name  string
		f     RunFilter
		want  []int64
		count int
	}{
		{"all newest first", RunFilter{}, pick(5, 4, 3, 2, 1, 0), 6},
		{"limit", RunFilter{Limit: 2}, pick(5, 4), 6},
		{"page", RunFilter{Limit: 2, BeforeID: ids[4]}, pick(3, 2), 6},
		{"session", RunFilter{Session: "hello"}, pick(3, 1, 0), 3},
		{"source", RunFilter{Source: SourceScript}, pick(5, 4, 1, 0), 4},
		{"stage", RunFilter{Stage: "data"}, pick(2, 0), 2},
		{"action", RunFilter{Action: "accept"}, pick(3, 0), 2},
		{"errors", RunFilter{Errors: true}, pick(5, 2), 2},
		{"since", RunFilter{Since: t0.Add(4 * time.Hour)}, pick(5, 4), 2},
		{"until", RunFilter{Until: t0.Add(time.Hour)}, pick(0), 1},
		{"combined", RunFilter{Session: "spam", Errors: true, Since: t0.Add(time.Hour), Until: t0.Add(3 * time.Hour)}, pick(2), 1},
		{"none", RunFilter{Session: "nope"}, nil, 0},
		{"stage is not a substring match", RunFilter{Stage: "dat"}, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			runs, err := s.ListRuns(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, r := range runs {
				got = append(got, r.ID)
				if r.Script != nil {
					t.Errorf("run %d: ListRuns loaded the script", r.ID)
				}
				if r.Started.Location() != time.UTC {
					t.Errorf("run %d: Started not in UTC", r.ID)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ListRuns = %v, want %v", got, tc.want)
			}
			n, err := s.CountRuns(ctx, tc.f)
			if err != nil || n != tc.count {
				t.Errorf("CountRuns = %d, %v; want %d", n, err, tc.count)
			}
		})
	}
}

func TestPrune(t *testing.T) {
	t.Parallel()
	s, _ := openTemp(t)
	ctx := context.Background()
	ids := fillRuns(t, s)
	// Run 3 replays run 0, which is pruned: the replay stays, unlinked.
	if _, err := s.w.ExecContext(ctx, "UPDATE runs SET replay_of = ? WHERE id = ?", ids[0], ids[3]); err != nil {
		t.Fatal(err)
	}
	n, err := s.Prune(ctx, t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("Prune deleted %d runs, want 2", n)
	}
	runs, err := s.ListRuns(ctx, RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 4 || runs[len(runs)-1].ID != ids[2] {
		t.Errorf("after prune: %d runs, oldest %d", len(runs), runs[len(runs)-1].ID)
	}
	r, err := s.GetRun(ctx, ids[3])
	if err != nil || r.ReplayOf != 0 {
		t.Errorf("replay of a pruned run: %+v, %v", r, err)
	}
	for _, table := range []string{"step_lists", "exchanges", "messages"} {
		var left int
		if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM "+table+" WHERE run_id IN (?, ?)", ids[0], ids[1]).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left != 0 {
			t.Errorf("%d %s rows of pruned runs left", left, table)
		}
	}
	ex, err := s.Exchanges(ctx, ids[2])
	if err != nil || len(ex) != 1 {
		t.Errorf("exchanges of a kept run: %d, %v", len(ex), err)
	}
}

func TestUpdateRollsBack(t *testing.T) {
	t.Parallel()
	s, _ := openTemp(t)
	ctx := context.Background()
	err := s.Update(ctx, func(tx *Tx) error {
		id, err := tx.CreateRun(ctx, &Run{SessionName: "a", Started: t0})
		if err != nil {
			return err
		}
		if err := tx.Write(ctx, Batch{Exchanges: []Exchange{testExchange(id, 0, 1)}}); err != nil {
			return err
		}
		return tx.FinishRun(ctx, id+100, t0, OutcomePassed, 0, 1, "") // no such run
	})
	if err == nil {
		t.Fatal("Update succeeded")
	}
	if n, err := s.CountRuns(ctx, RunFilter{}); err != nil || n != 0 {
		t.Errorf("%d runs after a rolled back Update (%v)", n, err)
	}
}

// TestFiltersNeedAFinishedRun: the stage/action/error summary is written
// by FinishRun, so a run cut short lists but matches no such filter.
func TestFiltersNeedAFinishedRun(t *testing.T) {
	t.Parallel()
	s, _ := openTemp(t)
	ctx := context.Background()
	id, err := s.CreateRun(ctx, &Run{SessionName: "cut", Source: SourceScript, Started: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	e := testExchange(id, 0, 1)
	e.Stage, e.Outcome = "data", "accept"
	if err := s.Write(ctx, Batch{Exchanges: []Exchange{e}, Steps: []Step{{RunID: id, Kind: "data"}}}); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.CountRuns(ctx, RunFilter{Stage: "data"}); n != 0 {
		t.Errorf("an unfinished run matched the stage filter")
	}
	if n, _ := s.CountRuns(ctx, RunFilter{}); n != 1 {
		t.Errorf("the unfinished run is not listed")
	}
	if err := s.FinishRun(ctx, id, time.Now(), OutcomeError, 0, 1, "killed"); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.CountRuns(ctx, RunFilter{Stage: "data", Action: "accept"}); n != 1 {
		t.Errorf("the finished run does not match its stage and action")
	}
}
