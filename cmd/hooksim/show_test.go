package main

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/sessions"
)

// TestShowIsRunTranscript plays every bundled session against real
// loopback hooks (the example hook; one that answers with lints,
// modifications with parameters, a failed call with a body, skipped, and
// a reject with a response object; one that refuses at connect, so the
// steps after are not sent), each as its own recorded run, and checks that `hooksim
// show` of the run prints the very transcript `hooksim run` printed live:
// the stored run (report.FromRows) goes through the printer run uses.
func TestShowIsRunTranscript(t *testing.T) {
	t.Parallel()
	mixed := newUserHook(t)
	mixed.set("*", 200, `{"action":"accept"}`)
	mixed.set("ehlo", 200, `{"action":"accept","unknownKey":1}`)
	mixed.set("mail", 200, `{"action":"accept","modifications":[{"type":"changeFrom","value":"bounce@example.org","parameters":{"SIZE":"10","BODY":"8BITMIME","RET":null}}]}`)
	mixed.set("rcpt", 500, "down\nfor maintenance\n")
	mixed.set("data", 200, `{"action":"reject","response":{"status":550,"enhancedStatus":"5.7.1","message":"No thanks"}}`)
	refuser := newUserHook(t)
	refuser.set("connect", 200, `{"action":"reject","response":{"status":554,"message":"Go away","disconnect":true}}`)
	hooks := map[string][]string{
		"example": {"--url", exampleHook(t)},
		"mixed":   {"--url", mixed.url(), "--no-tempfail"},
		"refuser": {"--url", refuser.url()},
	}
	for name, flags := range hooks {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data := t.TempDir()
			for _, session := range sessions.BundledNames() {
				args := append([]string{"run", "--stages", "all"}, flags...)
				code, live, errOut := runCLIData(t, data, "", append(args, "bundled:"+session)...)
				if code != exitOK && code != exitFailed {
					t.Fatalf("run %s: exit %d\n%s\n%s", session, code, live, errOut)
				}
				m := runIDPattern.FindStringSubmatch(live)
				if m == nil {
					t.Fatalf("run %s: no run id in:\n%s", session, live)
				}
				// The session's transcript ends with its verdict line and a blank line.
				end := strings.Index(live, "\n\n")
				if !strings.HasPrefix(live, "== ") || end < 0 {
					t.Fatalf("run %s: no session transcript in:\n%s", session, live)
				}
				want := live[:end+2]
				shown := mustRun(t, data, "show", m[1])
				_, got, _ := strings.Cut(shown, "\n") // after the "run #N, ..." line
				if got != want {
					t.Errorf("show %s (%s) differs from what run printed:\n--- show\n%s\n--- run\n%s", m[1], session, got, want)
				}
			}
		})
	}
}

// TestShowPrintsTheStoredParse: show prints an answer as the recorder
// stored its parse, not as its body would parse now. The body of a
// recorded data exchange is changed in the database into one that parses
// as a reject (as a newer parser could read the old bytes differently);
// show still prints the accept and the modification that were played,
// line for line what run printed, and export expects them.
func TestShowPrintsTheStoredParse(t *testing.T) {
	t.Parallel()
	h := newUserHook(t)
	h.set("data", 200, `{"action":"accept","modifications":[{"type":"addHeader","name":"X-Answer","value":"as played"}]}`)
	data := t.TempDir()
	live := mustRun(t, data, "run", "--url", h.url(), "--stages", "data", "bundled:hello")
	m := runIDPattern.FindStringSubmatch(live)
	if m == nil || !strings.Contains(live, `addHeader X-Answer: "as played"`) {
		t.Fatalf("run:\n%s", live)
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(data, "hooksim", "hooksim.db"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.Exec(`UPDATE exchanges SET response_body = ? WHERE run_id = ? AND stage = 'data'`,
		[]byte(`{"action":"reject","response":{"status":550,"message":"parsed again"}}`), m[1])
	if n, _ := res.RowsAffected(); err != nil || n != 1 {
		t.Fatalf("changing the stored body: %v (%d rows)", err, n)
	}
	db.Close()
	shown := mustRun(t, data, "show", m[1])
	_, got, _ := strings.Cut(shown, "\n")
	want := live[:strings.Index(live, "\n\n")+2]
	if got != want || strings.Contains(got, "parsed again") {
		t.Errorf("show differs from what run printed:\n--- show\n%s\n--- run\n%s", got, want)
	}
	script := mustRun(t, data, "export", m[1], "--as", "session")
	if !strings.Contains(script, "X-Answer") || strings.Contains(script, "parsed again") {
		t.Errorf("export does not expect the stored answer:\n%s", script)
	}
}
