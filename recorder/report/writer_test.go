package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hooksim/hooksim/recorder/report"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
)

// bigText is a message of about n bytes whose body is text with
// characters encoding/json escapes (CRLF, quotes, <, &, U+2028, tabs,
// control bytes) and multi-byte runes, so that the pieces a Writer escapes
// one at a time are cut everywhere.
func bigText(n int) []byte {
	var b bytes.Buffer
	b.WriteString("From: a@example.net\r\nTo: b@example.org\r\nSubject: big\r\n\r\n")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "line %d: \"q\" <a&b> \\ é€😀\u2028\t\x01 ünïcödé\r\n", i)
	}
	return b.Bytes()
}

// playScript plays a one-message script against url at every stage.
func playScript(t *testing.T, url string, msg []byte) (*simulator.SessionResult, *hookconf.Hook) {
	t.Helper()
	h, err := hookconf.FromFlags(hookconf.FlagSpec{URL: url, Stages: []string{"all"}, NoTempFail: true})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := sessions.Parse("big.yaml", []byte("data: {file: m.eml, lenient: true, raw: true}\n"), func(string) ([]byte, error) { return msg, nil })
	if err != nil {
		t.Fatal(err)
	}
	sim := simulator.New([]*hookconf.Hook{h}, nil)
	sim.Now = time.Now
	t.Cleanup(func() { sim.Client.Close() })
	return sim.Play(context.Background(), sess), h
}

// TestWriterIsMarshalIndent plays sessions with large and small, text and
// binary requests, answers and messages against real loopback hooks, and
// checks that the Writer writes exactly the bytes of marshalling the
// whole Report, for any number of sessions.
func TestWriterIsMarshalIndent(t *testing.T) {
	t.Parallel()
	text := bigText(300 << 10)
	binary := append(bigText(200<<10), 0xff, 0xfe, '\r', '\n')
	replace := `{"action":"accept","modifications":[{"type":"replaceContents","value":` + string(mustJSON(t, string(bigText(100<<10)))) + `},{"type":"addHeader","name":"X-A","value":"<&>"}]}`
	accept := hook(t, false, func(string) (int, []byte) { return 200, []byte(`{"action":"accept"}`) })
	replacer := hook(t, false, func(stage string) (int, []byte) {
		if stage == "data" {
			return 200, []byte(replace)
		}
		return 200, []byte(`{"action":"accept"}`)
	})
	huge := hook(t, false, func(string) (int, []byte) {
		return 200, []byte(`{"action":"reject","response":{"message":"` + strings.Repeat("x\\u0001", 40<<10) + `"}}`)
	})
	failing := hook(t, false, func(string) (int, []byte) { return 500, bytes.Repeat([]byte{0xff, 'a'}, 50<<10) })
	var results []*simulator.SessionResult
	var hooks []*hookconf.Hook
	for _, p := range []struct {
		url string
		msg []byte
	}{
		{accept.URL, text},
		{accept.URL, binary},
		{replacer.URL, text},
		{replacer.URL, binary},
		{huge.URL, text},
		{failing.URL, []byte("From: a@example.net\r\nTo: b@example.org\r\nSubject: small\r\n\r\nhello\r\n")},
	} {
		res, h := playScript(t, p.url, p.msg)
		results, hooks = append(results, res), append(hooks, h)
	}
	for n := 0; n <= len(results); n++ {
		t.Run(fmt.Sprintf("%d sessions", n), func(t *testing.T) {
			t.Parallel()
			rep, err := report.Live(hooks, results[:n])
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.MarshalIndent(rep, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, '\n')
			var got bytes.Buffer
			w, err := report.NewWriter(&got, hooks)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range results[:n] {
				if err := w.Session(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				i := 0
				for i < min(got.Len(), len(want)) && got.Bytes()[i] == want[i] {
					i++
				}
				t.Fatalf("documents differ at byte %d of %d/%d:\ngot  %q\nwant %q", i, got.Len(), len(want),
					got.Bytes()[max(0, i-80):min(got.Len(), i+80)], want[max(0, i-80):min(len(want), i+80)])
			}
		})
	}
}

// TestWriterPlaceholderInBody checks that a hook answer that spells a
// placeholder's shape is written as it is, not spliced.
func TestWriterPlaceholderInBody(t *testing.T) {
	t.Parallel()
	srv := hook(t, false, func(string) (int, []byte) {
		return 200, []byte(`{"action":"accept","response":{"message":"\u0000hooksim-body-0"}}`)
	})
	res, h := playScript(t, srv.URL, bigText(100<<10))
	rep, err := report.Live([]*hookconf.Hook{h}, []*simulator.SessionResult{res})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.MarshalIndent(rep, "", "  ")
	var got bytes.Buffer
	w, err := report.NewWriter(&got, []*hookconf.Hook{h})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Session(res); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want)+"\n" {
		t.Fatalf("the document differs from MarshalIndent's")
	}
}

// failAfter accepts n bytes, then fails every write.
type failAfter struct{ n int }

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		return 0, errors.New("disk full")
	}
	f.n -= len(p)
	return len(p), nil
}

// TestWriterError checks that a failing destination is reported, by
// Session or by Close, and stays reported.
func TestWriterError(t *testing.T) {
	t.Parallel()
	srv := hook(t, false, func(string) (int, []byte) { return 200, []byte(`{"action":"accept"}`) })
	res, h := playScript(t, srv.URL, bigText(300<<10))
	w, err := report.NewWriter(&failAfter{n: 100 << 10}, []*hookconf.Hook{h})
	if err != nil {
		t.Fatal(err)
	}
	err = w.Session(res)
	if err == nil {
		err = w.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "report: write: disk full") {
		t.Fatalf("error %v, want report: write: disk full", err)
	}
	if err := w.Close(); err == nil {
		t.Fatal("Close after a failed write returned nil")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAppendEscaped checks the Writer's string escaping against
// encoding/json for every ASCII byte, the runes it treats apart, and
// invalid UTF-8.
func TestAppendEscaped(t *testing.T) {
	t.Parallel()
	var all strings.Builder
	for c := range 128 {
		all.WriteByte(byte(c))
	}
	for _, s := range []string{"", all.String(), "é€😀\u2028\u2029\u2027\u202a", "bad \xff\xfe \xe2\x82 end", "<script>&amp;</script>", strings.Repeat("a\"b", 1000)} {
		want := mustJSON(t, s)
		if got := report.AppendEscaped(nil, []byte(s)); string(got) != string(want[1:len(want)-1]) {
			t.Errorf("appendEscaped(%q) = %q, want %q", s, got, want[1:len(want)-1])
		}
	}
}

// TestLintCountSurvives: a counted lint keeps its count in the
// vocabulary, so export --as json and the web show "count" as stored.
func TestLintCountSurvives(t *testing.T) {
	t.Parallel()
	got := report.LintsOf([]wire.Lint{{Code: "add-recipient-duplicate", Message: "m", Count: 100000}, {Code: "x", Message: "y"}})
	if len(got) != 2 || got[0].Count != 100000 || got[1].Count != 0 {
		t.Fatalf("LintsOf: %+v", got)
	}
	js, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if want := `[{"code":"add-recipient-duplicate","message":"m","count":100000},{"code":"x","message":"y"}]`; string(js) != want {
		t.Errorf("JSON %s, want %s", js, want)
	}
}
