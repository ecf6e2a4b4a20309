package simulator

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/hookconf"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// TestBundledRequestsGolden plays every bundled session against an
// accept-all hook configured for every stage and compares each request
// body, byte for byte, with testdata/requests/NAME.golden. The golden files
// were checked by hand against PROTOCOL.md §1; regenerate with -update only
// after such a check.
func TestBundledRequestsGolden(t *testing.T) {
	t.Parallel()
	all, err := sessions.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("no bundled sessions")
	}
	stagesSeen := map[string]bool{}
	for _, s := range all {
		t.Run(s.Name, func(t *testing.T) {
			h := newFakeHook(t, accept)
			playWith(t, []*hookconf.Hook{hookAt("h", h.srv.URL, allStages...)}, s)
			var got bytes.Buffer
			for i, body := range h.requests() {
				if !json.Valid(body) {
					t.Errorf("request %d is not valid JSON: %s", i+1, body)
				}
				fmt.Fprintf(&got, "# request %d: %s\n%s\n", i+1, h.calls()[i], body)
				stagesSeen[h.calls()[i]] = true
			}
			path := filepath.Join("..", "testdata", "requests", s.Name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./simulator -update once, then check the file against PROTOCOL.md)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("requests differ from %s:\n got:\n%s\nwant:\n%s", path, got.Bytes(), want)
			}
		})
	}
	t.Cleanup(func() {
		for _, st := range []string{"connect", "ehlo", "mail", "rcpt", "data"} {
			if !stagesSeen[st] && !*update {
				t.Errorf("no bundled session reaches the %s stage", st)
			}
		}
	})
}
