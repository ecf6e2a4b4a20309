package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Credentials in a hook's URL query (key, token, session... by name) and
// in credential-named headers (X-Hook-Key, X-Signature) are hidden by one
// rule wherever a run is kept or shown: the database (and its WAL), the
// transcript, show --raw, and every export.
func TestQueryAndHeaderCredentialsHidden(t *testing.T) {
	t.Parallel()
	hook := exampleHook(t)
	secrets := []string{"abcd1234", "sess5678", "s3cr3tval", "sig9999x"}
	db := filepath.Join(t.TempDir(), "h.db")
	code, out, errOut := runCLI(t, "", "run", "bundled:hello", "--url", hook+"?key="+secrets[0]+"&Session="+secrets[1]+"&v=2",
		"--header", "X-Hook-Key: "+secrets[2], "--header", "X-Signature: "+secrets[3], "--stages", "all", "--db", db)
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}
	shown := out + errOut
	for _, args := range [][]string{{"show", "1"}, {"show", "1", "--raw", "1"}, {"export", "1", "--as", "json"}, {"export", "1", "--as", "curl"}, {"export", "1", "--as", "session"}, {"runs", "--json"}} {
		code, o, e := runCLI(t, "", append(args, "--db", db)...)
		if code != exitOK {
			t.Fatalf("%v: exit %d\n%s", args, code, e)
		}
		shown += o + e
	}
	if !strings.Contains(shown, "key=****") || !strings.Contains(shown, "v=2") {
		t.Errorf("the URL's query is not shown with its credential hidden:\n%s", shown)
	}
	for _, f := range []string{db, db + "-wal"} {
		if b, err := os.ReadFile(f); err == nil {
			shown += string(b)
		}
	}
	for _, s := range secrets {
		if strings.Contains(shown, s) {
			t.Errorf("%q shows in the output, an export or the database", s)
		}
	}
}

// --allow-target limits what a public web view calls: alone, it is a
// usage error.
func TestServeAllowTargetNeedsPublic(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, "", "serve", "--allow-target", "http://127.0.0.1:8025/", "--db", filepath.Join(t.TempDir(), "h.db"))
	if code != exitUsage || !strings.Contains(errOut, "--public") {
		t.Errorf("serve --allow-target without --public: exit %d\n%s%s", code, out, errOut)
	}
}
