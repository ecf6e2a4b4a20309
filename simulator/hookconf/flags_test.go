package hookconf

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hooksim/hooksim/simulator/wire"
)

func TestFromFlags(t *testing.T) {
	t.Parallel()
	h, err := FromFlags(FlagSpec{
		URL:               "https://127.0.0.1:8443/hook",
		Stages:            []string{"connect,rcpt", "DATA"},
		Timeout:           "1.5s",
		Headers:           []string{"X-A: 1", "x-a: 2", "X-B:3"},
		Bearer:            "tok",
		AllowInvalidCerts: true,
		NoTempFail:        true,
		MaxResponseSize:   2048,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := &Hook{
		ID:                "127.0.0.1:8443",
		URL:               "https://127.0.0.1:8443/hook",
		Stages:            StageSet{wire.StageConnect: true, wire.StageRcpt: true, wire.StageData: true},
		AllowInvalidCerts: true,
		HTTPHeaders:       []HeaderField{{"x-a", "2"}, {"X-B", "3"}},
		Timeout:           1500 * time.Millisecond,
		TempFailOnError:   false,
		MaxResponseSize:   2048,
		Auth:              HTTPAuth{Kind: AuthBearer, Secret: "tok"},
		Source:            "flags",
	}
	if !h.Enable.Enabled(nil) {
		t.Error("flags hooks are always enabled")
	}
	h.Enable = nil
	if !reflect.DeepEqual(h, want) {
		t.Errorf("hook = %+v\nwant   %+v", h, want)
	}
}

func TestFromFlagsDefaultsAndAll(t *testing.T) {
	t.Parallel()
	h, err := FromFlags(FlagSpec{URL: "http://localhost:9000/", Stages: []string{"all"}, Basic: "user:pa:ss", Timeout: "2500"})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Stages) != 5 || h.Stages[wire.StageAuth] {
		t.Errorf("all = %v, want the five stages Stalwart calls", h.Stages)
	}
	if h.Auth != (HTTPAuth{Kind: AuthBasic, Username: "user", Secret: "pa:ss"}) || h.Timeout != 2500*time.Millisecond ||
		!h.TempFailOnError || h.MaxResponseSize != DefaultMaxResponseSize {
		t.Errorf("hook = %+v", h)
	}
}

func TestFromFlagsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec FlagSpec
		want string
	}{
		{FlagSpec{}, "--url: url is required (it is empty)"},
		{FlagSpec{URL: "localhost:9000"}, `--url: the URL "localhost:9000" has no scheme: write http://localhost:9000 (or https://)`},
		{FlagSpec{URL: "http://h/", Stages: []string{"dta"}}, `--stages: unknown stage "dta" (want connect, ehlo, auth, mail, rcpt, data, or all)`},
		{FlagSpec{URL: "http://h/", Timeout: "0s"}, "--timeout: a duration must be greater than zero"},
		{FlagSpec{URL: "http://h/", Bearer: "a", Basic: "u:p"}, "--bearer: use either --bearer or --basic, not both"},
		{FlagSpec{URL: "http://h/", Basic: "user"}, "--basic: expected user:password"},
		{FlagSpec{URL: "http://h/", Headers: []string{"NoColon"}}, `--header: invalid header "NoColon": expected "Name: value"`},
		{FlagSpec{URL: "http://h/", Headers: []string{"X-A:"}}, `--header: header "X-A" has no value`},
		{FlagSpec{URL: "http://h/", MaxResponseSize: -1}, "--max-response-size: must not be negative"},
	}
	for _, tt := range tests {
		_, err := FromFlags(tt.spec)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("FromFlags(%+v) = %v, want %q", tt.spec, err, tt.want)
		}
	}
}

func TestRedacted(t *testing.T) {
	t.Parallel()
	doc := `{"id": "h", "url": "https://user:hunter2@hook.example/x",
"stages": {"data": true, "rcpt": true}, "timeout": 1500,
"httpHeaders": {"X-Api-Key": "k123", "X-Echo": "Bearer s3cret", "X-Plain": "ok"},
"httpAuth": {"@type": "Basic", "username": "bob", "secret": {"@type": "Value", "secret": "s3cret"}}}`
	cfg, err := Parse("h.json", []byte(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Hooks[0].Redacted()
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, secret := range []string{"s3cret", "k123", "hunter2"} {
		if strings.Contains(s, secret) {
			t.Errorf("redacted form leaks %q: %s", secret, s)
		}
	}
	want := `{"allowInvalidCerts":false,"enable":"true","httpAuth":{"@type":"Basic","secret":"****","username":"bob"},` +
		`"httpHeaders":{"X-Api-Key":"****","X-Echo":"****","X-Plain":"ok"},"id":"h","maxResponseSize":52428800,` +
		`"source":"h.json:1","stages":{"data":true,"rcpt":true},"tempFailOnError":true,"timeout":1500,` +
		`"url":"https://user:xxxxx@hook.example/x"}`
	if s != want {
		t.Errorf("Redacted =\n%s\nwant\n%s", s, want)
	}
	bearer, _ := FromFlags(FlagSpec{URL: "http://h/", Bearer: "tok"})
	if got := bearer.Redacted()["httpAuth"]; !reflect.DeepEqual(got, map[string]any{"@type": "Bearer", "bearerToken": "****"}) {
		t.Errorf("bearer httpAuth = %v", got)
	}
}

func TestSensitiveHeader(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"Authorization": true, "X-Api-Key": true, "X-Hook-Key": true, "Apikey": true, "X-Signature": true,
		"X-Auth": true, "X-Access-Key": true, "X-Session-Id": true, "X-Credential": true, "Cookie": true,
		"X-Tenant": false, "X-Request-Id": false, "Accept": false, "Content-Type": false,
		"X-\u00c9T\u00c9-TOKEN": true, "X-\u00c9t\u00e9": false, "PROXY-AUTHORIZATION": true,
		"X-" + strings.Repeat("A", 70) + "-Secret": true, "X-" + strings.Repeat("a", 70): false,
	} {
		if got := SensitiveHeader(name); got != want {
			t.Errorf("SensitiveHeader(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestHookSecrets(t *testing.T) {
	t.Parallel()
	h := &Hook{
		URL:  "http://user:url-pass@127.0.0.1:1/hook",
		Auth: HTTPAuth{Kind: AuthBearer, Secret: "token-1"},
		HTTPHeaders: []HeaderField{
			{Name: "X-Api-Key", Value: "api-key-value"}, {Name: "X-Session", Value: "1"},
			{Name: "X-Tenant", Value: "not-a-secret"}, {Name: "Cookie", Value: "url-pass"},
		},
	}
	got := h.Secrets()
	// dXNlcjp1cmwtcGFzcw== is base64("user:url-pass"), as the
	// Authorization header sends the URL's credentials.
	want := []string{"dXNlcjp1cmwtcGFzcw==", "api-key-value", "url-pass", "token-1"}
	if !slices.Equal(got, want) {
		t.Errorf("Secrets() = %q, want %q (longest first, short credential values and other headers left out)", got, want)
	}
	basic := &Hook{URL: "http://127.0.0.1:1/", Auth: HTTPAuth{Kind: AuthBasic, Username: "alice", Secret: "BASICPASS3"}}
	if got, want := basic.Secrets(), []string{"YWxpY2U6QkFTSUNQQVNTMw==", "BASICPASS3"}; !slices.Equal(got, want) {
		t.Errorf("Basic: Secrets() = %q, want %q (the password and the credentials as the Authorization header carries them)", got, want)
	}
	// A password of a few bytes would hide every occurrence of it
	// ("application/json" stored as "a****lication/json", breaker's
	// finding): only the credentials it makes are listed.
	short := &Hook{URL: "http://v:q@127.0.0.1:1/", Auth: HTTPAuth{Kind: AuthBasic, Username: "u", Secret: "p"}}
	if got, want := short.Secrets(), []string{"dTpw", "djpx"}; !slices.Equal(got, want) {
		t.Errorf("short passwords: Secrets() = %q, want %q", got, want)
	}
	if s := (*Hook)(nil).Secrets(); s != nil {
		t.Errorf("nil hook: %q", s)
	}
	if s := (&Hook{URL: "http://127.0.0.1:1/"}).Secrets(); len(s) != 0 {
		t.Errorf("hook without credentials: %q", s)
	}
}
