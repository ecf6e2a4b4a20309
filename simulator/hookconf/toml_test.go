package hookconf

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hooksim/hooksim/simulator/wire"
)

const legacyConfig = `# Stalwart 0.15 config.toml excerpt
[server]
hostname = "mx.example.org"

[session.hook."zeta"]
enable = true
url = "https://zeta.example/hook"

[session.hook.alpha]
enable = [ { if = "is_tls", then = "true" },
           { else = false } ]
url = "%{env:HOOK_URL}%"
timeout = "1500ms"
allow-invalid-certs = true
stages = ["CONNECT", "data"]
headers = ["X-One: 1", "X-Two:two "]
options.tempfail-on-error = false
options.max-response-size = "1024"
auth.username = "user"
auth.secret = "%{file:/run/secrets/pass}%"

[session.hook."mid"]
url = "http://mid.example/"
`

func TestTOML(t *testing.T) {
	t.Parallel()
	env := testEnv()
	env.Vars["HOOK_URL"] = "https://alpha.example/hook"
	cfg, err := Parse("config.toml", []byte(legacyConfig), env)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, h := range cfg.Hooks {
		ids = append(ids, h.ID)
	}
	// Stalwart 0.15 listed hooks in sorted key order, not file order.
	if want := []string{"alpha", "mid", "zeta"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("order = %q, want %q", ids, want)
	}
	a := cfg.Hooks[0]
	if a.URL != "https://alpha.example/hook" || a.Timeout != 1500*time.Millisecond || !a.AllowInvalidCerts ||
		a.TempFailOnError || a.MaxResponseSize != 1024 || a.Source != "config.toml:9" {
		t.Errorf("alpha = %+v", a)
	}
	if !reflect.DeepEqual(a.Stages, StageSet{wire.StageConnect: true, wire.StageData: true}) {
		t.Errorf("stages = %v", a.Stages)
	}
	if !reflect.DeepEqual(a.HTTPHeaders, []HeaderField{{"X-One", "1"}, {"X-Two", "two"}}) {
		t.Errorf("headers = %+v", a.HTTPHeaders)
	}
	// %{file:...}% keeps the file as it is (no trimming in 0.15).
	if a.Auth != (HTTPAuth{Kind: AuthBasic, Username: "user", Secret: "pass-file\n"}) {
		t.Errorf("auth = %+v", a.Auth)
	}
	if !a.Enable.Enabled(&ExprVars{IsTLS: true}) || a.Enable.Enabled(&ExprVars{}) {
		t.Errorf("alpha enable = %s", a.Enable)
	}
	mid := cfg.Hooks[1]
	if mid.Enable.Enabled(nil) {
		t.Error("a 0.15 hook without enable must be disabled")
	}
	if !cfg.Hooks[2].Enable.Enabled(nil) {
		t.Error("zeta has enable = true")
	}
	wantWarn := `config.toml:22: session.hook.mid.enable: enable is not set: Stalwart 0.15 defaults it to false, so this hook never runs (add enable = true)`
	if !reflect.DeepEqual(cfg.Warnings, []string{wantWarn}) {
		t.Errorf("warnings = %q\nwant %q", cfg.Warnings, wantWarn)
	}
}

func TestTOMLWarnings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc, warn string
	}{
		{"content-type dropped", "[session.hook.a]\nenable = true\nurl = 'http://a/'\nheaders = ['Content-Type: text/plain']\n",
			"config.toml:4: session.hook.a.headers: Content-Type is ignored"},
		{"auth token", "[session.hook.a]\nenable = true\nurl = 'http://a/'\nauth.token = 'x'\n",
			"config.toml:4: session.hook.a.auth.token: ignored: Stalwart 0.15 hooks support only Basic authentication"},
		{"half auth", "[session.hook.a]\nenable = true\nurl = 'http://a/'\n[session.hook.a.auth]\nusername = 'x'\n",
			"config.toml:4: session.hook.a.auth: ignored: Stalwart 0.15 sends Basic authentication only when both"},
		{"unknown key", "[session.hook.a]\nenable = true\nurl = 'http://a/'\ntempfail-on-error = false\n",
			"config.toml:4: session.hook.a.tempfail-on-error: unknown key ignored by Stalwart 0.15"},
		{"empty stages", "[session.hook.a]\nenable = true\nurl = 'http://a/'\nstages = []\n",
			"config.toml:4: session.hook.a.stages: empty: Stalwart 0.15 then runs the hook at the data stage only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Parse("config.toml", []byte(tt.doc), testEnv())
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, w := range cfg.Warnings {
				found = found || strings.HasPrefix(w, tt.warn)
			}
			if !found {
				t.Errorf("warnings = %q, want one starting %q", cfg.Warnings, tt.warn)
			}
		})
	}
}

func TestTOMLLines(t *testing.T) {
	t.Parallel()
	src := "a = \"\"\"\nx = 1\n\"\"\"\n[session.hook.'my hook']\nurl = 'u'\nlist = [\n  'q = 1',\n]\n\"k\".b = 2\n"
	tl := scanTOMLLines(src)
	tests := []struct {
		path []string
		want int
	}{
		{[]string{"a"}, 1},
		{[]string{"x"}, 0},
		{[]string{"session", "hook", "my hook"}, 4},
		{[]string{"session", "hook", "my hook", "url"}, 5},
		{[]string{"session", "hook", "my hook", "list"}, 6},
		{[]string{"session", "hook", "my hook", "q"}, 4},
		{[]string{"session", "hook", "my hook", "k", "b"}, 9},
	}
	for _, tt := range tests {
		if got := tl.line(tt.path...); got != tt.want {
			t.Errorf("line(%q) = %d, want %d", tt.path, got, tt.want)
		}
	}
}
