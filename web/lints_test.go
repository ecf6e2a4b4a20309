package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/recorder/report"
)

// TestLintFixReachesTheAPI: a lint's fix is recorded with the exchange and
// served by the run's JSON, so the page can show it.
func TestLintFixReachesTheAPI(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	hook := newTestHook(t, "", "quarantine")
	id := record(t, ts.dbPath, hook.URL, "hello", "")
	var d report.Session
	ts.getJSON(t, fmt.Sprintf("/api/v1/runs/%d", id), &d)
	var found []report.Lint
	for _, st := range d.Steps {
		for _, ex := range st.Exchanges {
			for _, l := range ex.Lints {
				if l.Code == "quarantine-is-discard" {
					found = append(found, l)
				}
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("quarantine lints %+v, want one", found)
	}
	if !strings.Contains(found[0].Fix, "accept with an addHeader") {
		t.Errorf("fix %q", found[0].Fix)
	}
}
