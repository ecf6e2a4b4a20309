package recorder

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/simulator"
	"github.com/hooksim/hooksim/simulator/hookconf"
)

// TestSecretsNeverStored records a run whose hooks carry Basic and Bearer
// secrets (and a credential header and a URL password), then greps the
// database files' bytes for every secret in clear and in base64.
func TestSecretsNeverStored(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, path := openStore(t)
	srv := hookServer(t)
	const (
		basicUser   = "alice"
		basicSecret = "Basic-Secret-7f3a9q"
		bearer      = "Bearer-Token-c81d2e"
		apiKey      = "Header-Secret-55aa1"
		urlPass     = "Url-Pass-9b9b3"
	)
	hostport := strings.TrimPrefix(srv.URL, "http://")
	hooks := []*hookconf.Hook{
		flagHook(t, hookconf.FlagSpec{URL: srv.URL + "/basic", Basic: basicUser + ":" + basicSecret}),
		flagHook(t, hookconf.FlagSpec{URL: srv.URL + "/bearer", Bearer: bearer, Headers: []string{"X-Api-Key: " + apiKey}}),
		flagHook(t, hookconf.FlagSpec{URL: "http://u:" + urlPass + "@" + hostport + "/url", Stages: []string{"connect"}}),
	}
	for i, h := range hooks {
		h.ID = []string{"basic", "bearer", "urlpass"}[i]
	}
	rec := New(st, Options{})
	sim := newSim(t, rec, hooks...)
	res, play := recordPlay(ctx, sim, rec, hello(t), simulator.Origin{})
	if res.Exchanges != 11 {
		t.Fatalf("played %d exchanges, want 11", res.Exchanges)
	}
	if err := rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	secrets := []string{basicSecret, bearer, apiKey, urlPass,
		base64.StdEncoding.EncodeToString([]byte(basicUser + ":" + basicSecret)),
		base64.StdEncoding.EncodeToString([]byte("u:" + urlPass)),
	}
	grep := func(when string) {
		t.Helper()
		found := 0
		for _, f := range []string{path, path + "-wal", path + "-shm"} {
			b, err := os.ReadFile(f)
			if os.IsNotExist(err) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			found++
			for _, s := range secrets {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("%s: %s holds the secret %q", when, f, s)
				}
			}
		}
		if found == 0 {
			t.Fatalf("%s: no database file to grep", when)
		}
	}
	grep("while open")
	// The redaction must have happened, not the headers gone missing.
	id := play.RunID()
	if id == 0 {
		t.Fatal("no run")
	}
	exs, err := st.Exchanges(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range exs {
		for _, h := range e.RequestHeaders {
			seen[strings.ToLower(h.Name)+": "+h.Value] = true
		}
		if strings.Contains(e.URL, "@") && !strings.Contains(e.URL, "xxxxx") {
			t.Errorf("URL %q keeps its credentials", e.URL)
		}
	}
	for _, want := range []string{"authorization: Basic ****", "authorization: Bearer ****", "x-api-key: ****"} {
		if !seen[want] {
			t.Errorf("no stored request header %q (have %v)", want, seen)
		}
	}
	run, err := st.GetRun(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(run.Hooks, []byte(`"secret":"****"`)) || !bytes.Contains(run.Hooks, []byte(`"bearerToken":"****"`)) {
		t.Errorf("hook configuration not redacted as expected: %s", run.Hooks)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	grep("after close")
}
