package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/recorder/report"
	"time"
)

// waitFinished polls the API until run id has ended.
func (ts *testServer) waitFinished(t testing.TB, id int64) report.Session {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var d report.Session
		ts.getJSON(t, fmt.Sprintf("/api/v1/runs/%d", id), &d)
		if d.Run.Ended != nil {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %d did not finish", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestReadEndpoints(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	hook := newTestHook(t, "", "accept")
	id := record(t, ts.dbPath, hook.URL, "hello", "")
	other := record(t, ts.dbPath, hook.URL, "minimal", "")

	tests := []struct {
		name, path string
		code       int
		ctype      string
		contains   []string
	}{
		{"runs", "/api/v1/runs", 200, "application/json", []string{`"session":"minimal"`, `"session":"hello"`, `"next_before":0`}},
		{"runs filtered", "/api/v1/runs?session=hello&stage=data&action=accept&source=script", 200, "application/json", []string{`"session":"hello"`}},
		{"runs search", "/api/v1/runs?q=ELL", 200, "application/json", []string{`"session":"hello"`}},
		{"runs page", "/api/v1/runs?limit=1", 200, "application/json", []string{fmt.Sprintf(`"next_before":%d`, other)}},
		{"runs bad limit", "/api/v1/runs?limit=0", 400, "application/json", []string{`"error"`}},
		{"runs bad errors", "/api/v1/runs?errors=maybe", 400, "application/json", []string{`"error"`}},
		{"run", fmt.Sprintf("/api/v1/runs/%d", id), 200, "application/json", []string{`"steps"`, `"transactions"`, `"kind":"data"`, `addHeader X-Test: \"yes\"`}},
		{"run missing", "/api/v1/runs/999", 404, "application/json", []string{`"error"`}},
		{"run bad id", "/api/v1/runs/abc", 400, "application/json", []string{`"error"`}},
		{"exchange", fmt.Sprintf("/api/v1/runs/%d/exchanges/1", id), 200, "application/json", []string{`"stage":"connect"`, `"request":{"headers"`, `"parsed":{"action":"accept"`, `"reply":"220 `}},
		{"exchange missing", fmt.Sprintf("/api/v1/runs/%d/exchanges/99", id), 404, "application/json", []string{`"error"`}},
		{"raw request", fmt.Sprintf("/api/v1/runs/%d/exchanges/1/raw?part=request", id), 200, "application/octet-stream", []string{`{"context":{"stage":"connect"`}},
		{"raw response", fmt.Sprintf("/api/v1/runs/%d/exchanges/1/raw?part=response", id), 200, "application/octet-stream", []string{`{"action":"accept"}`}},
		{"raw bad part", fmt.Sprintf("/api/v1/runs/%d/exchanges/1/raw?part=x", id), 400, "application/json", nil},
		{"message", fmt.Sprintf("/api/v1/runs/%d/messages/1", id), 200, "application/json", []string{`"op":"added","name":"X-Test"`, `"content_type":"text/plain"`, `"final":{`}},
		{"message missing", fmt.Sprintf("/api/v1/runs/%d/messages/7", id), 404, "application/json", nil},
		{"eml original", fmt.Sprintf("/api/v1/runs/%d/messages/1/eml", id), 200, "message/rfc822", []string{"Subject:"}},
		{"eml final", fmt.Sprintf("/api/v1/runs/%d/messages/1/eml?which=final", id), 200, "message/rfc822", []string{"X-Test: yes\r\n"}},
		{"eml bad", fmt.Sprintf("/api/v1/runs/%d/messages/1/eml?which=x", id), 400, "application/json", nil},
		{"export session", fmt.Sprintf("/api/v1/runs/%d/export?as=session", id), 200, "text/yaml; charset=utf-8", []string{"name: hello"}},
		{"export curl", fmt.Sprintf("/api/v1/runs/%d/export?as=curl", id), 200, "text/x-shellscript; charset=utf-8", []string{"curl -sS -X POST"}},
		{"export json", fmt.Sprintf("/api/v1/runs/%d/export?as=json", id), 200, "application/json", []string{`"exchanges": [`}},
		{"export bad", fmt.Sprintf("/api/v1/runs/%d/export?as=pdf", id), 400, "application/json", nil},
		{"sessions", "/api/v1/sessions", 200, "application/json", []string{`{"name":"hello","description":`}},
		{"session", "/api/v1/sessions/hello", 200, "text/plain; charset=utf-8", []string{"name: hello"}},
		{"session missing", "/api/v1/sessions/nope", 404, "application/json", nil},
		{"compare same", fmt.Sprintf("/api/v1/compare?a=%d&b=%d", id, id), 200, "application/json", []string{`"equal":true`, `"differences":0`}},
		{"compare other", fmt.Sprintf("/api/v1/compare?a=%d&b=%d", id, other), 200, "application/json", []string{`"equal":false`}},
		{"compare bad", "/api/v1/compare?a=1", 400, "application/json", nil},
		{"unknown api", "/api/v1/nothing", 404, "application/json", []string{`"error"`}},
		{"index", "/", 200, "text/html; charset=utf-8", []string{"<"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest(http.MethodGet, ts.base+tt.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var sb strings.Builder
			if _, err := fmt.Fprint(&sb, readAll(t, resp)); err != nil {
				t.Fatal(err)
			}
			body := sb.String()
			if resp.StatusCode != tt.code {
				t.Fatalf("GET %s = %d, want %d: %s", tt.path, resp.StatusCode, tt.code, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != tt.ctype {
				t.Errorf("Content-Type = %q, want %q", ct, tt.ctype)
			}
			if tt.code >= 400 && !json.Valid([]byte(body)) {
				t.Errorf("error answer is not JSON: %s", body)
			}
			for _, want := range tt.contains {
				if !strings.Contains(body, want) {
					t.Errorf("GET %s: no %q in %s", tt.path, want, truncate(body))
				}
			}
		})
	}
}

func truncate(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "..."
	}
	return s
}

func readAll(t testing.TB, resp *http.Response) string {
	t.Helper()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

func TestRunDetailShape(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	hook := newTestHook(t, "", "accept")
	id := record(t, ts.dbPath, hook.URL, "hello", "")
	var d report.Session
	ts.getJSON(t, fmt.Sprintf("/api/v1/runs/%d", id), &d)
	if d.Run.ID != id || d.Run.Session != "hello" || d.Run.Outcome != "failed" || d.Run.Failures == 0 || d.Run.Ended == nil || d.Run.Exchanges != 5 {
		t.Errorf("run = %+v", d.Run)
	}
	var stages []string
	for _, st := range d.Steps {
		for _, ex := range st.Exchanges {
			stages = append(stages, ex.Stage)
		}
	}
	if got := strings.Join(stages, ","); got != "connect,ehlo,mail,rcpt,data" {
		t.Errorf("exchange stages = %s", got)
	}
	if len(d.Transactions) != 1 || !d.Transactions[0].Delivered || d.Transactions[0].EnvelopeBefore.From == nil {
		t.Errorf("transactions = %+v", d.Transactions)
	}
	var hooks []map[string]any
	if err := json.Unmarshal(d.Run.Hooks, &hooks); err != nil || len(hooks) != 1 || hooks[0]["url"] != hook.URL {
		t.Errorf("hooks = %s (%v)", d.Run.Hooks, err)
	}
}

func TestActions(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	hook := newTestHook(t, "", "accept")
	rejecter := newTestHook(t, "", "reject")
	id := record(t, ts.dbPath, hook.URL, "hello", "")

	t.Run("replay", func(t *testing.T) {
		tests := []struct {
			name, body string
			equal      bool
		}{
			{"exact same hook", `{"mode":"exact"}`, true},
			{"resimulate same hook", `{"mode":"resimulate"}`, true},
			{"resimulate other hook", `{"mode":"resimulate","url":"` + rejecter.URL + `","stages":["all"]}`, false},
		}
		for _, tt := range tests {
			code, b := ts.call(t, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/replay", id), tt.body)
			if code != 200 {
				t.Fatalf("%s: replay = %d %s", tt.name, code, b)
			}
			var ans diffAnswer
			if err := json.Unmarshal(b, &ans); err != nil {
				t.Fatal(err)
			}
			if ans.Equal != tt.equal || (ans.Differences == 0) != tt.equal || ans.ReplayRun <= id || ans.Diff == nil || ans.Text == "" {
				t.Errorf("%s: replay = equal %v, %d differences, run %d, text %q", tt.name, ans.Equal, ans.Differences, ans.ReplayRun, ans.Text)
			}
			var d report.Session
			ts.getJSON(t, fmt.Sprintf("/api/v1/runs/%d", ans.ReplayRun), &d)
			if d.Run.Source != "replay" || d.Run.ReplayOf != id {
				t.Errorf("%s: replay run = %+v", tt.name, d.Run)
			}
		}
		for _, bad := range []string{`{"mode":"sideways"}`, `{"url":"ftp://x"}`, `not json`} {
			if code, b := ts.call(t, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/replay", id), bad); code != 400 {
				t.Errorf("replay %s = %d %s, want 400", bad, code, b)
			}
		}
		if code, _ := ts.call(t, http.MethodPost, "/api/v1/runs/999/replay", `{}`); code != 404 {
			t.Errorf("replay of a missing run = %d, want 404", code)
		}
	})

	t.Run("replay one exchange", func(t *testing.T) {
		path := fmt.Sprintf("/api/v1/runs/%d/exchanges/5/replay", id)
		tests := []struct {
			name, body, outcome string
			equal               bool
		}{
			{"recorded hook", `{}`, "accept", true},
			{"a hook that now rejects", `{"url":"` + rejecter.URL + `"}`, "reject", false},
		}
		for _, tt := range tests {
			code, b := ts.call(t, http.MethodPost, path, tt.body)
			if code != 200 {
				t.Fatalf("%s: %d %s", tt.name, code, b)
			}
			var ans exchangeReplayAnswer
			if err := json.Unmarshal(b, &ans); err != nil {
				t.Fatal(err)
			}
			if ans.Equal != tt.equal || ans.Exchange.Outcome != tt.outcome || ans.Exchange.Status != 200 {
				t.Errorf("%s: equal %v, outcome %q, status %d; text %q", tt.name, ans.Equal, ans.Exchange.Outcome, ans.Exchange.Status, ans.Text)
			}
			if !tt.equal && (!strings.Contains(ans.Text, "accept → reject") || !strings.Contains(ans.Exchange.Reply, "503 5.5.3 Message rejected.")) {
				t.Errorf("%s: diff text %q, reply %q", tt.name, ans.Text, ans.Exchange.Reply)
			}
		}
		if code, _ := ts.call(t, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/exchanges/99/replay", id), `{}`); code != 404 {
			t.Errorf("replay of a missing exchange = %d, want 404", code)
		}
	})

	t.Run("send", func(t *testing.T) {
		var req struct {
			Request struct {
				Body string `json:"body"`
			} `json:"request"`
		}
		ts.getJSON(t, fmt.Sprintf("/api/v1/runs/%d/exchanges/5", id), &req)
		body, _ := json.Marshal(map[string]any{"url": rejecter.URL, "stage": "data", "body": req.Request.Body, "headers": [][2]string{{"X-Edit", "1"}}, "timeout_ms": 2000})
		code, b := ts.call(t, http.MethodPost, "/api/v1/send", string(body))
		if code != 200 {
			t.Fatalf("send = %d %s", code, b)
		}
		var ans sendAnswer
		if err := json.Unmarshal(b, &ans); err != nil {
			t.Fatal(err)
		}
		if ans.Status != 200 || ans.Outcome != "reject" || ans.Parsed == nil || ans.Parsed.Action != "reject" || !strings.HasPrefix(ans.Reply, "503 5.5.3") || ans.Error != nil {
			t.Errorf("send = %s", b)
		}
		// Nothing listens: a classified error, the temp-fail reply.
		closed := newTestHook(t, "", "accept")
		closed.Close()
		body, _ = json.Marshal(map[string]any{"url": closed.URL, "stage": "rcpt", "body": "{}"})
		code, b = ts.call(t, http.MethodPost, "/api/v1/send", string(body))
		if code != 200 || !strings.Contains(string(b), `"error":{"class":"refused"`) || !strings.Contains(string(b), `"reply":"451 4.3.5`) {
			t.Errorf("send to a closed port = %d %s", code, b)
		}
		for _, bad := range []string{`{"url":"` + hook.URL + `","stage":"auth","body":"{}"}`, `{"url":"` + hook.URL + `","stage":"data"}`, `{"url":"","stage":"data","body":"{}"}`} {
			if code, b := ts.call(t, http.MethodPost, "/api/v1/send", bad); code != 400 {
				t.Errorf("send %s = %d %s, want 400", bad, code, b)
			}
		}
	})

	t.Run("play and prune", func(t *testing.T) {
		code, b := ts.call(t, http.MethodPost, "/api/v1/play", `{"session":"hello","url":"`+hook.URL+`","stages":["all"]}`)
		if code != 200 {
			t.Fatalf("play = %d %s", code, b)
		}
		var ans playAnswer
		if err := json.Unmarshal(b, &ans); err != nil || len(ans.Runs) != 1 {
			t.Fatalf("play = %s (%v)", b, err)
		}
		d := ts.waitFinished(t, ans.Runs[0])
		if d.Run.Session != "hello" || d.Run.Exchanges != 5 || d.Run.Outcome == "running" {
			t.Errorf("played run = %+v", d.Run)
		}
		src := "name: pasted\nsteps:\n  - data: {inline: \"To: bill@example.org\\nSubject: hi\\n\\nbody\\n\"}\n"
		script, _ := json.Marshal(map[string]any{"script": src, "url": hook.URL})
		code, b = ts.call(t, http.MethodPost, "/api/v1/play", string(script))
		if code != 200 {
			t.Fatalf("play script = %d %s", code, b)
		}
		if err := json.Unmarshal(b, &ans); err != nil || len(ans.Runs) != 1 {
			t.Fatalf("play script = %s (%v)", b, err)
		}
		if d := ts.waitFinished(t, ans.Runs[0]); d.Run.Session != "pasted" || d.Run.Exchanges != 1 {
			t.Errorf("pasted run = %+v", d.Run)
		}
		// A script that carries its hook settings plays without a URL, at its stages.
		withHooks := "name: carried\nhooks:\n  - url: " + hook.URL + "\n    stages: [mail, rcpt, data]\nsteps:\n  - data: {inline: \"To: bill@example.org\\nSubject: hi\\n\\nbody\\n\"}\n"
		script, _ = json.Marshal(map[string]any{"script": withHooks})
		code, b = ts.call(t, http.MethodPost, "/api/v1/play", string(script))
		if code != 200 {
			t.Fatalf("play a script with hooks = %d %s", code, b)
		}
		if err := json.Unmarshal(b, &ans); err != nil || len(ans.Runs) != 1 {
			t.Fatalf("play a script with hooks = %s (%v)", b, err)
		}
		if d := ts.waitFinished(t, ans.Runs[0]); d.Run.Session != "carried" || d.Run.Exchanges != 3 {
			t.Errorf("run of a script with hooks = %+v, want 3 exchanges (mail, rcpt, data)", d.Run)
		}
		for _, bad := range []string{`{}`, `{"session":"nope","url":"` + hook.URL + `"}`, `{"script":"steps: [","url":"` + hook.URL + `"}`, `{"session":"hello"}`} {
			if code, b := ts.call(t, http.MethodPost, "/api/v1/play", bad); code != 400 {
				t.Errorf("play %s = %d %s, want 400", bad, code, b)
			}
		}
		if code, b := ts.call(t, http.MethodPost, "/api/v1/prune", `{"older_than":"soon"}`); code != 400 {
			t.Errorf("prune soon = %d %s", code, b)
		}
		code, b = ts.call(t, http.MethodPost, "/api/v1/prune", `{"older_than":"1d"}`)
		if code != 200 || string(b) != "{\"deleted\":0}\n" {
			t.Errorf("prune 1d = %d %s", code, b)
		}
	})
}
