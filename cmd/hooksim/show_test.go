package main

import (
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
