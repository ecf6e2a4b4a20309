package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/store"
)

// recordSMTP plays a bundled session, renamed, as hooksim smtp records a
// connection (source smtp), from a store handle of its own (recordAs).
// It returns the run's id.
func (e *env) recordSMTP(bundled, name string) int64 {
	e.t.Helper()
	return e.recordAs(context.Background(), bundled, name, simulator.SourceSMTP)
}

// setRelay records a relay's result as hooksim smtp --relay does, from
// a store handle of its own.
func (e *env) setRelay(runID int64, number int, r store.Relay) {
	e.t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, e.dbPath)
	if err != nil {
		e.t.Fatalf("open store again: %v", err)
	}
	defer st.Close()
	if err := st.SetRelay(ctx, runID, number, r); err != nil {
		e.t.Fatalf("SetRelay: %v", err)
	}
}

// messageBySubject finds, through the API, the run and transaction
// number of the newest queued message whose subject contains subject.
func (e *env) messageBySubject(subject string) (int64, int) {
	e.t.Helper()
	var page struct {
		Messages []struct {
			RunID   int64  `json:"run_id"`
			Number  int    `json:"number"`
			Subject string `json:"subject"`
		} `json:"messages"`
	}
	e.api("GET", "/api/v1/messages?q="+url.QueryEscape(subject), nil, &page)
	if len(page.Messages) == 0 {
		e.t.Fatalf("no queued message with %q in its subject", subject)
	}
	return page.Messages[0].RunID, page.Messages[0].Number
}

// fetch GETs a path of the server (as a link of the page would) and
// returns its status, content type and body.
func (e *env) fetch(path string) (int, string, string) {
	e.t.Helper()
	res, err := http.Get(e.base + path)
	if err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), string(b)
}

// TestBrowserMessages drives the Messages view (the mail catcher's inbox)
// in a headless Chromium: queued messages of every run listed newest
// first, a new one arriving live, keyboard use, a message opened and its
// .eml downloaded, a relay failure shown live, and no sideways scrolling
// on a phone.
func TestBrowserMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests skipped in -short mode")
	}
	bctx := browser(t)
	e := startEnv(t)
	b := &tab{t: t, ctx: bctx, e: e}
	const subjects = `[...document.querySelectorAll('#inbox li.msg-row .msg-subject')].map(a => a.textContent)`

	e.play("hello", "data")
	smtpRun := e.recordSMTP("two-transactions", "smtp 203.0.113.7")
	// The connection's transactions: 1 queued, 2 abandoned (RSET), 3 queued.
	copyRun, copyTx := e.messageBySubject("on-call")
	if copyRun != smtpRun || copyTx != 3 {
		t.Fatalf("the on-call copy is transaction %d of run %d, want 3 of %d", copyTx, copyRun, smtpRun)
	}

	t.Run("queued messages listed newest first", func(t *testing.T) {
		b.t, e.t = t, t
		b.open("#/messages")
		b.wait("three messages", `document.querySelectorAll('#inbox li.msg-row').length === 3`, 10*time.Second)
		got := fmt.Sprint(b.eval(subjects))
		if want := "[Daily status (copy for the on-call engineer) Daily status Saying Hello]"; got != want {
			t.Errorf("subjects %s, want %s", got, want)
		}
		first := b.eval(`document.querySelector('#inbox li.msg-row').innerText`).(string)
		for _, want := range []string{"alice@example.net", "dave@example.org", "⤓ .eml"} {
			if !strings.Contains(first, want) {
				t.Errorf("first row lacks %q:\n%s", want, first)
			}
		}
		if v := b.eval(`document.querySelector('.nav a[data-nav="messages"]').classList.contains('active')`); v != true {
			t.Errorf("the Messages link is not marked as the current page")
		}
		b.do("search", 5*time.Second, chromedp.SendKeys(chromedp.CSS("#m-q"), "on-call"))
		b.wait("search applied", `(() => { const s = `+subjects+`; return s.length === 1 && s[0].includes('on-call') })()`, 5*time.Second)
		b.eval(`(() => { const q = document.getElementById('m-q'); q.value = ''; q.dispatchEvent(new Event('input')) })()`)
		b.wait("search cleared", subjects+`.length === 3`, 5*time.Second)
	})

	t.Run("a new message shows up live", func(t *testing.T) {
		b.t, e.t = t, t
		b.wait("websocket live", `document.getElementById('live').classList.contains('live-live')`, 10*time.Second)
		b.eval(`window.__noReload = 1`)
		e.recordSMTP("minimal", "smtp 203.0.113.8")
		b.wait("the new message on top", subjects+`[0] === 'Lunch tomorrow?'`, 10*time.Second)
		if n := b.eval(subjects + `.length`); n != float64(4) {
			t.Errorf("%v messages listed, want 4", n)
		}
		if v := b.eval(`window.__noReload === 1`); v != true {
			t.Errorf("the page reloaded to show the message")
		}
	})

	t.Run("keyboard opens a message, which downloads as queued", func(t *testing.T) {
		b.t, e.t = t, t
		// From the search box, Tab reaches the source, Clear, then the
		// newest message's link; Enter opens it.
		b.do("tab to the first message", 5*time.Second, chromedp.Focus(chromedp.CSS("#m-q")),
			chromedp.KeyEvent("\t"), chromedp.KeyEvent("\t"), chromedp.KeyEvent("\t"))
		if got := b.eval(`document.activeElement.textContent`); got != "Lunch tomorrow?" {
			t.Fatalf("focus is on %q, want the newest message's link", got)
		}
		b.do("enter", 5*time.Second, chromedp.KeyEvent("\r"))
		b.wait("message page", `location.hash.match(/^#\/runs\/\d+\/messages\/1$/) && document.getElementById('dl-queued')`, 10*time.Second)
		if title := b.eval(`document.getElementById('message-title').textContent`); title != "Lunch tomorrow?" {
			t.Errorf("message page title %q", title)
		}
		href := b.eval(`document.getElementById('dl-queued').getAttribute('href')`).(string)
		if !strings.HasSuffix(href, "/messages/1/eml?which=queued") {
			t.Fatalf("queued .eml link = %q", href)
		}
		code, ctype, eml := e.fetch(href)
		if code != http.StatusOK || ctype != "message/rfc822" || !strings.HasPrefix(eml, "Received: from ") ||
			!strings.Contains(eml, "\r\nSubject: Lunch tomorrow?\r\n") || !strings.Contains(eml, "X-Hooksim-Test: yes") || !strings.HasSuffix(eml, "\r\n") {
			t.Errorf("GET %s = %d %s:\n%.400s", href, code, ctype, eml)
		}
		// The inbox row's download link is the same file.
		b.open("#/messages")
		b.wait("list", subjects+`.length === 4`, 10*time.Second)
		rowHref := b.eval(`document.querySelector('#inbox li.msg-row .msg-eml').getAttribute('href')`).(string)
		if _, _, again := e.fetch(rowHref); again != eml {
			t.Errorf("the row's .eml (%s) differs from the message page's", rowHref)
		}
	})

	t.Run("a relay failure is shown", func(t *testing.T) {
		b.t, e.t = t, t
		b.wait("websocket live", `document.getElementById('live').classList.contains('live-live')`, 10*time.Second)
		b.eval(`window.__noReload = 1`)
		const reply = "554 5.7.1 <dave@example.org>: Relay access denied"
		e.setRelay(smtpRun, copyTx, store.Relay{To: "127.0.0.1:2525", Reply: reply})
		row := b.wait("the failure on the message's row", `(() => { const r = document.querySelector('#inbox li.msg-row.relay-bad'); return r && r.innerText })()`, 10*time.Second)
		for _, want := range []string{"Relay failed", "127.0.0.1:2525", reply, "on-call"} {
			if !strings.Contains(row, want) {
				t.Errorf("failed row lacks %q:\n%s", want, row)
			}
		}
		if v := b.eval(`window.__noReload === 1`); v != true {
			t.Errorf("the page reloaded to show the relay")
		}
		e.setRelay(smtpRun, 1, store.Relay{To: "127.0.0.1:2525", OK: true, Reply: "250 2.0.0 Ok: queued as 4F1"})
		b.wait("a relayed badge", `[...document.querySelectorAll('#inbox li.msg-row')].some(r => r.innerText.includes('relayed') && r.innerText.includes('queued as 4F1') && !r.classList.contains('relay-bad'))`, 10*time.Second)
		b.do("open the failed one", 5*time.Second, chromedp.Click(chromedp.CSS(`#inbox li.msg-row.relay-bad .msg-subject`)))
		fact := b.wait("relay on the message page", `(() => { const d = document.getElementById('relay'); return d && d.innerText })()`, 10*time.Second)
		if !strings.Contains(fact, "relay failed") || !strings.Contains(fact, reply) {
			t.Errorf("relay fact = %q", fact)
		}
		// And on the run: the card of each message says what its relay came to.
		b.open(fmt.Sprintf("#/runs/%d", smtpRun))
		card := b.wait("relay on the run page", fmt.Sprintf(`(() => { const c = document.querySelector('.tx-card[data-tx="%d"] .tx-relay'); return c && c.innerText })()`, copyTx), 10*time.Second)
		if !strings.Contains(card, "relay failed") || !strings.Contains(card, reply) {
			t.Errorf("the run page's card of the failed relay says %q", card)
		}
		if ok := b.eval(`(document.querySelector('.tx-card[data-tx="1"] .tx-relay') || {}).innerText || ''`).(string); !strings.Contains(ok, "relayed") || strings.Contains(ok, "failed") {
			t.Errorf("the run page's card of the relayed message says %q", ok)
		}
	})

	t.Run("no sideways scrolling at 390 px", func(t *testing.T) {
		b.t, e.t = t, t
		b.do("phone viewport", 5*time.Second, chromedp.EmulateViewport(390, 844))
		defer b.do("desktop viewport", 5*time.Second, chromedp.EmulateViewport(1280, 800))
		for _, route := range []string{"#/messages", fmt.Sprintf("#/runs/%d/messages/%d", smtpRun, copyTx)} {
			b.open(route)
			b.wait("content", `document.querySelector('#inbox li.msg-row, #relay')`, 10*time.Second)
			if w := b.eval(`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`).([]any); w[0].(float64) > w[1].(float64) {
				t.Errorf("%s is %v px wide in a %v px window", route, w[0], w[1])
			}
		}
		b.open("#/messages")
		b.wait("list", subjects+`.length === 4`, 10*time.Second)
		// Every row's download link is inside the window.
		if v := b.eval(`[...document.querySelectorAll('#inbox .msg-eml')].every(a => a.getBoundingClientRect().right <= document.documentElement.clientWidth)`); v != true {
			t.Errorf("a download link is outside the window")
		}
	})
}
