package web

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hooksim/hooksim/simulator/smtpd"
	"github.com/hooksim/hooksim/store"
)

func TestCrossOriginRefused(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	wsURL := "ws" + strings.TrimPrefix(ts.base, "http") + "/api/v1/events"
	wsTests := []struct {
		name   string
		origin string
		want   int
	}{
		{"other site", "http://evil.example", http.StatusForbidden},
		{"other port", "http://127.0.0.1:1", http.StatusForbidden},
		{"null", "null", http.StatusForbidden},
		{"same origin", ts.base, http.StatusSwitchingProtocols},
	}
	for _, tt := range wsTests {
		c, resp, err := websocket.DefaultDialer.Dial(wsURL, http.Header{"Origin": {tt.origin}})
		if c != nil {
			c.Close()
		}
		if resp == nil {
			t.Fatalf("websocket %s: no answer: %v", tt.name, err)
		}
		if resp.StatusCode != tt.want {
			t.Errorf("websocket from %s: status %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}
	postTests := []struct {
		name string
		hdr  []string
		want int
	}{
		{"cross-origin", []string{"Origin", "http://evil.example"}, http.StatusForbidden},
		{"cross-site fetch", []string{"Origin", "", "Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"neither header", []string{"Origin", ""}, http.StatusForbidden},
		{"same origin", nil, http.StatusOK},
		{"same-origin fetch", []string{"Origin", "", "Sec-Fetch-Site", "same-origin"}, http.StatusOK},
	}
	for _, tt := range postTests {
		for _, path := range []string{"/api/v1/prune", "/api/v1/play", "/api/v1/send", "/api/v1/runs/1/replay", "/api/v1/runs/1/exchanges/1/replay"} {
			body := `{"older_than":"3650d"}`
			code, b := ts.call(t, http.MethodPost, path, body, tt.hdr...)
			if tt.want == http.StatusForbidden && code != tt.want {
				t.Errorf("POST %s %s = %d %s, want 403", path, tt.name, code, b)
			}
			if tt.want == http.StatusOK && code == http.StatusForbidden {
				t.Errorf("POST %s %s refused: %s", path, tt.name, b)
			}
		}
	}
	// DNS rebinding: a page of another name resolved to 127.0.0.1.
	req, _ := http.NewRequest(http.MethodGet, ts.base+"/api/v1/runs", nil)
	req.Host = "evil.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET with Host evil.example = %d, want 403", resp.StatusCode)
	}
}

func TestPublicNeedsToken(t *testing.T) {
	t.Parallel()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := New(Config{Store: st, Listen: "0.0.0.0:0"}); err == nil || !strings.Contains(err.Error(), "--public") {
		t.Errorf("non-loopback without Public: %v", err)
	}
	ts := startServer(t, func(c *Config) { c.Public = true })
	tok := ts.Token()
	if len(tok) < 32 || !strings.HasSuffix(ts.URL(), "/?token="+tok) {
		t.Fatalf("token %q, URL %q", tok, ts.URL())
	}
	tests := []struct {
		name string
		path string
		hdr  []string
		want int
	}{
		{"no token", "/api/v1/runs", nil, 401},
		{"no token, page", "/", nil, 401},
		{"wrong bearer", "/api/v1/runs", []string{"Authorization", "Bearer nope"}, 401},
		{"bearer", "/api/v1/runs", []string{"Authorization", "Bearer " + tok}, 200},
		{"cookie", "/api/v1/runs", []string{"Cookie", tokenCookie + "=" + tok}, 200},
		{"wrong cookie", "/api/v1/runs", []string{"Cookie", tokenCookie + "=x"}, 401},
		{"query", "/?token=" + tok, nil, 200},
	}
	for _, tt := range tests {
		code, b := ts.call(t, http.MethodGet, tt.path, "", tt.hdr...)
		if code != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.name, code, b, tt.want)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, ts.URL(), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == tokenCookie {
			cookie = c
		}
	}
	if cookie == nil || cookie.Value != tok || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
		t.Errorf("?token= set cookie %+v", cookie)
	}
	wsURL := "ws" + strings.TrimPrefix(ts.base, "http") + "/api/v1/events"
	if _, resp, err := websocket.DefaultDialer.Dial(wsURL, http.Header{"Origin": {ts.base}}); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Errorf("websocket without token: %v %v", err, resp)
	}
	c, _, err := websocket.DefaultDialer.Dial(wsURL, http.Header{"Origin": {ts.base}, "Cookie": {tokenCookie + "=" + tok}})
	if err != nil {
		t.Errorf("websocket with the cookie: %v", err)
	} else {
		c.Close()
	}
}

func TestBodyLimits(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil)
	pad := func(n int) string { return strings.Repeat(" ", n) }
	tests := []struct {
		path string
		body string
		want int
	}{
		{"/api/v1/prune", `{"older_than":"1d"}` + pad(maxJSONBody), http.StatusRequestEntityTooLarge},
		{"/api/v1/runs/1/replay", `{}` + pad(maxJSONBody), http.StatusRequestEntityTooLarge},
		{"/api/v1/play", `{"script":"` + pad(3<<20) + `"}`, http.StatusBadRequest}, // under 4 MiB: read, then refused as a script
		{"/api/v1/play", `{"script":"` + pad(maxScriptBody) + `"}`, http.StatusRequestEntityTooLarge},
		{"/api/v1/send", `{"body":"` + pad(maxScriptBody) + `"}`, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		code, b := ts.call(t, http.MethodPost, tt.path, tt.body)
		if code != tt.want {
			t.Errorf("POST %s with %d bytes = %d %.200s, want %d", tt.path, len(tt.body), code, b, tt.want)
		}
	}
}

func TestSecretsNeverInAnswers(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-b34r3r-t0k3n"
	ts := startServer(t, nil)
	hook := newTestHook(t, secret, "accept")
	events := ts.dial(t, -1)
	readEvent(t, events, time.Second)

	// One run played by the server, one by another process.
	code, b := ts.call(t, http.MethodPost, "/api/v1/play", `{"session":"hello","url":"`+hook.URL+`","stages":["all"],"bearer":"`+secret+`"}`)
	if code != 200 {
		t.Fatalf("play = %d %s", code, b)
	}
	var played playAnswer
	json.Unmarshal(b, &played)
	ts.waitFinished(t, played.Runs[0])
	other := record(t, ts.dbPath, hook.URL, "hello", secret)
	hook.mu.Lock()
	for _, a := range hook.auths {
		if a != "Bearer "+secret {
			t.Errorf("the hook got Authorization %q", a)
		}
	}
	if len(hook.auths) != 10 {
		t.Errorf("the hook got %d calls, want 10", len(hook.auths))
	}
	hook.mu.Unlock()

	var answers []string
	get := func(path string) {
		code, b := ts.call(t, http.MethodGet, path, "")
		if code != 200 {
			t.Errorf("GET %s = %d %s", path, code, b)
		}
		answers = append(answers, path+"\n"+string(b))
	}
	get("/api/v1/runs")
	for _, id := range []int64{played.Runs[0], other} {
		get(fmt.Sprintf("/api/v1/runs/%d", id))
		for seq := 1; seq <= 5; seq++ {
			get(fmt.Sprintf("/api/v1/runs/%d/exchanges/%d", id, seq))
			get(fmt.Sprintf("/api/v1/runs/%d/exchanges/%d/raw?part=request", id, seq))
			get(fmt.Sprintf("/api/v1/runs/%d/exchanges/%d/raw?part=response", id, seq))
		}
		get(fmt.Sprintf("/api/v1/runs/%d/messages/1", id))
		get(fmt.Sprintf("/api/v1/runs/%d/messages/1/eml?which=final", id))
		for _, as := range []string{"session", "curl", "json"} {
			get(fmt.Sprintf("/api/v1/runs/%d/export?as=%s", id, as))
		}
	}
	get(fmt.Sprintf("/api/v1/compare?a=%d&b=%d", played.Runs[0], other))
	code, b = ts.call(t, http.MethodPost, fmt.Sprintf("/api/v1/runs/%d/replay", other), `{"mode":"exact","url":"`+hook.URL+`","bearer":"`+secret+`"}`)
	if code != 200 || !strings.Contains(string(b), `"equal":true`) {
		t.Errorf("replay with the bearer = %d %.300s", code, b)
	}
	answers = append(answers, "replay\n"+string(b))
	evs := readUntil(t, events, evRunFinished, other, 3*time.Second)
	for _, ev := range evs {
		raw, _ := json.Marshal(ev)
		answers = append(answers, "event\n"+string(raw))
	}
	sawBearer := false
	for _, a := range answers {
		if strings.Contains(a, secret) {
			t.Errorf("the secret is in %.300s", a)
		}
		sawBearer = sawBearer || strings.Contains(a, "Bearer ****")
	}
	if !sawBearer {
		t.Error("no answer shows the redacted Authorization header")
	}
}

// On a public server an API client that sends the token as a Bearer
// header needs no Origin for a state-changing request; a request with a
// foreign Origin, or with the cookie alone and no Origin, is still
// refused (a browser page could send those).
func TestPublicBearerWithoutOrigin(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *Config) { c.Public = true })
	tok := ts.Token()
	body := `{"session":"minimal"}` // no url: refused after the checks, with 400
	tests := []struct {
		name string
		hdr  []string
		want int
	}{
		{"bearer, no Origin", []string{"Authorization", "Bearer " + tok, "Origin", ""}, 400},
		{"bearer, foreign Origin", []string{"Authorization", "Bearer " + tok, "Origin", "http://evil.example"}, 403},
		{"cookie, no Origin", []string{"Cookie", tokenCookie + "=" + tok, "Origin", ""}, 403},
		{"wrong bearer, no Origin", []string{"Authorization", "Bearer nope", "Origin", ""}, 401},
	}
	for _, tt := range tests {
		code, b := ts.call(t, http.MethodPost, "/api/v1/play", body, tt.hdr...)
		if code != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.name, code, b, tt.want)
		}
	}
}

// A public web view calls only the hooks --allow-target names, and no
// web view follows a hook's redirect to another origin: the 3xx is the
// answer, saying where it pointed.
func TestPublicTargetsAndRedirects(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	hits := map[string]int{}
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits["elsewhere"]++
		mu.Unlock()
		io.WriteString(w, `{"action":"accept"}`)
	}))
	defer elsewhere.Close()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		if r.URL.Path == "/moved" {
			// Another origin: localhost instead of 127.0.0.1.
			http.Redirect(w, r, strings.Replace(elsewhere.URL, "127.0.0.1", "localhost", 1)+"/hook", http.StatusTemporaryRedirect)
			return
		}
		io.WriteString(w, `{"action":"accept"}`)
	}))
	defer hook.Close()
	ts := startServer(t, func(c *Config) { c.Public = true; c.AllowTargets = []string{hook.URL + "/"} })
	tok := ts.Token()
	send := func(url string) (int, string) {
		code, b := ts.call(t, http.MethodPost, "/api/v1/send", `{"url":"`+url+`","stage":"connect","body":"{}"}`, "Authorization", "Bearer "+tok)
		return code, string(b)
	}
	if code, b := send(hook.URL + "/ok"); code != 200 || !strings.Contains(b, `"outcome":"accept"`) {
		t.Errorf("an allowed target: %d %s", code, b)
	}
	if code, b := send(elsewhere.URL + "/hook"); code != 200 || !strings.Contains(b, "--allow-target") {
		t.Errorf("a target not allowed: %d %s", code, b)
	}
	if code, b := send(hook.URL + "/moved"); code != 200 || !strings.Contains(b, "another origin") || !strings.Contains(b, `"status":307`) {
		t.Errorf("a redirect to another origin: %d %s", code, b)
	}
	mu.Lock()
	defer mu.Unlock()
	if hits["elsewhere"] != 0 {
		t.Errorf("the web view called a hook it may not (%d times)", hits["elsewhere"])
	}
}

// The plays a server runs in the background at once are capped: one
// more is refused (429) until one ends.
func TestPlaysCapped(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		io.WriteString(w, `{"action":"accept"}`)
	}))
	defer hook.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	ts := startServer(t, func(c *Config) { c.MaxPlays = 2 })
	body := `{"session":"minimal","url":"` + hook.URL + `/","stages":["connect"]}`
	for i := range 2 {
		if code, b := ts.call(t, http.MethodPost, "/api/v1/play", body); code != 200 {
			t.Fatalf("play %d: %d %s", i+1, code, b)
		}
	}
	if code, b := ts.call(t, http.MethodPost, "/api/v1/play", body); code != http.StatusTooManyRequests {
		t.Errorf("a third play at once: %d %s, want 429", code, b)
	}
	close(release)
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, b := ts.call(t, http.MethodPost, "/api/v1/play", body)
		if code == 200 {
			break
		}
		if code != http.StatusTooManyRequests || time.Now().After(deadline) {
			t.Fatalf("a play once the others ended: %d %s", code, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// With TLS the web view serves HTTPS: its URL says https, a public
// server's token cookie is Secure, and a page's POST from its https
// origin is same-origin.
func TestWebViewOverTLS(t *testing.T) {
	t.Parallel()
	cfg, _, err := smtpd.SelfSigned("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, func(c *Config) { c.Public = true; c.TLS = cfg })
	if !strings.HasPrefix(ts.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL %q", ts.URL())
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := client.Get(ts.URL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var secure bool
	for _, c := range resp.Cookies() {
		if c.Name == tokenCookie {
			secure = c.Secure
		}
	}
	if resp.StatusCode != 200 || !secure {
		t.Errorf("GET over HTTPS: %d, Secure cookie %v", resp.StatusCode, secure)
	}
	base := "https://" + ts.Addr().String()
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/play", strings.NewReader(`{"session":"minimal"}`))
	req.Header.Set("Origin", base)
	req.Header.Set("Cookie", tokenCookie+"="+ts.Token())
	req.Header.Set("Content-Type", "application/json")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest { // past the checks: no url given
		t.Errorf("a POST from the https origin: %d, want 400 (no url)", resp.StatusCode)
	}
}
