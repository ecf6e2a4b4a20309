package web_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hooksim/hooksim/sessions"
)

// TestBrowser drives the pages in a headless Chromium against a real
// server and a loopback hook. The subtests share one browser tab and run
// in order: each builds on the runs the ones before recorded.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests skipped in -short mode")
	}
	bctx := browser(t)
	e := startEnv(t)
	b := &tab{t: t, ctx: bctx, e: e}
	names := sessions.BundledNames()
	var helloRun int64

	t.Run("demo runs appear", func(t *testing.T) {
		b.t = t
		for _, n := range names {
			ids := e.play(n, "mail", "rcpt", "data")
			if n == "hello" {
				helloRun = ids[0]
			}
		}
		b.open("#/")
		b.wait("every bundled session listed", fmt.Sprintf(
			`document.querySelectorAll('#runs-table tr.run-row').length >= %d`, len(names)), 10*time.Second)
		got := b.eval(`[...document.querySelectorAll('#runs-table tr.run-row .session-name')].map(a => a.textContent).join('\n')`).(string)
		for _, n := range names {
			if !strings.Contains("\n"+got+"\n", "\n"+n+"\n") {
				t.Errorf("runs list lacks %q; it shows:\n%s", n, got)
			}
		}
		// newest first
		ids := b.eval(`[...document.querySelectorAll('#runs-table tr.run-row')].map(r => Number(r.dataset.runId))`).([]any)
		for i := 1; i < len(ids); i++ {
			if ids[i-1].(float64) < ids[i].(float64) {
				t.Fatalf("runs not newest first: %v", ids)
			}
		}
		// a filter narrows the list
		b.do("type a search", 5*time.Second, chromedp.SendKeys(chromedp.CSS("#f-q"), "spam-"))
		b.wait("search applied", `(() => { const s = [...document.querySelectorAll('#runs-table tr.run-row .session-name')].map(a => a.textContent);
			return s.length > 0 && s.every(n => n.includes('spam-')) })()`, 5*time.Second)
	})

	t.Run("a run recorded elsewhere shows up live", func(t *testing.T) {
		b.t = t
		b.open("#/")
		b.wait("list loaded", `document.querySelectorAll('#runs-table tr.run-row').length > 0`, 10*time.Second)
		b.wait("websocket live", `document.getElementById('live').classList.contains('live-live')`, 10*time.Second)
		b.eval(`window.__noReload = 1`)
		e.recordElsewhere(context.Background(), "minimal", "from-another-terminal")
		b.wait("the new run in the list", `[...document.querySelectorAll('#runs-table tr.run-row .session-name')].some(a => a.textContent === 'from-another-terminal')`, 5*time.Second)
		if v := b.eval(`window.__noReload === 1`); v != true {
			t.Errorf("the page reloaded to show the run")
		}
	})

	t.Run("a run started from the CLI shows up live", func(t *testing.T) {
		b.t = t
		bin := buildHooksim(t)
		b.open("#/")
		b.wait("websocket live", `document.getElementById('live').classList.contains('live-live')`, 10*time.Second)
		b.eval(`window.__noReload = 1`)
		const countBounce = `[...document.querySelectorAll('#runs-table tr.run-row .session-name')].filter(a => a.textContent === 'bounce').length`
		before := b.eval(countBounce).(float64)
		out, err := exec.Command(bin, "run", "--db", e.dbPath, "--no-expect", "--url", e.hook.URL, "--stages", "all", "bundled:bounce").CombinedOutput()
		if err != nil {
			t.Fatalf("hooksim run: %v\n%s", err, out)
		}
		b.wait("the CLI's run in the list", fmt.Sprintf("%s > %v", countBounce, before), 5*time.Second)
		if v := b.eval(`window.__noReload === 1`); v != true {
			t.Errorf("the page reloaded to show the run")
		}
	})

	t.Run("an exchange opens with its JSON", func(t *testing.T) {
		b.t = t
		b.open(fmt.Sprintf("#/runs/%d", helloRun))
		b.wait("timeline", `document.querySelector('#timeline .exchange')`, 10*time.Second)
		if head := b.eval(`document.querySelector('.run-page').innerText.split('TRANSCRIPT')[0]`).(string); !strings.Contains(head, "hello") || strings.Contains(head, "null") {
			t.Errorf("run page head:\n%s", head)
		}
		b.do("open the data exchange", 5*time.Second, chromedp.Click(chromedp.CSS(`#timeline .step-data .exchange .ex-head`)))
		keys := b.wait("request JSON", `(() => { const p = document.querySelector('.exchange.open .ex-detail pre.json');
			return p && p.querySelector('.j-key') ? [...p.querySelectorAll('.j-key')].map(k => k.textContent).join(' ') : false })()`, 10*time.Second)
		for _, k := range []string{`"context"`, `"stage"`, `"message"`} {
			if !strings.Contains(keys, k) {
				t.Errorf("request JSON lacks key %s; keys: %s", k, keys)
			}
		}
		b.do("response tab", 5*time.Second, chromedp.Click(chromedp.CSS(`.exchange.open .tab[data-tab="response"]`)))
		resp := b.wait("response JSON", `(() => { const p = document.querySelector('.exchange.open .tab-pane pre.json'); return p && p.textContent.includes('X-Hooksim-Test') && p.textContent })()`, 5*time.Second)
		if !strings.Contains(resp, `"addHeader"`) {
			t.Errorf("response JSON: %s", resp)
		}
		told := b.eval(`document.querySelector('.exchange.open .told code').textContent`).(string)
		if !strings.HasPrefix(told, "250") {
			t.Errorf("the client was told %q, want a 250 reply", told)
		}
	})

	t.Run("edit a request and send it", func(t *testing.T) {
		b.t = t
		b.do("edit & send", 5*time.Second, chromedp.Click(chromedp.CSS(`.exchange.open .ex-actions a[href^="#/send"]`)))
		b.wait("request loaded", `(() => { const el = document.getElementById('send-body'); return el && el.value.includes('"context"') })()`, 10*time.Second)
		if v := b.eval(`document.getElementById('send-url').value`); v != e.hook.URL {
			t.Errorf("hook URL prefilled with %v, want %s", v, e.hook.URL)
		}
		b.do("send", 5*time.Second, chromedp.Click(chromedp.CSS("#send-go")))
		got := b.wait("answer", `(() => { const r = document.querySelector('#send-out .send-result'); return r && r.textContent })()`, 10*time.Second)
		for _, want := range []string{"HTTP 200", "accept", "X-Hooksim-Test"} {
			if !strings.Contains(got, want) {
				t.Errorf("send result lacks %q: %s", want, got)
			}
		}
	})

	t.Run("the message view shows the modified header", func(t *testing.T) {
		b.t = t
		b.open(fmt.Sprintf("#/runs/%d/messages/1", helloRun))
		row := b.wait("header diff", `(() => { const r = document.querySelector('#header-diff tr.hd-added[data-header="X-Hooksim-Test"]'); return r && r.textContent })()`, 10*time.Second)
		if !strings.Contains(row, "yes") {
			t.Errorf("added header row %q lacks the value", row)
		}
		b.wait("MIME tree and preview", `document.querySelector('.mime-tree .part') && document.querySelector('.preview pre, .preview iframe')`, 5*time.Second)
		href := b.eval(`document.getElementById('dl-final').getAttribute('href')`).(string)
		if !strings.HasSuffix(href, "/messages/1/eml?which=final") {
			t.Errorf("final .eml link = %q", href)
		}
	})

	t.Run("replay shows a diff", func(t *testing.T) {
		b.t = t
		e.hook.setTag("changed")
		b.open(fmt.Sprintf("#/runs/%d", helloRun))
		b.wait("run page", `document.getElementById('btn-replay')`, 10*time.Second)
		b.do("replay", 10*time.Second,
			chromedp.Click(chromedp.CSS("#btn-replay")),
			chromedp.WaitVisible(chromedp.CSS("#replay-go")),
			chromedp.Click(chromedp.CSS("#replay-go")))
		text := b.wait("diff", `(() => { const d = document.querySelector('#replay-out .diff-result.differs'); return d && d.textContent })()`, 15*time.Second)
		if !strings.Contains(text, `+ addHeader X-Hooksim-Test: "changed"`) {
			t.Errorf("replay diff does not mention the new value:\n%s", text)
		}
		link := b.eval(`(document.querySelector('#replay-out a[href^="#/runs/"]') || {}).textContent || ''`).(string)
		if _, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(link), "replay run #")); err != nil {
			t.Errorf("no link to the replay run: %q", link)
		}
	})
	t.Run("replaying one exchange shows what changed", func(t *testing.T) {
		b.t = t
		b.open(fmt.Sprintf("#/runs/%d", helloRun))
		b.wait("timeline", `document.querySelector('#timeline .step-data .exchange')`, 10*time.Second)
		b.do("open the data exchange and replay it", 10*time.Second,
			chromedp.Click(chromedp.CSS(`#timeline .step-data .exchange .ex-head`)),
			chromedp.WaitVisible(chromedp.CSS(`.exchange.open .ex-actions button`)),
			chromedp.Click(chromedp.CSS(`.exchange.open .ex-actions button`)),
			chromedp.WaitVisible(chromedp.CSS(`.exchange.open .ex-replay button[type="submit"]`)),
			chromedp.Click(chromedp.CSS(`.exchange.open .ex-replay button[type="submit"]`)))
		text := b.wait("exchange diff", `(() => { const d = document.querySelector('.exchange.open .ex-replay pre.diff'); return d && d.textContent })()`, 15*time.Second)
		if !strings.Contains(text, `+ addHeader X-Hooksim-Test: "changed"`) {
			t.Errorf("the exchange replay diff does not mention the new value:\n%s", text)
		}
	})
	t.Run("play a bundled session from the page and compare runs", func(t *testing.T) {
		b.t = t
		b.open("#/play")
		b.wait("sessions listed", `document.querySelector('#play-session option[value="minimal"]')`, 10*time.Second)
		b.eval(fmt.Sprintf(`(() => { const s = document.getElementById('play-session'); s.value = 'minimal'; s.dispatchEvent(new Event('change'));
			document.getElementById('play-url').value = %q })()`, e.hook.URL))
		b.do("play", 5*time.Second, chromedp.Click(chromedp.CSS("#play-go")))
		href := b.wait("run link", `(() => { const a = document.querySelector('#play-out a[href^="#/runs/"]'); return a && a.getAttribute('href') })()`, 10*time.Second)
		id, err := strconv.ParseInt(strings.TrimPrefix(href, "#/runs/"), 10, 64)
		if err != nil {
			t.Fatalf("run link %q", href)
		}
		e.waitFinished(id)
		b.open(fmt.Sprintf("#/compare?a=%d&b=%d", helloRun, id))
		text := b.wait("comparison", `(() => { const d = document.querySelector('#compare-out .diff-result'); return document.querySelectorAll('.side-by-side .compact-run').length === 2 && d && d.textContent })()`, 10*time.Second)
		if !strings.Contains(text, "difference") {
			t.Errorf("hello and minimal compared equal: %s", text)
		}
	})
}

// TestScreenshots writes docs/screenshots/{runs,run,message}.png at
// 1280x800 from a realistic state. It runs only when asked:
//
//	HOOKSIM_WRITE_SCREENSHOTS=1 go test -run TestScreenshots ./web/
func TestScreenshots(t *testing.T) {
	if os.Getenv("HOOKSIM_WRITE_SCREENSHOTS") == "" {
		t.Skip("set HOOKSIM_WRITE_SCREENSHOTS=1 to write docs/screenshots")
	}
	bctx := browser(t)
	e := startEnv(t)
	b := &tab{t: t, ctx: bctx, e: e}
	// The real example hook makes the bundled sessions pass, as in the demo.
	hookURL := exampleHook(t)
	var spamRun int64
	for _, n := range sessions.BundledNames() {
		var res struct {
			Runs []int64 `json:"runs"`
		}
		e.api("POST", "/api/v1/play", map[string]any{"session": n, "url": hookURL, "stages": []string{"all"}}, &res)
		for _, id := range res.Runs {
			e.waitFinished(id)
		}
		if n == "spam-tagged" && len(res.Runs) > 0 {
			spamRun = res.Runs[0]
		}
	}
	dir := filepath.Join("..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	shoot := func(name string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, 10*time.Second)
		defer cancel()
		// let fonts settle and the flash highlight fade
		if err := chromedp.Do(ctx, chromedp.Sleep(1800*time.Millisecond)); err != nil {
			b.fail("settle", err)
		}
		shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			b.fail("screenshot "+name, err)
		}
		path := filepath.Join(dir, name+".png")
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
	}

	b.open("#/")
	b.wait("runs", `document.querySelectorAll('#runs-table tr.run-row').length > 5`, 10*time.Second)
	shoot("runs")

	b.open(fmt.Sprintf("#/runs/%d", spamRun))
	b.wait("timeline", `document.querySelector('#timeline .step-data .exchange .ex-head')`, 10*time.Second)
	b.do("open the data exchange", 5*time.Second, chromedp.Click(chromedp.CSS(`#timeline .step-data .exchange .ex-head`)))
	b.wait("request JSON", `document.querySelector('.exchange.open .ex-detail pre.json .j-key')`, 10*time.Second)
	b.eval(`(() => { const d = document.querySelector('#timeline .step-data'); const m = d.previousElementSibling;
		(m && m.previousElementSibling || m || d).scrollIntoView({block: 'start'}); window.scrollBy(0, -64) })()`)
	shoot("run")

	b.open(fmt.Sprintf("#/runs/%d/messages/1", spamRun))
	b.wait("header diff", `document.querySelector('#header-diff tr.hd-added')`, 10*time.Second)
	shoot("message")
}

// exampleHook builds hooksim and starts its example hook on a free
// loopback port, for realistic screenshots. It returns the hook's URL.
func exampleHook(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hooksim")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/hooksim").CombinedOutput(); err != nil {
		t.Fatalf("build hooksim: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "example-hook", "--listen", "127.0.0.1:0", "-q")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start example hook: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("example hook: %v", err)
	}
	i := strings.Index(line, "http://")
	if i < 0 {
		t.Fatalf("example hook said %q", line)
	}
	return strings.Fields(line[i:])[0]
}

// buildHooksim builds the hooksim command into a temporary folder, with
// -race when this test binary has it (so the cached packages are reused).
func buildHooksim(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hooksim")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	if out, err := exec.Command("go", append(args, "../cmd/hooksim")...).CombinedOutput(); err != nil {
		t.Fatalf("go build hooksim: %v\n%s", err, out)
	}
	return bin
}
