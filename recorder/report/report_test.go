package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hooksim/hooksim/recorder"
	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/store"
)

// answerer answers a hook request by stage.
type answerer func(stage string) (status int, body []byte)

func hook(t *testing.T, tls bool, answer answerer) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		buf.ReadFrom(r.Body)
		var req struct {
			Context struct{ Stage string } `json:"context"`
		}
		json.Unmarshal(buf.Bytes(), &req)
		status, body := answer(req.Context.Stage)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	}))
	if tls {
		srv.EnableHTTP2 = true
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv
}

// record plays the bundled session name against url at every stage,
// recording it in a new store, and returns the result, the store and
// the run's id.
func record(t *testing.T, url, name string) (*simulator.SessionResult, *store.Store, int64) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "hooksim.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h, err := hookconf.FromFlags(hookconf.FlagSpec{URL: url, Stages: []string{"all"}, AllowInvalidCerts: true, NoTempFail: true})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := sessions.BundledByName(name)
	if err != nil {
		t.Fatal(err)
	}
	res, id := playRecorded(t, st, h, sess)
	return res, st, id
}

// playRecorded plays sess against h, records it in st through a
// recorder of its own (closed once the play is written) and returns the
// result and the run's ID.
func playRecorded(t *testing.T, st *store.Store, h *hookconf.Hook, sess *sessions.Session) (*simulator.SessionResult, int64) {
	t.Helper()
	rec := recorder.New(st, recorder.Options{})
	var p *recorder.Play
	sim := simulator.New([]*hookconf.Hook{h}, simulator.ObserverFunc(func(ctx context.Context, info *simulator.SessionInfo) simulator.Play {
		p = rec.BeginPlay(ctx, info)
		return p
	}))
	sim.Now = time.Now
	defer sim.Client.Close()
	res := sim.Play(context.Background(), sess)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	return res, p.RunID()
}

// comparable drops what a recording cannot hold, or holds differently:
// the run row, the play's duration (timed by the recorder) and the
// message as queued (not stored); times become UTC.
func comparable(s report.Session) string {
	s.Run = nil
	s.DurationMS = 0
	s.Started = s.Started.UTC()
	for i := range s.Steps {
		for j := range s.Steps[i].Exchanges {
			s.Steps[i].Exchanges[j].Started = s.Steps[i].Exchanges[j].Started.UTC()
		}
	}
	for i := range s.Transactions {
		s.Transactions[i].Queued, s.Transactions[i].QueuedNotes = nil, []string{}
	}
	b, _ := json.MarshalIndent(s, "", " ")
	return string(b)
}

// TestStoredIsLive records real plays against real loopback hooks and
// checks that the document read back from the store is the document of
// the play itself: the read path loses nothing and adds nothing.
func TestStoredIsLive(t *testing.T) {
	t.Parallel()
	accept := func(string) (int, []byte) { return 200, []byte(`{"action":"accept"}`) }
	tests := []struct {
		name, session string
		tls           bool
		answer        answerer
		want          []string // in the stored document's JSON
	}{
		{"modifications", "hello", false, func(stage string) (int, []byte) {
			if stage == "data" {
				return 200, []byte(`{"action":"accept","modifications":[{"type":"addHeader","name":"X-Spam","value":"yes"},{"type":"addRcpt","value":"x@y"}]}`)
			}
			return 200, []byte(`{"action":"accept","response":{"status":250,"enhancedStatus":"2.0.0"}}`)
		}, []string{`"code": "enhanced-status-camel"`, `"http_version": "HTTP/1.1"`, `"class": "parse"`}},
		{"reject at mail", "spam-tagged", false, func(stage string) (int, []byte) {
			if stage == "mail" {
				return 200, []byte(`["reject",{"status":550,"enhanced_status":"5.7.1","message":"Go away"}]`)
			}
			return accept(stage)
		}, []string{`"reply": "550 5.7.1 Go away"`, `"outcome": "reject"`}},
		{"hook error, 8-bit message", "eight-bit", false, func(stage string) (int, []byte) {
			if stage == "data" {
				return 503, []byte("down\xff")
			}
			return 200, []byte(`{"action":"accept","modifications":[{"type":"changeHeader","index":1,"name":"Subject","value":"x"}]}`)
		}, []string{`"effect": "skipped"`, `"body_base64": "ZG93bv8="`, `"base64": "`}},
		{"h2 over TLS", "hello", true, accept, []string{`"http_version": "HTTP/2.0"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := hook(t, tt.tls, tt.answer)
			res, st, id := record(t, srv.URL+"/", tt.session)
			stored, err := report.Stored(context.Background(), st, id)
			if err != nil {
				t.Fatal(err)
			}
			if stored.Run == nil || stored.Run.ID != id || stored.Run.Exchanges != res.Exchanges {
				t.Errorf("run %+v, want id %d with %d exchanges", stored.Run, id, res.Exchanges)
			}
			got, want := comparable(*stored), comparable(report.LiveSession(res))
			if got != want {
				t.Errorf("stored document differs from the live one\nstored: %s\nlive:   %s", firstDiff(got, want), firstDiff(want, got))
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("document lacks %s", w)
				}
			}
		})
	}
}

// firstDiff is a's text around the first byte where it differs from b.
func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo, hi := max(0, i-200), min(len(a), i+200)
	return a[lo:hi]
}

func TestWithoutBodies(t *testing.T) {
	t.Parallel()
	srv := hook(t, false, func(string) (int, []byte) { return 200, []byte(`{"action":"accept"}`) })
	_, st, id := record(t, srv.URL+"/", "hello")
	full, err := report.Stored(context.Background(), st, id)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := json.Marshal(full)
	lean := full.WithoutBodies()
	after, _ := json.Marshal(full)
	if !bytes.Equal(before, after) {
		t.Error("WithoutBodies changed the session it was called on")
	}
	b, _ := json.Marshal(lean)
	for _, gone := range []string{`"body":`, `"text":`, `"context"`} {
		if bytes.Contains(b, []byte(gone)) {
			t.Errorf("%s still in the document without bodies", gone)
		}
	}
	for _, kept := range []string{`"headers":[["content-type","application/json"]`, `"status":200`, `"queue_id":"`} {
		if !bytes.Contains(b, []byte(kept)) {
			t.Errorf("%s missing from the document without bodies", kept)
		}
	}
}

func TestRecordedReport(t *testing.T) {
	t.Parallel()
	srv := hook(t, false, func(string) (int, []byte) { return 200, []byte(`{"action":"accept"}`) })
	_, st, id := record(t, srv.URL+"/", "hello")
	s, err := report.Stored(context.Background(), st, id)
	if err != nil {
		t.Fatal(err)
	}
	rep := report.Recorded(s)
	if rep.Version != report.Version || len(rep.Sessions) != 1 || len(rep.Hooks) != 1 || rep.Summary.Exchanges != s.Run.Exchanges {
		t.Errorf("report %+v", rep)
	}
	if !bytes.Contains(rep.Hooks[0], []byte(srv.URL)) {
		t.Errorf("hooks %s, want the recorded URL", rep.Hooks[0])
	}
	if _, err := report.Stored(context.Background(), st, id+1); err == nil {
		t.Error("a missing run gave no error")
	}
}
