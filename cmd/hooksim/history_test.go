package main

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/hooksim/hooksim/recorder/report"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/cmd/hooksim/internal/examplehook"
)

// hookWith starts an example hook with options, e.g. another archive address.
func hookWith(t *testing.T, opts examplehook.Options) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr, done, err := examplehook.Serve(ctx, "127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); <-done })
	return "http://" + addr.String() + "/"
}

var runIDPattern = regexp.MustCompile(`recorded as run #(\d+)`)

func mustRun(t *testing.T, dataHome string, args ...string) string {
	t.Helper()
	code, out, errOut := runCLIData(t, dataHome, "", args...)
	if code != exitOK {
		t.Fatalf("hooksim %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func TestRecordShowRunsPrune(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	url := exampleHook(t)
	out := mustRun(t, data, "run", "--url", url, "--stages", "all", "--bearer", "tok-SECRET-42", "bundled:spam-tagged", "bundled:blocked-sender")
	m := runIDPattern.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no run id in:\n%s", out)
	}
	list := mustRun(t, data, "runs")
	for _, want := range []string{"RUN", "spam-tagged", "blocked-sender", "passed"} {
		if !strings.Contains(list, want) {
			t.Errorf("runs lacks %q:\n%s", want, list)
		}
	}
	filtered := mustRun(t, data, "runs", "--action", "reject", "--json")
	var runs []report.Run
	if err := json.Unmarshal([]byte(filtered), &runs); err != nil {
		t.Fatalf("runs --json: %v\n%s", err, filtered)
	}
	if len(runs) != 1 || runs[0].Session != "blocked-sender" {
		t.Errorf("runs --action reject = %+v, want only blocked-sender", runs)
	}
	show := mustRun(t, data, "show", "1")
	for _, want := range []string{"run #1", "C: MAIL FROM:<prizes@promo.example.com>", "changeHeader #1 Subject", "S: 250 2.0.0 Message queued with id"} {
		if !strings.Contains(show, want) {
			t.Errorf("show lacks %q:\n%s", want, show)
		}
	}
	raw := mustRun(t, data, "show", "1", "--raw", "5", "--body", "request")
	if !strings.HasPrefix(raw, `{"context":{"stage":"data"`) || !json.Valid([]byte(raw)) {
		t.Errorf("raw request body of exchange 5:\n%s", raw)
	}
	full := mustRun(t, data, "show", "1", "--raw", "1")
	if !strings.Contains(full, "authorization: Bearer ****\r\n") || strings.Contains(full, "tok-SECRET-42") {
		t.Errorf("raw exchange headers:\n%s", full)
	}
	// The secret is nowhere in the database files.
	files, _ := filepath.Glob(filepath.Join(data, "hooksim", "hooksim.db*"))
	if len(files) == 0 {
		t.Fatal("no database under XDG_DATA_HOME")
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if bytes.Contains(b, []byte("tok-SECRET-42")) {
			t.Errorf("%s contains the bearer token", f)
		}
	}
	if code, _, errOut := runCLIData(t, data, "", "show", "99"); code != exitUsage || !strings.Contains(errOut, "no run #99") {
		t.Errorf("show 99: exit %d %s", code, errOut)
	}
	pruned := mustRun(t, data, "prune", "--older-than", "0s")
	if !strings.Contains(pruned, "deleted 2 runs") {
		t.Errorf("prune: %s", pruned)
	}
	if list := mustRun(t, data, "runs"); !strings.Contains(list, "no runs") {
		t.Errorf("runs after prune:\n%s", list)
	}
}

// TestExportThenTest: capture once, commit it, test it forever. A recorded
// run exported as a session passes against the same hook and fails, with a
// readable diff, against a changed one.
func TestExportThenTest(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	url := exampleHook(t)
	changed := hookWith(t, examplehook.Options{ArchiveAddress: "vault@example.org"})
	mustRun(t, data, "run", "--url", url, "--stages", "all", "bundled:spam-tagged")
	script := filepath.Join(t.TempDir(), "captured.yaml")
	mustRun(t, data, "export", "1", "--as", "session", "-o", script)
	src, _ := os.ReadFile(script)
	for _, want := range []string{"Exported by hooksim from run #1", "addRecipient", "archive@example.org"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("exported script lacks %q:\n%s", want, src)
		}
	}
	ok := mustRun(t, data, "test", "--url", url, "--stages", "all", script)
	if !strings.Contains(ok, "1 passed, 0 failed") {
		t.Errorf("test against the same hook:\n%s", ok)
	}
	junitPath := filepath.Join(t.TempDir(), "junit.xml")
	code, out, errOut := runCLIData(t, data, "", "test", "--url", changed, "--stages", "all", "--junit", junitPath, script)
	if code != exitFailed {
		t.Fatalf("test against a changed hook: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"FAIL", "modification addRecipient \"archive@example.org\" not returned", "vault@example.org", "0 passed, 1 failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("test output lacks %q:\n%s", want, out)
		}
	}
	xml, _ := os.ReadFile(junitPath)
	if !bytes.Contains(xml, []byte("<failure")) {
		t.Errorf("junit report has no failure:\n%s", xml)
	}
}

// TestReplayBothModes replays a recorded run against a hook whose answer
// changed, in both modes, and checks the diff names the change.
func TestReplayBothModes(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	url := exampleHook(t)
	changed := hookWith(t, examplehook.Options{BlockedDomains: []string{"promo.example.com"}})
	mustRun(t, data, "run", "--url", url, "--stages", "all", "bundled:spam-tagged")
	same := mustRun(t, data, "replay", "1")
	if !strings.Contains(same, "same") {
		t.Errorf("replay against the same hook:\n%s", same)
	}
	for _, mode := range []string{"resimulate", "exact"} {
		code, out, errOut := runCLIData(t, data, "", "replay", "--mode", mode, "--url", changed, "--stages", "all", "1")
		if code != exitFailed {
			t.Fatalf("%s replay against a changed hook: exit %d\n%s\n%s", mode, code, out, errOut)
		}
		for _, want := range []string{"accept", "reject", "550 5.7.1 Sender blocked by policy", "changed"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s replay output lacks %q:\n%s", mode, want, out)
			}
		}
	}
	list := mustRun(t, data, "runs", "--source", "replay")
	if !strings.Contains(list, "replay of #1 (resimulate)") || !strings.Contains(list, "replay of #1 (exact)") {
		t.Errorf("replays are not recorded as linked runs:\n%s", list)
	}
}

func TestExportCurl(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	var got []string
	url := exampleHook(t)
	mustRun(t, data, "run", "--no-expect", "--url", url, "--stages", "data", "bundled:hello")
	script := mustRun(t, data, "export", "1", "--as", "curl")
	if !strings.Contains(script, "curl -sS -X POST '"+url+"'") || !strings.Contains(script, `--data-binary '{"context":{"stage":"data"`) {
		t.Fatalf("curl script:\n%s", script)
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed: the script was checked as text only")
	}
	out, err := exec.Command("sh", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("running the exported script: %v\n%s", err, out)
	}
	got = append(got, string(out))
	if !strings.Contains(got[0], `"action":"accept"`) {
		t.Errorf("the hook's answer to the exported curl: %s", out)
	}
}

func TestExportJSON(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	mustRun(t, data, "run", "--no-expect", "--url", exampleHook(t), "bundled:hello")
	out := mustRun(t, data, "export", "1", "--as", "json")
	var doc struct {
		Sessions []struct {
			Run   report.Run `json:"run"`
			Steps []struct {
				Exchanges []struct {
					Request struct{ Body string } `json:"request"`
				} `json:"exchanges"`
			} `json:"steps"`
		} `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("export --as json: %v", err)
	}
	if len(doc.Sessions) != 1 || doc.Sessions[0].Run.ID != 1 {
		t.Errorf("export json sessions %+v", doc.Sessions)
	}
}

// The runs list offers a next page only when there is one, and the page
// it offers has the same size: with five runs, --limit 5 lists them all
// and no "more:"; --limit 2 gives a "more:" whose page holds the next two
// runs and offers the last one, whose page offers nothing. An age in
// --since is carried over as the time it meant.
func TestRunsMoreOnlyWhenMore(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	url := exampleHook(t)
	mustRun(t, data, "run", "--url", url, "bundled:hello", "bundled:hello", "bundled:hello", "bundled:hello", "bundled:hello")
	if all := mustRun(t, data, "runs", "--limit", "5"); strings.Contains(all, "more:") || strings.Count(all, "hello") != 5 {
		t.Errorf("--limit 5 of 5 runs:\n%s", all)
	}
	// next follows a page's "more:" hint (without its --db: this test's
	// database is the default one under data).
	next := func(page string) (string, []string) {
		t.Helper()
		i := strings.Index(page, "more: hooksim runs ")
		if i < 0 {
			return "", nil
		}
		var args []string
		for _, a := range strings.Fields(strings.TrimSpace(page[i+len("more: hooksim runs "):])) {
			if !strings.HasPrefix(a, "--db") {
				args = append(args, a)
			}
		}
		return mustRun(t, data, append([]string{"runs"}, args...)...), args
	}
	page := mustRun(t, data, "runs", "--limit", "2", "--since", "1h")
	for i, want := range []int{2, 2, 1} {
		if got := strings.Count(page, "hello"); got != want {
			t.Errorf("page %d: %d runs, want %d:\n%s", i+1, got, want, page)
		}
		var args []string
		page, args = next(page)
		if i < 2 && page == "" {
			t.Fatalf("page %d offers no next page", i+1)
		}
		if i == 2 && page != "" {
			t.Errorf("the last page offers another: %s", args)
		}
		if args != nil && (!slices.Contains(args, "--limit=2") || slices.Contains(args, "--since=1h")) {
			t.Errorf("page %d's hint: %s, want --limit=2 and --since as a time", i+1, args)
		}
	}
}

// A probe whose hook failed stays "passed" (no expectation failed), and
// the runs list and show say that a hook call failed; --json has
// hook_errors.
func TestRunsSayHookErrors(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	if code, _, errOut := runCLIData(t, data, "", "run", "--url", refusingURL(t), "bundled:hello"); code != exitFailed {
		t.Fatalf("run against a refusing hook: exit %d, want 1\n%s", code, errOut)
	}
	mustRun(t, data, "run", "--url", exampleHook(t), "bundled:hello")
	list := mustRun(t, data, "runs")
	if !strings.Contains(list, "#1 ") || !regexp.MustCompile(`(?m)^#1 .*passed \(hook errors\)`).MatchString(list) ||
		regexp.MustCompile(`(?m)^#2 .*hook errors`).MatchString(list) {
		t.Errorf("runs:\n%s", list)
	}
	if head := strings.SplitN(mustRun(t, data, "show", "1"), "\n", 2)[0]; !strings.Contains(head, "passed (hook errors)") {
		t.Errorf("show 1: %q", head)
	}
	var runs []report.Run
	if err := json.Unmarshal([]byte(mustRun(t, data, "runs", "--json")), &runs); err != nil || len(runs) != 2 {
		t.Fatalf("runs --json: %v (%d runs)", err, len(runs))
	}
	if !runs[1].HookErrors || runs[0].HookErrors || runs[1].Outcome != "passed" {
		t.Errorf("runs --json: #%d hook_errors %v outcome %q, #%d hook_errors %v", runs[1].ID, runs[1].HookErrors, runs[1].Outcome, runs[0].ID, runs[0].HookErrors)
	}
}

// refusingURL is a loopback URL where nothing listens.
func refusingURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/"
	ln.Close()
	return url
}
