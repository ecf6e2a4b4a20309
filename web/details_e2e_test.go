package web_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// A run's page shows DATA's 354 before the message and the data hook,
// and the queued reply after them; a span under a millisecond reads in
// µs; the runs list's error filter finds a run whose hook failed.
func TestBrowserRunDetails(t *testing.T) {
	e, b := browserEnv(t)
	id := e.play("hello", "data")[0]

	b.open(fmt.Sprintf("#/runs/%d", id))
	b.wait("the DATA step", `document.querySelector('.step-data .exchange') !== null`, 10*time.Second)
	order, ok := b.eval(`(() => { const t = document.querySelector('.step-data').innerText;
		return [t.indexOf('354 '), t.indexOf('<message'), t.indexOf('hook · data'), t.indexOf('250 2.0.0')]; })()`).([]any)
	if !ok || len(order) != 4 {
		t.Fatalf("DATA step positions: %v", order)
	}
	last := -1.0
	for i, v := range order {
		p, _ := v.(float64)
		if p < 0 || p <= last {
			t.Fatalf("the DATA step reads out of order (354, message, data hook, 250 at %v; item %d)", order, i)
		}
		last = p
	}

	b.eval(`void import('./js/dom.js').then(m => { window.__span = m.fmtSpan('2026-11-30T00:00:00.000100Z', '2026-11-30T00:00:00.000600Z') })`)
	b.wait("a span of 500 µs", `window.__span === '500 µs'`, 5*time.Second)

	refused := refusedURL(t)
	var res struct {
		Runs []int64 `json:"runs"`
	}
	e.api("POST", "/api/v1/play", map[string]any{"session": "hello", "url": refused, "stages": []string{"data"}}, &res)
	if len(res.Runs) != 1 {
		t.Fatalf("play against a refusing hook: %v", res.Runs)
	}
	e.waitFinished(res.Runs[0])
	b.open("#/?action=error")
	b.wait("the error filter", `document.getElementById('f-action').value === 'error' && document.querySelectorAll('#runs-table tr.run-row').length === 1`, 10*time.Second)
	if row := b.eval(`document.querySelector('#runs-table tr.run-row').dataset.runId`); row != fmt.Sprint(res.Runs[0]) {
		t.Errorf("the error filter lists run %v, want #%d (the one whose hook refused)", row, res.Runs[0])
	}
}

// Comparing runs of two different sessions warns that they are; two runs
// of one session do not.
func TestBrowserCompareDifferentSessions(t *testing.T) {
	e, b := browserEnv(t)
	hello := e.play("hello", "data")[0]
	again := e.play("hello", "data")[0]
	minimal := e.play("minimal", "data")[0]
	b.open(fmt.Sprintf("#/compare?a=%d&b=%d", hello, minimal))
	b.wait("the warning", `(() => { const w = document.querySelector('.compare-warning'); return w && w.innerText.includes('different sessions') && w.innerText.includes('minimal') })()`, 10*time.Second)
	b.open(fmt.Sprintf("#/compare?a=%d&b=%d", hello, again))
	b.wait("the comparison", `document.querySelector('.compact-run') !== null`, 10*time.Second)
	if v := b.eval(`document.querySelector('.compare-warning') === null`); v != true {
		t.Errorf("two runs of one session are compared with a warning")
	}
}

// A play the server refuses (a pasted script that does not parse) says
// "Not started" with the reason, not "Started".
func TestBrowserPlayRefused(t *testing.T) {
	e, b := browserEnv(t)
	b.open("#/play")
	b.wait("the form", `document.getElementById('play-go') !== null`, 10*time.Second)
	b.eval(fmt.Sprintf(`(() => { document.querySelector('.seg-btn[data-mode="pasted"]').click();
		document.getElementById('play-script').value = 'steps: [ {data: ';
		document.getElementById('play-url').value = %q;
		document.getElementById('play-go').click(); })()`, e.hook.URL))
	text := b.wait("the refusal", `(() => { const o = document.getElementById('play-out'); return o.querySelector('.error-box') && o.innerText })()`, 10*time.Second)
	if !strings.Contains(text, "Not started") || strings.Contains(text, "Started\n") {
		t.Errorf("a refused play reads:\n%s", text)
	}
}

// Edit & send of an exchange whose hook URL had a password (hidden as
// xxxxx when recorded) asks for the URL instead of filling in the
// marker, and the server refuses to send to a URL with hidden
// credentials.
func TestBrowserEditAndSendHiddenCredentials(t *testing.T) {
	e, b := browserEnv(t)
	withPass := strings.Replace(e.hook.URL, "http://", "http://u:pw1234@", 1)
	var res struct {
		Runs []int64 `json:"runs"`
	}
	e.api("POST", "/api/v1/play", map[string]any{"session": "minimal", "url": withPass, "stages": []string{"data"}}, &res)
	e.waitFinished(res.Runs[0])
	b.open(fmt.Sprintf("#/send?run=%d&seq=1", res.Runs[0]))
	b.wait("the note asking for the URL", `(() => { const n = document.querySelector('.hidden-creds'); return n && n.innerText.includes('xxxxx') })()`, 10*time.Second)
	if v := b.eval(`document.getElementById('send-url') ? document.getElementById('send-url').value : document.querySelector('input[type=url]').value`); v != "" {
		t.Errorf("the URL field holds %q, want it empty (the recorded one has its password hidden)", v)
	}
	code, body := e.rawPost("/api/v1/send", map[string]any{"url": strings.Replace(withPass, "pw1234", "xxxxx", 1), "stage": "data", "body": "{}"})
	if code != 422 || !strings.Contains(body, "hidden") {
		t.Errorf("send to a URL with hidden credentials: %d %s", code, body)
	}
}

// An open exchange does not repeat the lints its step already shows.
func TestBrowserLintsShownOnce(t *testing.T) {
	e, b := browserEnv(t)
	e.hook.setTag("bad\r\nInjected: x") // a header value that injects a line: a lint
	id := e.play("hello", "data")[0]
	b.open(fmt.Sprintf("#/runs/%d", id))
	b.wait("the data step's lint box", `document.querySelector('.step-data .lint-box') !== null`, 10*time.Second)
	b.eval(`document.querySelector('.step-data .exchange .ex-head').click()`)
	b.wait("the open exchange", `document.querySelector('.step-data .ex-detail') !== null`, 10*time.Second)
	if n := b.eval(`document.querySelectorAll('.step-data .lint-box').length`); n != float64(1) {
		t.Errorf("%v lint boxes in the data step once its exchange is open, want 1", n)
	}
}

// A message's MIME tree gives a multipart its parts' size, not "0 B",
// and its Source is the whole message, headers included.
func TestBrowserMessageSourceAndParts(t *testing.T) {
	e, b := browserEnv(t)
	id := e.play("attachment", "data")[0]
	b.open(fmt.Sprintf("#/runs/%d/messages/1", id))
	tree := b.wait("the MIME tree", `(() => { const t = document.querySelector('.mime-tree'); return t && t.innerText.includes('multipart') && t.innerText })()`, 10*time.Second)
	if strings.Contains(tree, " 0 B") {
		t.Errorf("a part of the MIME tree reads 0 B:\n%s", tree)
	}
	b.eval(`(() => { const d = document.querySelector('.msg-source'); d.open = true; })()`)
	src := b.wait("the source", `(() => { const p = document.querySelector('.msg-source pre'); return p && p.textContent !== 'Loading…' && p.textContent })()`, 10*time.Second)
	if !strings.Contains(src, "Subject:") || !strings.Contains(src, "MIME-Version:") {
		t.Errorf("Source is not the whole message:\n%.400s", src)
	}
}

// An error the API answers names its own fields, not the CLI's flags and
// environment variables.
func TestAPIErrorsInTheAPIsWords(t *testing.T) {
	e := startEnv(t)
	var res struct {
		Runs []int64 `json:"runs"`
	}
	e.api("POST", "/api/v1/play", map[string]any{"session": "minimal", "url": e.hook.URL, "stages": []string{"data"}, "bearer": "t0k3n-value"}, &res)
	e.waitFinished(res.Runs[0])
	code, body := e.rawPost(fmt.Sprintf("/api/v1/runs/%d/replay", res.Runs[0]), map[string]any{})
	if code != 422 || !strings.Contains(body, "(bearer)") || strings.Contains(body, "--") || strings.Contains(body, "HOOKSIM_") {
		t.Errorf("replay without the token: %d %s", code, body)
	}
	code, body = e.rawPost("/api/v1/play", map[string]any{"session": "minimal"})
	if code/100 != 4 || strings.Contains(body, "--") {
		t.Errorf("play without a URL: %d %s", code, body)
	}
}

// A run that expects nothing is "passed" though its data hook failed: the
// page says the expectations' verdict and what the SMTP client heard as
// two things.
func TestBrowserPassedButClientHeard451(t *testing.T) {
	e, b := browserEnv(t)
	refused := refusedURL(t)
	var res struct {
		Runs []int64 `json:"runs"`
	}
	script := "name: no-expectations\nsteps:\n  - ehlo: client.example.net\n  - mail: a@example.org\n  - rcpt: b@example.org\n" +
		"  - data:\n      inline: |\n        Subject: hi\n\n        Hello.\n"
	e.api("POST", "/api/v1/play", map[string]any{"script": script, "url": refused, "stages": []string{"data"}}, &res)
	e.waitFinished(res.Runs[0])
	b.open(fmt.Sprintf("#/runs/%d", res.Runs[0]))
	text := b.wait("the run's head", `(() => { const h = document.querySelector('.client-heard'); return h && document.querySelector('.page-head').innerText + '\n' + h.innerText })()`, 10*time.Second)
	for _, want := range []string{"expectations", "passed", "hook errors", "451 4.3.5"} {
		if !strings.Contains(text, want) {
			t.Errorf("the run's head does not say %q:\n%s", want, text)
		}
	}
}

// The replay form's empty Stages field means the recorded stages, also
// with a URL: a run recorded at every stage replays the same against
// the same hook at another address, with nothing "not called".
func TestBrowserReplayFormKeepsRecordedStages(t *testing.T) {
	e, b := browserEnv(t)
	id := e.play("hello", "connect", "ehlo", "mail", "rcpt", "data")[0]
	b.open(fmt.Sprintf("#/runs/%d", id))
	b.openReplayForm()
	b.wait("the replay form", `document.getElementById('replay-url') !== null`, 5*time.Second)
	other := strings.Replace(e.hook.URL, "127.0.0.1", "localhost", 1)
	b.eval(fmt.Sprintf(`(() => { document.getElementById('replay-url').value = %q; document.getElementById('replay-go').click(); })()`, other))
	text := b.wait("the replay's answer", `(() => { const d = document.querySelector('#replay-out .diff-result'); return d && d.innerText })()`, 15*time.Second)
	if !strings.Contains(text, "same answers") || strings.Contains(text, "not called") {
		t.Errorf("replaying a run recorded at every stage with only a URL:\n%s", text)
	}
}

// The send, play and replay forms have Bearer and Basic fields whose
// credentials reach the hook (and are never stored).
func TestBrowserCredentialFields(t *testing.T) {
	e, b := browserEnv(t)
	const token = "form-t0ken-s3cret"
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"action":"accept"}`)
	}))
	defer hook.Close()

	b.open("#/send")
	b.wait("the send form", `document.getElementById('send-bearer') !== null`, 10*time.Second)
	b.eval(fmt.Sprintf(`(() => { document.getElementById('send-url').value = %q; document.getElementById('send-bearer').value = %q;
		document.getElementById('send-body').value = '{}'; document.querySelector('#send-body').form.requestSubmit(); })()`, hook.URL+"/", token))
	text := b.wait("the answer", `(() => { const r = document.querySelector('.send-result'); return r && r.innerText })()`, 10*time.Second)
	if !strings.Contains(text, "HTTP 200") || !strings.Contains(text, "accept") {
		t.Errorf("send with the Bearer field:\n%s", text)
	}

	b.open("#/play")
	b.wait("sessions listed", `document.querySelector('#play-session option[value="minimal"]') && document.getElementById('play-bearer')`, 10*time.Second)
	b.eval(fmt.Sprintf(`(() => { const s = document.getElementById('play-session'); s.value = 'minimal'; s.dispatchEvent(new Event('change'));
		document.getElementById('play-url').value = %q; document.getElementById('play-bearer').value = %q; document.getElementById('play-go').click(); })()`, hook.URL+"/", token))
	href := b.wait("the run link", `(() => { const a = document.querySelector('#play-out a[href^="#/runs/"]'); return a && a.getAttribute('href') })()`, 10*time.Second)
	id := strings.TrimPrefix(href, "#/runs/")
	var run struct {
		Run struct {
			Outcome    string `json:"outcome"`
			HookErrors bool   `json:"hook_errors"`
		} `json:"run"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		e.api("GET", "/api/v1/runs/"+id, nil, &run)
		if run.Run.Outcome != "running" || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if run.Run.HookErrors {
		t.Errorf("the play with the Bearer field failed to call the hook: %+v", run.Run)
	}

	b.open("#/runs/" + id)
	b.openReplayForm()
	b.wait("the replay form", `document.getElementById('replay-bearer') !== null`, 5*time.Second)
	b.eval(fmt.Sprintf(`(() => { document.getElementById('replay-bearer').value = %q; document.getElementById('replay-go').click(); })()`, token))
	text = b.wait("the replay's answer", `(() => { const d = document.querySelector('#replay-out .diff-result'); return d && d.innerText })()`, 15*time.Second)
	if !strings.Contains(text, "same answers") {
		t.Errorf("replay with the Bearer field:\n%s", text)
	}
	b.eval(`void 0`)
	if raw, err := os.ReadFile(e.dbPath); err == nil && strings.Contains(string(raw), token) {
		t.Errorf("the token is in the database")
	}
}

// browserEnv is a browser tab on a fresh web view, for the tests of this
// file; they skip in -short mode.
func browserEnv(t *testing.T) (*env, *tab) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests skipped in -short mode")
	}
	bctx := browser(t)
	e := startEnv(t)
	return e, &tab{t: t, ctx: bctx, e: e}
}

// refusedURL is a loopback URL where nothing listens.
func refusedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "http://" + ln.Addr().String() + "/"
}

// openReplayForm opens the replay form of the run page shown.
func (b *tab) openReplayForm() {
	b.t.Helper()
	b.wait("the replay button", `[...document.querySelectorAll('button')].some(x => x.textContent.startsWith('Replay'))`, 10*time.Second)
	b.eval(`[...document.querySelectorAll('button')].find(x => x.textContent.startsWith('Replay')).click()`)
}
