package store

import (
	"context"
	"testing"
	"time"
)

func TestTailQueries(t *testing.T) {
	t.Parallel()
	s, _ := openTemp(t)
	ctx := context.Background()
	if r, e, err := s.Cursors(ctx); err != nil || r != 0 || e != 0 {
		t.Fatalf("Cursors on empty db = %d, %d, %v", r, e, err)
	}
	a, err := s.CreateRun(ctx, &Run{SessionName: "a", Started: t0})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateRun(ctx, &Run{SessionName: "b", Started: t0})
	if err != nil {
		t.Fatal(err)
	}
	write := func(run int64, seqs ...int) {
		var batch Batch
		for _, q := range seqs {
			batch.Exchanges = append(batch.Exchanges, testExchange(run, 0, q))
		}
		if err := s.Write(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	write(a, 1, 2)
	write(b, 1)
	write(a, 3)
	all, err := s.ExchangesAfter(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		run int64
		seq int
	}
	var got []key
	for _, e := range all {
		got = append(got, key{e.RunID, e.Seq})
	}
	want := []key{{a, 1}, {a, 2}, {b, 1}, {a, 3}}
	if len(got) != len(want) {
		t.Fatalf("ExchangesAfter(0) = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ExchangesAfter(0) = %v, want %v", got, want)
		}
	}
	if all[0].RequestBody != nil || len(all[0].ResponseBody) == 0 || all[0].Outcome != "accept" || all[0].Duration != 1234567*time.Nanosecond {
		t.Errorf("tail exchange = %+v", all[0].Exchange)
	}
	rest, err := s.ExchangesAfter(ctx, all[1].RowID, 1)
	if err != nil || len(rest) != 1 || rest[0].RunID != b {
		t.Fatalf("ExchangesAfter(row 2, limit 1) = %v, %v", rest, err)
	}
	if r, e, err := s.Cursors(ctx); err != nil || r != b || e != all[3].RowID {
		t.Fatalf("Cursors = %d, %d, %v; want %d, %d", r, e, err, b, all[3].RowID)
	}

	c, err := s.CreateRun(ctx, &Run{SessionName: "c", Started: t0})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun(ctx, a, t0.Add(time.Second), OutcomePassed, 0, 3, ""); err != nil {
		t.Fatal(err)
	}
	runs, err := s.RunsAfter(ctx, b, []int64{a}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].ID != a || runs[0].Ended.IsZero() || runs[0].Outcome != OutcomePassed || runs[1].ID != c || !runs[1].Ended.IsZero() {
		t.Fatalf("RunsAfter = %+v", runs)
	}
	if runs, err := s.RunsAfter(ctx, c, nil, 10); err != nil || len(runs) != 0 {
		t.Fatalf("RunsAfter(last) = %v, %v", runs, err)
	}
}

func TestTailSnapshotAndSearch(t *testing.T) {
	t.Parallel()
	s, _ := openTemp(t)
	ctx := context.Background()
	ids := fillRuns(t, s)
	runs, exs, err := s.Tail(ctx, ids[3], []int64{ids[0]}, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 3 || runs[0].ID != ids[0] || runs[1].ID != ids[4] || runs[2].ID != ids[5] {
		t.Errorf("Tail runs = %+v", runs)
	}
	if len(exs) != 5 {
		t.Errorf("Tail exchanges = %d, want 5", len(exs))
	}
	tests := []struct {
		q    string
		f    RunFilter
		want []int64
	}{
		{"", RunFilter{Limit: 1}, []int64{ids[5]}},
		{"PA", RunFilter{}, []int64{ids[4], ids[2]}},
		{"ell", RunFilter{Source: SourceScript}, []int64{ids[1], ids[0]}},
		{"zzz", RunFilter{}, nil},
	}
	for _, tt := range tests {
		got, err := s.SearchRuns(ctx, tt.f, tt.q)
		if err != nil {
			t.Fatal(err)
		}
		var gotIDs []int64
		for _, r := range got {
			gotIDs = append(gotIDs, r.ID)
		}
		if len(gotIDs) != len(tt.want) {
			t.Errorf("SearchRuns(%q) = %v, want %v", tt.q, gotIDs, tt.want)
			continue
		}
		for i := range gotIDs {
			if gotIDs[i] != tt.want[i] {
				t.Errorf("SearchRuns(%q) = %v, want %v", tt.q, gotIDs, tt.want)
			}
		}
	}
}
