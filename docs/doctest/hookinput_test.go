package doctest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/hooksim/hooksim/docs/internal/hooktest"
	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
)

const (
	hookInputDoc = "../hook-input.md"
	goldenDir    = "../../testdata/requests"
)

// TestGoldenExcerpts: every block of hook-input.md marked "golden: NAME"
// is, fragment by fragment, in testdata/requests/NAME.golden, and every
// text block carries a marker that a test checks.
func TestGoldenExcerpts(t *testing.T) {
	t.Parallel()
	blocks := readBlocks(t, hookInputDoc)
	golden, names := marked(blocks, "golden")
	if len(golden) < 10 {
		t.Fatalf("only %d golden excerpts in %s", len(golden), hookInputDoc)
	}
	for i, b := range golden {
		data, err := os.ReadFile(filepath.Join(goldenDir, names[i]+".golden"))
		if err != nil {
			t.Errorf("%s: %v", b.Where(), err)
			continue
		}
		frags := fragments(b.Body)
		if len(frags) == 0 {
			t.Errorf("%s: empty excerpt", b.Where())
		}
		for _, f := range frags {
			if !strings.Contains(string(data), f) {
				t.Errorf("%s: not in %s.golden:\n%s", b.Where(), names[i], f)
			}
		}
	}
	for _, b := range blocks {
		if b.Lang == "text" && !strings.HasPrefix(b.Marker, "golden:") && b.Marker != "played" {
			t.Errorf("%s: a text block without a golden or played marker", b.Where())
		}
	}
}

// TestInlineExcerpts: the inline header pairs quoted in hook-input.md
// (`["Name"," value\r\n"]`) are in some golden file.
func TestInlineExcerpts(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(hookInputDoc)
	if err != nil {
		t.Fatal(err)
	}
	paths, _ := filepath.Glob(filepath.Join(goldenDir, "*.golden"))
	var all strings.Builder
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(data)
	}
	spans := regexp.MustCompile("`(\\[\"[^`]*)`").FindAllStringSubmatch(string(doc), -1)
	if len(spans) == 0 {
		t.Fatal("no inline header excerpts found")
	}
	for _, m := range spans {
		if !strings.Contains(all.String(), m[1]) {
			t.Errorf("%s: inline excerpt %s is in no golden file", hookInputDoc, m[1])
		}
	}
}

// recordingHook is a loopback hook that answers every request with
// answer and keeps the bodies.
type recordingHook struct {
	mu     sync.Mutex
	bodies []string
}

func startRecordingHook(t *testing.T, answer func(req map[string]any) any) (*recordingHook, string) {
	t.Helper()
	h := &recordingHook{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		var req map[string]any
		if err == nil {
			err = json.Unmarshal(body, &req)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.bodies = append(h.bodies, string(body))
		h.mu.Unlock()
		out, err := json.Marshal(answer(req))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out)
	}))
	t.Cleanup(srv.Close)
	return h, srv.URL + "/"
}

func (h *recordingHook) requests() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.bodies, "\n")
}

func acceptAll(map[string]any) any { return map[string]any{"action": "accept"} }

// play plays s against the hook at url, configured for every stage.
func play(t *testing.T, url string, s *sessions.Session) *simulator.SessionResult {
	t.Helper()
	hook, err := hookconf.FromFlags(hookconf.FlagSpec{URL: url, Stages: []string{"all"}, Timeout: "10s"})
	if err != nil {
		t.Fatal(err)
	}
	sim := simulator.New([]*hookconf.Hook{hook}, nil)
	defer sim.Client.Close()
	res := sim.Play(context.Background(), s)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	return res
}

// TestPlayedExcerpts: each "play" block of hook-input.md is a session
// script; played against an accept-all hook at every stage, the requests
// contain every fragment of the "played" block that follows it.
func TestPlayedExcerpts(t *testing.T) {
	t.Parallel()
	blocks := readBlocks(t, hookInputDoc)
	plays := 0
	for i, b := range blocks {
		if b.Marker != "play" {
			continue
		}
		plays++
		if i+1 == len(blocks) || blocks[i+1].Marker != "played" {
			t.Errorf("%s: a play block without a played block after it", b.Where())
			continue
		}
		s, err := sessions.Parse(b.Where(), []byte(b.Body), nil)
		if err != nil {
			t.Errorf("%s: %v", b.Where(), err)
			continue
		}
		h, url := startRecordingHook(t, acceptAll)
		play(t, url, s)
		for _, f := range fragments(blocks[i+1].Body) {
			if !strings.Contains(h.requests(), f) {
				t.Errorf("%s: not in the requests:\n%s\nrequests:\n%s", blocks[i+1].Where(), f, h.requests())
			}
		}
	}
	if plays < 2 {
		t.Errorf("%d play blocks, want at least 2", plays)
	}
}

// TestRebuildLinesInHookPy: the rebuild shown in hook-input.md is, line for
// line, the one in recipes/hook.py, which TestPythonHook runs.
func TestRebuildLinesInHookPy(t *testing.T) {
	t.Parallel()
	in, args := marked(readBlocks(t, hookInputDoc), "in")
	if len(in) == 0 {
		t.Fatal("no block marked in: FILE")
	}
	for i, b := range in {
		src, err := os.ReadFile(filepath.Join("..", args[i]))
		if err != nil {
			t.Fatalf("%s: %v", b.Where(), err)
		}
		have := map[string]bool{}
		for _, l := range strings.Split(string(src), "\n") {
			have[strings.TrimSpace(l)] = true
		}
		for _, l := range strings.Split(strings.TrimSpace(b.Body), "\n") {
			if !have[strings.TrimSpace(l)] {
				t.Errorf("%s: line not in %s: %s", b.Where(), args[i], l)
			}
		}
	}
}

// mistake is one row of the table of usual mistakes: how to build the
// wrong message, and a check of what the table says follows.
type mistake struct {
	session string
	build   func(m hooktest.Message) string
	check   func(t *testing.T, out string, dr hooktest.DataRequest)
}

func joinHeaders(m hooktest.Message, f func(name, value string) string, sep string) string {
	parts := make([]string, len(m.Headers))
	for i, h := range m.Headers {
		parts[i] = f(h[0], h[1])
	}
	return strings.Join(parts, sep)
}

func rightRebuild(m hooktest.Message) string {
	return joinHeaders(m, func(n, v string) string { return n + ":" + v }, "") + "\r\n" + m.Contents
}

// seesOneHeader checks that a MIME parser sees only the Date header and a
// body that starts with the second header.
func seesOneHeader(t *testing.T, out string, dr hooktest.DataRequest) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(msg.Body)
	if len(msg.Header) != 1 || msg.Header.Get("Date") == "" || !strings.HasPrefix(string(body), dr.Message.Headers[1][0]+":") {
		t.Errorf("parsed headers %v, body starting %.30q; want only Date and a body starting with %s:", msg.Header, body, dr.Message.Headers[1][0])
	}
}

func mistakes() map[string]mistake {
	return map[string]mistake{
		`name + ": " + value`: {"hello", func(m hooktest.Message) string {
			return joinHeaders(m, func(n, v string) string { return n + ": " + v }, "") + "\r\n" + m.Contents
		}, func(t *testing.T, out string, dr hooktest.DataRequest) {
			if len(out) != dr.Message.Size+len(dr.Message.Headers) {
				t.Errorf("%d bytes, want size %d + one per header (%d)", len(out), dr.Message.Size, len(dr.Message.Headers))
			}
		}},
		`name + ":" + value + "\r\n"`: {"hello", func(m hooktest.Message) string {
			return joinHeaders(m, func(n, v string) string { return n + ":" + v + "\r\n" }, "") + "\r\n" + m.Contents
		}, seesOneHeader},
		`"\n".join(name + ":" + value ...)`: {"hello", func(m hooktest.Message) string {
			return joinHeaders(m, func(n, v string) string { return n + ":" + v }, "\n") + "\r\n" + m.Contents
		}, seesOneHeader},
		`text.replace("\n", "\r\n")`: {"hello", func(m hooktest.Message) string {
			return strings.ReplaceAll(rightRebuild(m), "\n", "\r\n")
		}, func(t *testing.T, out string, dr hooktest.DataRequest) {
			if want := strings.ReplaceAll(string(dr.Original), "\r\n", "\r\r\n"); out != want {
				t.Errorf("not the original with a CR added to every line:\n%q", out)
			}
		}},
		`text + "\r\n"`: {"hello", func(m hooktest.Message) string {
			return rightRebuild(m) + "\r\n"
		}, func(t *testing.T, out string, dr hooktest.DataRequest) {
			if len(out) != dr.Message.Size+2 {
				t.Errorf("%d bytes, want size %d + 2", len(out), dr.Message.Size)
			}
		}},
		`unfolding the values`: {"implicit-tls", func(m hooktest.Message) string {
			unfold := strings.NewReplacer("\r\n ", " ", "\r\n\t", "\t")
			return joinHeaders(m, func(n, v string) string { return n + ":" + unfold.Replace(v) }, "") + "\r\n" + m.Contents
		}, func(t *testing.T, out string, dr hooktest.DataRequest) {
			if out == string(dr.Original) {
				t.Error("unfolding changed nothing: the session has no folded header")
			}
		}},
	}
}

// TestRebuildMistakes: each row of the table of usual mistakes in
// hook-input.md, applied to its session's golden data request, gives the
// bytes the table shows (which the right rebuild does not) and has the
// effect the table describes.
func TestRebuildMistakes(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(hookInputDoc)
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Rebuilding the message\n")
	if !ok {
		t.Fatal("no section Rebuilding the message")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	reqs := map[string]hooktest.DataRequest{}
	for _, dr := range hooktest.DataRequests(t, goldenDir) {
		reqs[strings.TrimSuffix(filepath.Base(dr.Golden), ".golden")] = dr
	}
	all := mistakes()
	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(section))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "| `") && !strings.HasPrefix(line, "| unfolding") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 3 {
			t.Errorf("row %q: %d cells, want 3", line, len(cells))
			continue
		}
		code := strings.Trim(cells[0], "`")
		m, ok := all[code]
		if !ok {
			t.Errorf("row %q: no test for it", code)
			continue
		}
		seen[code] = true
		dr := reqs[m.session]
		out := m.build(dr.Message)
		re := fragmentRegexp(strings.Trim(cells[1], "`"))
		if !re.MatchString(out) {
			t.Errorf("row %q: %q does not give %s:\n%q", code, cells[1], re, out)
		}
		if re.MatchString(rightRebuild(dr.Message)) {
			t.Errorf("row %q: the right rebuild also gives %s", code, cells[1])
		}
		t.Run(code, func(t *testing.T) { m.check(t, out, dr) })
	}
	for code := range all {
		if !seen[code] {
			t.Errorf("mistake %q is no longer in the table", code)
		}
	}
}

// fragmentRegexp turns a fragment as the doc writes it (\r and \n for CR
// and LF, "..." for anything) into a regular expression.
func fragmentRegexp(s string) *regexp.Regexp {
	s = strings.NewReplacer(`\r`, "\r", `\n`, "\n").Replace(s)
	parts := strings.Split(s, "...")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("(?s)" + strings.Join(parts, ".*?"))
}

// TestSentBack checks "What Stalwart does with the pieces you send back"
// by playing hello with a hook that sends each piece back at data.
func TestSentBack(t *testing.T) {
	t.Parallel()
	hello, err := sessions.BundledByName("hello")
	if err != nil {
		t.Fatal(err)
	}
	subject := func(req map[string]any) string {
		for _, h := range req["message"].(map[string]any)["headers"].([]any) {
			if p := h.([]any); p[0] == "Subject" {
				return p[1].(string)
			}
		}
		t.Error("no Subject in the request")
		return ""
	}
	rebuilt := func(req map[string]any) string {
		m := req["message"].(map[string]any)
		var b strings.Builder
		for _, h := range m["headers"].([]any) {
			p := h.([]any)
			b.WriteString(p[0].(string) + ":" + p[1].(string))
		}
		return b.String() + "\r\n" + m["contents"].(string)
	}
	tests := []struct {
		name  string
		mods  func(req map[string]any) []map[string]any
		final func(orig string) string
		lint  string
	}{
		{"replaceContents with the whole message: headers twice",
			func(req map[string]any) []map[string]any {
				return []map[string]any{{"type": "replaceContents", "value": rebuilt(req)}}
			},
			func(orig string) string { head, _, _ := strings.Cut(orig, "\r\n\r\n"); return head + "\r\n\r\n" + orig }, ""},
		{"changeHeader with the received value: unchanged",
			func(req map[string]any) []map[string]any {
				return []map[string]any{{"type": "changeHeader", "index": 1, "name": "Subject", "value": subject(req)}}
			},
			func(orig string) string { return orig }, ""},
		{"addHeader with the received value: two spaces",
			func(req map[string]any) []map[string]any {
				return []map[string]any{{"type": "addHeader", "name": "X-Copy", "value": subject(req)}}
			},
			func(orig string) string { return "X-Copy:  Saying Hello\r\n" + orig }, ""},
		{"a CRLF inside a value: a new line, and a lint",
			func(map[string]any) []map[string]any {
				return []map[string]any{{"type": "addHeader", "name": "X-Note", "value": "a\r\nBcc: eve@example.net"}}
			},
			func(orig string) string { return "X-Note: a\r\nBcc: eve@example.net\r\n" + orig }, "header-value-line-break"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, url := startRecordingHook(t, func(req map[string]any) any {
				if req["context"].(map[string]any)["stage"] != "data" {
					return map[string]any{"action": "accept"}
				}
				return map[string]any{"action": "accept", "modifications": tt.mods(req)}
			})
			res := play(t, url, hello)
			if len(res.Transactions) != 1 || !res.Transactions[0].Delivered {
				t.Fatalf("hello was not queued: %+v", res.Transactions)
			}
			tx := res.Transactions[0]
			if want := tt.final(string(tx.Original)); string(tx.Final) != want {
				t.Errorf("queued\n%q\nwant\n%q", tx.Final, want)
			}
			var lints []string
			for _, st := range res.Steps {
				for _, l := range st.Lints {
					lints = append(lints, l.Code)
				}
			}
			if got := strings.Join(lints, ","); got != tt.lint {
				t.Errorf("lints %q, want %q", got, tt.lint)
			}
		})
	}
}

// TestEightBitNumbers: the figures hook-input.md gives for the eight-bit
// session (its size, the UTF-8 length of its pieces, the replaced bytes)
// are those of its golden request and its .eml.
func TestEightBitNumbers(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(hookInputDoc)
	if err != nil {
		t.Fatal(err)
	}
	flat := strings.Join(strings.Fields(string(doc)), " ")
	accented := regexp.MustCompile("each of its (\\d+) accented bytes").FindStringSubmatch(flat)
	sizes := regexp.MustCompile("`\"size\":(\\d+)` although its headers and contents add up to (\\d+) bytes in UTF-8 \\((\\d+) × 2 more\\)").FindStringSubmatch(flat)
	if accented == nil || sizes == nil {
		t.Fatal("the eight-bit figures are no longer in the doc")
	}
	var dr *hooktest.DataRequest
	for _, r := range hooktest.DataRequests(t, goldenDir) {
		if filepath.Base(r.Golden) == "eight-bit.golden" {
			dr = &r
		}
	}
	if dr == nil {
		t.Fatal("no eight-bit data request")
	}
	invalid := 0
	for _, c := range dr.Original {
		if c >= 0x80 {
			invalid++
		}
	}
	rebuilt := rightRebuild(dr.Message)
	got := []string{fmt.Sprint(invalid), fmt.Sprint(dr.Message.Size), fmt.Sprint(len(rebuilt)), fmt.Sprint(strings.Count(rebuilt, "\uFFFD"))}
	want := []string{accented[1], sizes[1], sizes[2], sizes[3]}
	if strings.Join(got, " ") != strings.Join(want, " ") || utf8.Valid(dr.Original) {
		t.Errorf("bytes >= 0x80, size, rebuilt length, U+FFFD count: %v; the doc says %v", got, want)
	}
}
