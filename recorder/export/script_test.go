package export

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/store"
)

// TestSessionFromStoredScript: the recorder stores a played script as its
// source bytes and message files (sessions.Archive), not as YAML written
// anew. A run recorded so loads the session as played, even once the
// script's files are gone, and `export --as session` writes the very
// script it wrote when the recorder stored Marshal's YAML.
func TestSessionFromStoredScript(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"action":"accept","modifications":[{"type":"addHeader","name":"X-Seen","value":"yes"}]}`))
	}))
	defer srv.Close()
	hook, err := hookconf.FromFlags(hookconf.FlagSpec{URL: srv.URL, Stages: []string{"all"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, text := range map[string]string{
		"m.eml": "From: a@example.net\nTo: b@example.org\nSubject: stored\n\nhello\n",
		"s.yaml": "name: stored\nsteps:\n  - ehlo: c.example.net\n  - mail: a@example.net\n  - rcpt: b@example.org\n" +
			"  - data: m.eml\n    expect: {action: accept}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fromFile, err := sessions.ParseFile(ctx, filepath.Join(dir, "s.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	bundled, err := sessions.BundledByName("attachment")
	if err != nil {
		t.Fatal(err)
	}
	noExpect := *bundled
	noExpect.Steps = slices.Clone(noExpect.Steps)
	for i := range noExpect.Steps {
		noExpect.Steps[i].Expect = nil
	}
	tests := []struct {
		name string
		sess *sessions.Session
	}{
		{"script with a message file", fromFile},
		{"bundled", bundled},
		{"bundled, expectations dropped", &noExpect},
	}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "hooksim.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec := recorder.New(st, recorder.Options{})
	sim := simulator.New([]*hookconf.Hook{hook}, nil)
	defer sim.Client.Close()
	plays := make([]*recorder.Play, len(tests))
	for i, tc := range tests {
		c := *sim
		c.Observer = simulator.ObserverFunc(func(ctx context.Context, info *simulator.SessionInfo) simulator.Play {
			plays[i] = rec.BeginPlay(ctx, info)
			return plays[i]
		})
		if res := c.Play(ctx, tc.sess); res.Err != nil {
			t.Fatalf("%s: %v", tc.name, res.Err)
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil { // the stored run needs no file
		t.Fatal(err)
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := recorder.Load(ctx, st, plays[i].RunID())
			if err != nil {
				t.Fatal(err)
			}
			if l.Session == nil {
				t.Fatalf("no session loaded: %v", l.SessionErr)
			}
			if want, ok := tc.sess.Archive(); !ok || !bytes.Equal(l.Run.Script, want) {
				t.Errorf("stored script is not the session's archive (ok %v):\n%q", ok, l.Run.Script)
			}
			for j, s := range l.Session.Steps {
				w := tc.sess.Steps[j]
				if s.Kind != w.Kind || s.Arg != w.Arg || s.Line != w.Line || !reflect.DeepEqual(s.Expect, w.Expect) ||
					(w.Message != nil && !bytes.Equal(s.Message.Raw, w.Message.Raw)) {
					t.Errorf("step %d loaded as %+v, played %+v", j, s, w)
				}
			}
			got, err := Session(l, SessionOptions{})
			if err != nil {
				t.Fatal(err)
			}
			// The same run with the script as the recorder used to store
			// it: Marshal's YAML.
			old, err := sessions.Marshal(tc.sess)
			if err != nil {
				t.Fatal(err)
			}
			l2 := *l
			if l2.Session, err = sessions.ParseArchive(l.Run.SessionFile, old); err != nil {
				t.Fatal(err)
			}
			want, err := Session(&l2, SessionOptions{})
			if err != nil {
				t.Fatal(err)
			}
			// One line more: the stored source still knows the message's
			// file, which Marshal names in a comment (as in
			// testdata/sessions/marshal/hello.yaml); Marshal's YAML had
			// the message inline and lost it.
			comment := []byte("")
			if src := tc.sess.Steps[len(tc.sess.Steps)-2].Message.Source; src != "inline" {
				comment = []byte("  # message: " + src + "\n")
			}
			if !bytes.Contains(got, comment) {
				t.Errorf("export lacks %q:\n%s", comment, got)
			}
			if got := bytes.Replace(got, comment, nil, 1); !bytes.Equal(got, want) {
				t.Errorf("export from the stored source differs from the export of Marshal's script:\n--- got\n%s\n--- want\n%s", got, want)
			}
		})
	}
}
