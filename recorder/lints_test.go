package recorder

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
)

func TestCompactLints(t *testing.T) {
	t.Parallel()
	a := wire.Lint{Code: "a", Path: "modifications[0]", Message: "same"}
	a2 := wire.Lint{Code: "a", Path: "modifications[1]", Message: "same", Fix: "other fix"}
	b := wire.Lint{Code: "b", Message: "other"}
	many := func(n int) []wire.Lint {
		l := make([]wire.Lint, n)
		for i := range l {
			l[i] = wire.Lint{Code: "c", Message: fmt.Sprint("distinct ", i)}
		}
		return l
	}
	tests := []struct {
		name string
		in   []wire.Lint
		want []wire.Lint
	}{
		{"none", nil, nil},
		{"one", []wire.Lint{a}, []wire.Lint{a}},
		{"distinct kept in order", []wire.Lint{b, a}, []wire.Lint{b, a}},
		{"duplicates counted, the first's path and fix kept",
			[]wire.Lint{a, b, a2, a2}, []wire.Lint{{Code: "a", Path: "modifications[0]", Message: "same", Count: 3}, b}},
		{"counts add up", []wire.Lint{{Code: "a", Message: "same", Count: 5}, a},
			[]wire.Lint{{Code: "a", Message: "same", Count: 6}}},
		{"at the cap", many(MaxLints), many(MaxLints)},
		{"over the cap", append(append(many(MaxLints+2), many(MaxLints + 2)[MaxLints+1]), a), append(many(MaxLints), wire.Lint{
			Code: LintLeftOut, Message: fmt.Sprintf("3 more distinct lints (4 reports) were left out: at most %d are kept per exchange or step", MaxLints)})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := append([]wire.Lint(nil), tc.in...)
			if got := compactLints(in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("compactLints:\n got %+v\nwant %+v", got, tc.want)
			}
			if !reflect.DeepEqual(in, tc.in) {
				t.Errorf("compactLints changed its input")
			}
		})
	}
}

// TestDuplicateModificationLints: a hook answering with 10^5 identical
// addRecipient modifications makes as many duplicate-recipient notes; the
// play reports them as one lint with its count, the run stores that, and
// reads back so.
func TestDuplicateModificationLints(t *testing.T) {
	t.Parallel()
	const dups = 100_000
	var body strings.Builder
	body.WriteString(`{"action":"accept","modifications":[`)
	for i := range dups {
		if i > 0 {
			body.WriteByte(',')
		}
		body.WriteString(`{"type":"addRecipient","value":"bill@example.org"}`)
	}
	body.WriteString(`]}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(body.String()))
	}))
	defer srv.Close()
	ctx := context.Background()
	st, path := openStore(t)
	rec := New(st, Options{})
	sim := newSim(t, rec, flagHook(t, hookconf.FlagSpec{URL: srv.URL, Stages: []string{"data"}}))
	res, play := recordPlay(ctx, sim, rec, hello(t), simulator.Origin{})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	// The play itself reports them as one lint with its count (what the
	// transcript and run --json show), and the store keeps that.
	played, count := 0, 0
	for _, s := range res.Steps {
		for _, l := range s.Lints {
			if l.Code == "add-recipient-duplicate" {
				played++
				count += l.Count
			}
		}
	}
	if played != 1 || count != dups {
		t.Fatalf("the play reported %d duplicate-recipient lints counting %d, want 1 counting %d", played, count, dups)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var stored int
	if err := db.QueryRow(`SELECT coalesce(sum(length(json_extract(value, '$.lints'))), 0) FROM step_lists, json_each(step_lists.steps) WHERE run_id = ?`, play.RunID()).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored > 4096 {
		t.Errorf("the run's steps store %d bytes of lints, want a few hundred", stored)
	}
	l, err := Load(ctx, st, play.RunID())
	if err != nil {
		t.Fatal(err)
	}
	var found []wire.Lint
	for _, s := range l.Report.Steps {
		for _, x := range s.Lints {
			if x.Code == "add-recipient-duplicate" {
				found = append(found, wire.Lint{Code: x.Code, Path: x.Path, Message: x.Message, Fix: x.Fix, Count: x.Count})
			}
		}
	}
	if len(found) != 1 || found[0].Count != dups || found[0].Path == "" ||
		!strings.HasSuffix(found[0].String(), fmt.Sprintf(" (%d times)", dups)) {
		t.Errorf("loaded duplicate-recipient lints: %+v, want one with count %d", found, dups)
	}
}
