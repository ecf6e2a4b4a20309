package web_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/hooksim/hooksim/store"
)

// Both lists page the same way (pager.js): 50 first, newest first, and
// "Load older" adds the rest, for runs and for queued messages.
func TestBrowserPaging(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests skipped in -short mode")
	}
	bctx := browser(t)
	e := startEnv(t)
	b := &tab{t: t, ctx: bctx, e: e}
	st, err := store.Open(context.Background(), filepath.Clean(e.dbPath))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Now().Add(-time.Hour)
	for i := range 60 {
		ctx := context.Background()
		id, err := st.CreateRun(ctx, &store.Run{SessionName: fmt.Sprintf("paged-%02d", i), Source: store.SourceSMTP,
			Started: at.Add(time.Duration(i) * time.Second), Ended: at.Add(time.Duration(i)*time.Second + time.Millisecond), Outcome: store.OutcomePassed})
		if err != nil {
			t.Fatal(err)
		}
		final := fmt.Sprintf("Subject: paged %02d\r\n\r\nhi\r\n", i)
		m := store.Message{RunID: id, Number: 1, QueueID: "q", Delivered: true, Reply: "250 2.0.0 Message queued with id q.",
			Original: []byte(final), Final: []byte(final), EnvelopeBefore: []byte(`{"from":"a@example.org","to":["b@example.org"]}`),
			EnvelopeAfter: []byte(`{"from":"a@example.org","to":["b@example.org"]}`), Ended: at}
		if err := st.Write(ctx, store.Batch{Messages: []store.Message{m}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ route, rows, button string }{
		{"#/", "#runs-table tr.run-row", "Load older runs"},
		{"#/messages", "#inbox > li", "Load older messages"},
	} {
		b.open(c.route)
		b.wait(c.route+": the first page", fmt.Sprintf(`document.querySelectorAll(%q).length === 50`, c.rows), 10*time.Second)
		b.eval(fmt.Sprintf(`[...document.querySelectorAll('button')].find(x => x.textContent === %q).click()`, c.button))
		b.wait(c.route+": every row", fmt.Sprintf(`document.querySelectorAll(%q).length === 60`, c.rows), 10*time.Second)
		if hidden := b.eval(fmt.Sprintf(`[...document.querySelectorAll('button')].find(x => x.textContent === %q).hidden`, c.button)); hidden != true {
			t.Errorf("%s: the button stays once every row is shown", c.route)
		}
	}
}
