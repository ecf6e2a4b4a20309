package recorder

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookclient"
	"github.com/hooksim/hooksim/simulator/wire"
)

// TestRunSummary: the summary the recorder writes when a run finishes
// (stages, outcomes, errored: what the runs filters read) is exactly
// what the SQL of store.FinishRun reads back from the exchanges stored,
// also when exchanges come out of order, with no step, or with errors.
func TestRunSummary(t *testing.T) {
	t.Parallel()
	type ex struct {
		seq     int
		stage   wire.Stage
		outcome string
		errored bool
		noStep  bool // reported but claimed by no step: written at Finish
	}
	tests := []struct {
		name string
		exs  []ex
	}{
		{"none", nil},
		{"one", []ex{{seq: 1, stage: wire.StageConnect, outcome: "accept"}}},
		{"every stage", []ex{
			{seq: 1, stage: wire.StageConnect, outcome: "accept"}, {seq: 2, stage: wire.StageEhlo, outcome: "accept"},
			{seq: 3, stage: wire.StageMail, outcome: "accept"}, {seq: 4, stage: wire.StageRcpt, outcome: "reject"},
			{seq: 5, stage: wire.StageRcpt, outcome: "accept"}, {seq: 6, stage: wire.StageData, outcome: "discard"},
		}},
		{"error and leftovers out of order", []ex{
			{seq: 1, stage: wire.StageMail, outcome: "accept"},
			{seq: 4, stage: wire.StageData, outcome: "error", errored: true, noStep: true},
			{seq: 2, stage: wire.StageRcpt, outcome: "quarantine", noStep: true},
			{seq: 3, stage: wire.StageMail, outcome: "", noStep: true},
		}},
	}
	st, path := openStore(t)
	rec := New(st, Options{})
	ctx := context.Background()
	plays := make([]*Play, len(tests))
	for i, tc := range tests {
		started := time.Now()
		p := rec.BeginPlay(ctx, &simulator.SessionInfo{Name: tc.name, Started: started})
		res := &simulator.SessionResult{Name: tc.name, Started: started}
		for _, e := range tc.exs {
			x := &simulator.Exchange{Session: tc.name, Seq: e.seq, Stage: e.stage, Outcome: e.outcome, Started: started,
				Request: []byte(`{}`), Call: hookclient.CallResult{Status: 200, Body: []byte(`{}`)}}
			if e.errored {
				x.Err = &hookclient.HookError{Class: "timeout", Message: "no answer"}
			}
			p.Exchange(x)
			if !e.noStep {
				p.Step(&simulator.StepResult{Session: tc.name, Index: e.seq, Kind: string(e.stage), Exchanges: []*simulator.Exchange{x}})
			}
			res.Exchanges++
		}
		p.Finish(res)
		plays[i] = p
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i, tc := range tests {
		id := plays[i].RunID()
		var stages, outcomes, wantStages, wantOutcomes string
		var errored, wantErrored bool
		err := db.QueryRow(`SELECT stages, outcomes, errored,
			coalesce((SELECT ',' || group_concat(DISTINCT stage) || ',' FROM exchanges WHERE run_id = runs.id), ''),
			coalesce((SELECT ',' || group_concat(DISTINCT outcome) || ',' FROM exchanges WHERE run_id = runs.id), ''),
			EXISTS (SELECT 1 FROM exchanges WHERE run_id = runs.id AND error_class <> '')
			FROM runs WHERE id = ?`, id).Scan(&stages, &outcomes, &errored, &wantStages, &wantOutcomes, &wantErrored)
		if err != nil {
			t.Fatalf("%s: run %d: %v", tc.name, id, err)
		}
		if stages != wantStages || outcomes != wantOutcomes || errored != wantErrored {
			t.Errorf("%s: summary = %q, %q, %v; the exchanges stored give %q, %q, %v",
				tc.name, stages, outcomes, errored, wantStages, wantOutcomes, wantErrored)
		}
	}
}
