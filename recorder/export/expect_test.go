package export

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/store"
)

const deliveredTo3 = `{"action":"accept","modifications":[` +
	`{"type":"addHeader","name":"Delivered-To","value":"a@example.org"},` +
	`{"type":"addHeader","name":"Delivered-To","value":"b@example.org"},` +
	`{"type":"addHeader","name":"Delivered-To","value":"c@example.org"}]}`

// TestExpectationsKeepEveryOccurrence: a hook adding Delivered-To three
// times is captured with all three values, in order; the capture passes
// against the same hook and fails, naming the occurrence, when the hook
// changes the second one.
func TestExpectationsKeepEveryOccurrence(t *testing.T) {
	t.Parallel()
	var answer atomic.Value
	answer.Store(deliveredTo3)
	url := stageHook(t, func(stage string) string {
		if stage == "data" {
			return answer.Load().(string)
		}
		return `{"action":"accept"}`
	})
	hooks := []*hookconf.Hook{hookAt(t, url, "data")}
	c := capture(t, hooks, standard(), SessionOptions{})
	got := c.built.Steps[4].Expect.Headers
	want := []sessions.ExpectHeader{{Name: "Delivered-To", Values: []string{"a@example.org", "b@example.org", "c@example.org"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("captured headers %+v, want %+v", got, want)
	}
	if again := play(t, hooks, c.exported); !again.Passed() {
		t.Fatalf("the capture fails against the same hook: %v", failures(again))
	}
	answer.Store(strings.Replace(deliveredTo3, "b@example.org", "x@example.org", 1))
	changed := play(t, hooks, c.exported)
	msgs := failures(changed)
	want2 := `header Delivered-To occurs 3 times ("a@example.org", "x@example.org", "c@example.org"), want 3 ("a@example.org", "b@example.org", "c@example.org"); occurrence 2 differs: "x@example.org", want "b@example.org"`
	if !slices.ContainsFunc(msgs, func(m string) bool { return strings.HasSuffix(m, want2) }) {
		t.Fatalf("failures %q, want one ending %q", msgs, want2)
	}
}

// TestExpectationsRoundTrip: expectations taken from a recorded play hold
// when the same session is played again, and fail when the hook changes.
func TestExpectationsRoundTrip(t *testing.T) {
	t.Parallel()
	var answer atomic.Value
	answer.Store(`{"action":"accept","modifications":[{"type":"addHeader","name":"X-Score","value":"1"},{"type":"changeHeader","index":1,"name":"Subject","value":"[tag] Saying Hello"},{"type":"deleteHeader","index":1,"name":"Message-ID"},{"type":"addRecipient","value":"archive@example.org"}]}`)
	url := stageHook(t, func(stage string) string {
		if stage == "data" {
			return answer.Load().(string)
		}
		return `{"action":"accept"}`
	})
	hooks := []*hookconf.Hook{hookAt(t, url, "all")}
	c := capture(t, hooks, standard(), SessionOptions{})
	data := c.built.Steps[4].Expect
	if data.ReplyMatch == nil || *data.Delivered != true || len(data.Modifications) != 4 {
		t.Fatalf("data expectations %+v", data)
	}
	wantHeaders := []sessions.ExpectHeader{{Name: "X-Score", Values: []string{"1"}}, {Name: "Subject", Values: []string{"[tag] Saying Hello"}}, {Name: "Message-ID", Absent: true}}
	if !reflect.DeepEqual(data.Headers, wantHeaders) {
		t.Errorf("headers %+v, want %+v", data.Headers, wantHeaders)
	}
	if again := play(t, hooks, c.exported); !again.Passed() {
		t.Fatalf("the captured expectations fail against the same hook: %v", failures(again))
	}
	answer.Store(`{"action":"accept","modifications":[{"type":"addHeader","name":"X-Score","value":"2"}]}`)
	changed := play(t, hooks, c.exported)
	if changed.Passed() || changed.Failures < 3 {
		t.Fatalf("a changed hook passed (%d failures)", changed.Failures)
	}
}

// TestBdatExpectations: a bdat step's capture expects the delivery, the
// envelope and the headers, as a data step's does, and passes again.
func TestBdatExpectations(t *testing.T) {
	t.Parallel()
	msg := "From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\n\r\nhi\r\n"
	url := stageHook(t, func(string) string {
		return `{"action":"accept","modifications":[{"type":"addHeader","name":"X-Seen","value":"1"}]}`
	})
	hooks := []*hookconf.Hook{hookAt(t, url, "data")}
	s := script(connect(), ehlo("mail.example.net"), mailFrom("a@example.org"), rcptTo("b@example.org"), bdat(msg, 5), quit())
	c := capture(t, hooks, s, SessionOptions{})
	e := c.built.Steps[4].Expect
	if e == nil || e.Delivered == nil || !*e.Delivered || len(e.Headers) != 1 || e.Headers[0].Name != "X-Seen" {
		t.Fatalf("bdat expectations %+v", e)
	}
	if got := c.exported.Steps[4]; got.Kind != sessions.StepBdat || !slices.Equal(got.Chunks, []int{5}) || got.Expect == nil || got.Expect.Envelope == nil {
		t.Fatalf("exported bdat step %+v", got)
	}
	if again := play(t, hooks, c.exported); !again.Passed() {
		t.Errorf("the capture fails against the same hook: %v", failures(again))
	}
}

// TestExportedBundledSessionsPassAgain records every bundled session
// played against real loopback hooks (one that edits headers, the
// envelope and answers with lints; one that refuses at connect, so the
// steps after are not sent), exports each stored run as a script (with
// and without lint codes) and plays the script, with the hook its `hooks`
// key names, again: it must pass. Played against the other hook instead
// it must fail, so passing means something.
func TestExportedBundledSessionsPassAgain(t *testing.T) {
	t.Parallel()
	editor := stageHook(t, func(stage string) string {
		switch stage {
		case "data":
			return `{"action":"accept","modifications":[` +
				`{"type":"addHeader","name":"X-Seen","value":"yes"},` +
				`{"type":"changeHeader","index":1,"name":"Subject","value":"[tagged] x"},` +
				`{"type":"deleteHeader","index":1,"name":"Message-ID"},` +
				`{"type":"addRecipient","value":"archive@example.org","parameters":{"NOTIFY":"NEVER","ORCPT":null}},` +
				`{"type":"changeFrom","value":"bounce@example.org"}]}`
		case "rcpt":
			return `{"action":"accept","unknownKey":true}`
		default:
			return `{"action":"accept"}`
		}
	})
	refuser := stageHook(t, func(string) string {
		return `{"action":"reject","response":{"status":554,"message":"Go away"}}`
	})
	other := map[string]string{editor: refuser, refuser: editor}
	all, err := sessions.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("no bundled session")
	}
	st := openStore(t)
	withMods, withLints := 0, 0 // exports that expect the data hook's modifications, and lint codes
	for _, url := range []string{editor, refuser} {
		hooks := []*hookconf.Hook{hookAt(t, url, "all")}
		for _, sess := range all {
			l := record(t, st, hooks, sess)
			for _, lints := range []bool{false, true} {
				name := sess.Name + " at " + url
				if lints {
					name += " with lints"
				}
				yaml, err := Session(l, SessionOptions{Lints: lints})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				exported, err := sessions.Parse(sess.Name+".yaml", yaml, nil)
				if err != nil {
					t.Fatalf("%s: the export does not parse: %v\n%s", name, err, yaml)
				}
				expects := 0
				for _, s := range exported.Steps {
					if s.Expect != nil {
						expects++
						if len(s.Expect.Lints) > 0 {
							withLints++
						}
					}
				}
				if expects == 0 {
					t.Errorf("%s: the export expects nothing:\n%s", name, yaml)
				}
				if bytes.Contains(yaml, []byte("archive@example.org")) {
					withMods++
				}
				if res := play(t, scriptHooks(t, exported, ""), exported); res.Err != nil || !res.Passed() {
					t.Errorf("%s: the export fails against the same hook (%v): %q\n%s", name, res.Err, failures(res), yaml)
				}
				if res := play(t, scriptHooks(t, exported, other[url]), exported); res.Passed() {
					t.Errorf("%s: the export passes against the other hook too\n%s", name, yaml)
				}
			}
		}
	}
	if withMods == 0 {
		t.Error("no export expects the modifications the data hook returned")
	}
	if withLints == 0 {
		t.Error("no export with lints expects a lint code")
	}
}

// captured is a recorded play's capture: as the builder made it, and as
// `hooksim export --as script` wrote it and a script parse reads it back.
type captured struct {
	built    *sessions.Session
	exported *sessions.Session
}

// capture plays s against hooks with a recorder on a real SQLite store,
// loads the run as export does and captures it (o).
func capture(t *testing.T, hooks []*hookconf.Hook, s *sessions.Session, o SessionOptions) captured {
	t.Helper()
	l := record(t, openStore(t), hooks, s)
	if l.Session == nil {
		t.Fatalf("no session loaded: %v", l.SessionErr)
	}
	yaml, err := Session(l, o)
	if err != nil {
		t.Fatal(err)
	}
	exported, err := sessions.Parse(s.File, yaml, nil)
	if err != nil {
		t.Fatalf("the export does not parse: %v\n%s", err, yaml)
	}
	return captured{built: expectations(l.Session, l.Report, o), exported: exported}
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "hooksim.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// record plays s against hooks with a recorder writing to st and returns
// the stored run as recorder.Load reads it.
func record(t *testing.T, st *store.Store, hooks []*hookconf.Hook, s *sessions.Session) *recorder.Loaded {
	t.Helper()
	ctx := context.Background()
	rec := recorder.New(st, recorder.Options{})
	sim := simulator.New(hooks, nil)
	defer sim.Client.Close()
	var p *recorder.Play
	sim.Observer = simulator.ObserverFunc(func(ctx context.Context, info *simulator.SessionInfo) simulator.Play {
		p = rec.BeginPlay(ctx, info)
		return p
	})
	if res := sim.Play(ctx, s); res.Err != nil {
		t.Fatalf("%s: Play: %v", s.Name, res.Err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	l, err := recorder.Load(ctx, st, p.RunID())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// play plays s against hooks, with no recorder.
func play(t *testing.T, hooks []*hookconf.Hook, s *sessions.Session) *simulator.SessionResult {
	t.Helper()
	sim := simulator.New(hooks, nil)
	defer sim.Client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return sim.Play(ctx, s)
}

// scriptHooks are the hooks s's `hooks` key names, built as `hooksim
// test` builds them; url, when set, replaces the recorded URL (--url).
func scriptHooks(t *testing.T, s *sessions.Session, url string) []*hookconf.Hook {
	t.Helper()
	if len(s.Hooks) == 0 {
		t.Fatal("the export names no hook")
	}
	var out []*hookconf.Hook
	for _, sh := range s.Hooks {
		h, _, _, err := hookconf.Rebuild(hookconf.SettingsOf(sh), hookconf.FlagSpec{URL: url}, hookconf.MapEnv{})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, h)
	}
	return out
}

func failures(r *simulator.SessionResult) []string {
	var out []string
	for _, st := range r.Steps {
		out = append(out, st.Failures...)
	}
	return out
}

// stageHook is a real loopback hook answering answer(the request's
// context.stage) as JSON.
func stageHook(t *testing.T, answer func(stage string) string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req struct {
			Context struct {
				Stage string `json:"stage"`
			} `json:"context"`
		}
		_ = json.Unmarshal(body, &req)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, answer(req.Context.Stage))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// hookAt configures a hook for url at stages ("all", or stage names).
func hookAt(t *testing.T, url string, stages ...string) *hookconf.Hook {
	t.Helper()
	h, err := hookconf.FromFlags(hookconf.FlagSpec{URL: url, Stages: stages, Timeout: "2s"})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

const testMessage = "From: John <john@example.org>\r\nTo: Bill <bill@example.org>\r\nSubject: Saying Hello\r\nMessage-ID: <1@example.org>\r\n\r\nThis is a message just to say hello.\r\n"

// script builds a session on port 25 with local domain example.org.
func script(steps ...sessions.Step) *sessions.Session {
	return &sessions.Session{
		Name:   "test",
		File:   "test.yaml",
		Client: sessions.Client{IP: "10.0.0.1", Port: 51234, PTR: "mail.example.net"},
		Server: sessions.Server{Hostname: "mx.example.org", IP: "192.0.2.10", Port: 25, LocalDomains: []string{"example.org"}},
		Steps:  steps,
	}
}

func connect() sessions.Step          { return sessions.Step{Kind: sessions.StepConnect} }
func ehlo(name string) sessions.Step  { return sessions.Step{Kind: sessions.StepEhlo, Arg: name} }
func mailFrom(a string) sessions.Step { return sessions.Step{Kind: sessions.StepMail, Arg: a} }
func rcptTo(a string) sessions.Step   { return sessions.Step{Kind: sessions.StepRcpt, Arg: a} }
func quit() sessions.Step             { return sessions.Step{Kind: sessions.StepQuit} }
func data(msg string) sessions.Step {
	return sessions.Step{Kind: sessions.StepData, Message: &sessions.Message{Raw: []byte(msg), Source: "inline"}}
}
func bdat(msg string, chunks ...int) sessions.Step {
	return sessions.Step{Kind: sessions.StepBdat, Chunks: chunks, Message: &sessions.Message{Raw: []byte(msg), Source: "inline"}}
}

// standard is connect, EHLO, MAIL, RCPT, DATA, QUIT.
func standard() *sessions.Session {
	return script(connect(), ehlo("mail.example.net"), mailFrom("John@Example.org"), rcptTo("Bill@example.org"), data(testMessage), quit())
}
