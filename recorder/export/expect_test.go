package export

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/store"
)

// TestExpectationsFromStoredAreLive records every bundled session played
// against real loopback hooks (one that edits headers, the envelope and
// answers with lints; one that refuses at connect, so the steps after
// are not sent) and checks that the expectations export writes from the
// stored run are, byte for byte once written as a script, those
// simulator.Expectations takes from the play itself, with and without
// lint codes.
func TestExpectationsFromStoredAreLive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	editor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case bytes.Contains(body, []byte(`"stage":"data"`)):
			w.Write([]byte(`{"action":"accept","modifications":[` +
				`{"type":"addHeader","name":"X-Seen","value":"yes"},` +
				`{"type":"changeHeader","index":1,"name":"Subject","value":"[tagged] x"},` +
				`{"type":"deleteHeader","index":1,"name":"Message-ID"},` +
				`{"type":"addRecipient","value":"archive@example.org","parameters":{"NOTIFY":"NEVER","ORCPT":null}},` +
				`{"type":"changeFrom","value":"bounce@example.org"}]}`))
		case bytes.Contains(body, []byte(`"stage":"rcpt"`)):
			w.Write([]byte(`{"action":"accept","unknownKey":true}`))
		default:
			w.Write([]byte(`{"action":"accept"}`))
		}
	}))
	defer editor.Close()
	refuser := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"action":"reject","response":{"status":554,"message":"Go away"}}`))
	}))
	defer refuser.Close()
	all, err := sessions.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "hooksim.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	withMods := 0 // exports that expect the data hook's modifications
	for _, url := range []string{editor.URL, refuser.URL} {
		hook, err := hookconf.FromFlags(hookconf.FlagSpec{URL: url, Stages: []string{"all"}})
		if err != nil {
			t.Fatal(err)
		}
		rec := recorder.New(st, recorder.Options{})
		sim := simulator.New([]*hookconf.Hook{hook}, nil)
		results := make([]*simulator.SessionResult, len(all))
		plays := make([]*recorder.Play, len(all))
		for i, sess := range all {
			c := *sim
			c.Observer = simulator.ObserverFunc(func(ctx context.Context, info *simulator.SessionInfo) simulator.Play {
				plays[i] = rec.BeginPlay(ctx, info)
				return plays[i]
			})
			results[i] = c.Play(ctx, sess)
		}
		sim.Client.Close()
		if err := rec.Close(); err != nil {
			t.Fatal(err)
		}
		for i, sess := range all {
			l, err := recorder.Load(ctx, st, plays[i].RunID())
			if err != nil {
				t.Fatal(err)
			}
			if l.Session == nil {
				t.Fatalf("%s: no session loaded: %v", sess.Name, l.SessionErr)
			}
			for _, lints := range []bool{false, true} {
				got, err := sessions.Marshal(expectations(l.Session, l.Report, SessionOptions{Lints: lints}))
				if err != nil {
					t.Fatal(err)
				}
				want, err := sessions.Marshal(simulator.Expectations(l.Session, results[i], simulator.ExpectOptions{Lints: lints}))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s at %s (lints %v): expectations from the stored run differ from the live play's:\n--- stored\n%s\n--- live\n%s",
						sess.Name, url, lints, got, want)
				}
				if bytes.Contains(got, []byte("archive@example.org")) {
					withMods++
				}
			}
		}
	}
	if withMods == 0 {
		t.Error("no export expects the modifications the data hook returned")
	}
}
