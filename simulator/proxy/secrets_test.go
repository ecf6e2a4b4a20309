package proxy

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
)

// Credentials Stalwart sends to the hook (Authorization, a credential-like
// header, one named by SecretHeaders, a token in the URL's query) pass
// through to the hook and never reach the store.
func TestSecretsPassButAreNotRecorded(t *testing.T) {
	t.Parallel()
	secrets := []string{"bearer-s3cret-value", "cookie-s3cret-value", "plain-named-s3cret", "query-s3cret-value"}
	hook := rawHook(t, acceptAll)
	st, rec := recording(t)
	base, _ := startProxy(t, Config{Upstream: hook.URL("/"), Observer: rec, TempFailOnError: true, Checker: DriftChecker,
		SecretHeaders: []string{"X-Shared"}})
	req, _ := http.NewRequest(http.MethodPost, base+"/hook?tenant=acme&access_token="+secrets[3], strings.NewReader(docsShaped))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+secrets[0])
	req.Header.Set("Cookie", "sid="+secrets[1])
	req.Header.Set("X-Shared", secrets[2])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	got := hook.Requests()
	if len(got) != 1 {
		t.Fatalf("%d requests reached the hook", len(got))
	}
	for _, s := range secrets {
		if !strings.Contains(got[0].Head, s) {
			t.Errorf("the hook did not get %q:\n%s", s, got[0].Head)
		}
	}
	rec.Flush(context.Background())
	waitRuns(t, st, 1)
	rec.Close()
	path := st.Path()
	st.Close()
	var all []byte
	for _, f := range []string{path, path + "-wal"} {
		if b, err := os.ReadFile(f); err == nil {
			all = append(all, b...)
		}
	}
	if len(all) == 0 {
		t.Fatal("nothing read from the database")
	}
	for _, s := range secrets {
		if strings.Contains(string(all), s) {
			t.Errorf("the database holds %q", s)
		}
	}
	if !strings.Contains(string(all), "tenant=acme") {
		t.Errorf("the query's other parameters were lost")
	}
}
