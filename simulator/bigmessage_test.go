package simulator

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/simulator/hookconf"
	"github.com/hooksim/hooksim/simulator/wire"
)

// TestDataStageCopies plays a 4 MiB message against a loopback hook that
// answers each data-stage modification list, and counts the bytes the play
// allocates: the request (the message JSON-escaped, about 1.03× for CRLF
// text) and the queued message (the server's headers in front of the
// final one, which shares its bytes) are the only copies of the message
// it may make, so that `hooksim run` stays under 4× a large message's
// size (issue 9). Before, modify.Apply built the final message in a buffer
// of its own and the queued form copied it again (3×).
//
// Not parallel: it reads the process's allocation counter, which other
// tests running at the same time would move.
func TestDataStageCopies(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@example.org\r\nTo: b@example.org\r\nSubject: big\r\nMessage-ID: <big@example.org>\r\n\r\n")
	for b.Len() < 4<<20 {
		b.WriteString("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n")
	}
	msg := b.String()
	tests := []struct {
		name, answer string
		changed      bool
	}{
		{"unchanged", `{"action":"accept"}`, false},
		{"addHeader", `{"action":"accept","modifications":[{"type":"addHeader","name":"X-Checked","value":"yes"}]}`, true},
		{"changeHeader", `{"action":"accept","modifications":[{"type":"changeHeader","index":1,"name":"Subject","value":"checked"}]}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, tt.answer)
			}))
			defer srv.Close()
			s := script(connect(), ehlo("mail.example.net"), mailFrom("a@example.org"), rcptTo("b@example.org"), data(msg), quit())
			hooks := []*hookconf.Hook{hookAt("h", srv.URL, wire.StageData)}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			res := playWith(t, hooks, s)
			runtime.ReadMemStats(&after)
			if len(res.Transactions) != 1 || !res.Transactions[0].Delivered {
				t.Fatalf("want one delivered message, got %+v", res.Transactions)
			}
			tx := res.Transactions[0]
			n := len(tx.Queued) - len(tx.Final)
			if n <= 0 || !bytes.Equal(tx.Queued[n:], tx.Final) || &tx.Queued[n] != &tx.Final[0] {
				t.Fatal("Final is not the tail of Queued's bytes")
			}
			if cap(tx.Queued) != len(tx.Queued) {
				t.Errorf("Queued has cap %d for %d bytes: not one buffer of its exact size", cap(tx.Queued), len(tx.Queued))
			}
			if changed := !bytes.Equal(tx.Final, tx.Original); changed != tt.changed {
				t.Errorf("final changed = %v, want %v", changed, tt.changed)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			ratio := float64(alloc) / float64(len(msg))
			t.Logf("allocated %.2f× the message", ratio)
			if ratio > 2.4 {
				t.Errorf("playing a %d-byte message allocated %d bytes (%.2f× the message), want at most 2.4× (the request and the queued message)", len(msg), alloc, ratio)
			}
		})
	}
}
