package hookconf

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hooksim/hooksim/simulator/wire"
)

// serverForm is the MtaHook object as Stalwart's API stores it (PROTOCOL.md §5).
const serverForm = `{"url": "https://localhost:8080/mta-hook",
 "enable": {"else": "true"},
 "stages": {"connect": true, "ehlo": true, "mail": true, "rcpt": true, "data": true},
 "allowInvalidCerts": false,
 "httpHeaders": {"X-My-Header": "my-value"},
 "timeout": 30000,
 "tempFailOnError": true,
 "maxResponseSize": 52428800,
 "httpAuth": {"@type": "Basic", "username": "u", "secret": {"@type": "Value", "secret": "s"}}}`

func testEnv() MapEnv {
	return MapEnv{
		Vars:  map[string]string{"HOOK_TOKEN": "tok-env", "HOOK_PASS": "pass-env", "EMPTY": ""},
		Files: map[string]string{"/run/secrets/token": "tok-file \n\n", "/run/secrets/empty": " \n", "/run/secrets/pass": "pass-file\n"},
	}
}

func parseOne(t *testing.T, doc string) (*Hook, []string) {
	t.Helper()
	cfg, err := Parse("hooks.json", []byte(doc), testEnv())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(cfg.Hooks) != 1 {
		t.Fatalf("got %d hooks, want 1", len(cfg.Hooks))
	}
	return cfg.Hooks[0], cfg.Warnings
}

func TestJSONDefaults(t *testing.T) {
	t.Parallel()
	h, warns := parseOne(t, `{"url": " http://127.0.0.1:9000/hook "}`)
	want := &Hook{
		ID:              "hook-1",
		URL:             "http://127.0.0.1:9000/hook",
		Stages:          StageSet{wire.StageData: true},
		Timeout:         30 * time.Second,
		TempFailOnError: true,
		MaxResponseSize: 52428800,
		Auth:            HTTPAuth{Kind: AuthNone},
		Source:          "hooks.json:1",
	}
	if !h.Enable.Enabled(nil) || h.Enable.String() != "true" {
		t.Errorf("default enable = %v, want constant true", h.Enable)
	}
	h.Enable = nil
	if !reflect.DeepEqual(h, want) {
		t.Errorf("hook = %+v\nwant   %+v", h, want)
	}
	if len(warns) != 0 {
		t.Errorf("warnings = %q, want none", warns)
	}
}

func TestJSONServerForm(t *testing.T) {
	t.Parallel()
	h, warns := parseOne(t, serverForm)
	if len(warns) != 0 {
		t.Errorf("the server's own form must not warn: %q", warns)
	}
	if len(h.Stages) != 5 || h.Stages[wire.StageAuth] {
		t.Errorf("stages = %v", h.Stages)
	}
	if h.Auth != (HTTPAuth{Kind: AuthBasic, Username: "u", Secret: "s"}) {
		t.Errorf("auth = %+v", h.Auth)
	}
	if !reflect.DeepEqual(h.HTTPHeaders, []HeaderField{{"X-My-Header", "my-value"}}) {
		t.Errorf("headers = %+v", h.HTTPHeaders)
	}
}

func TestJSONFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		doc   string
		check func(*Hook) bool
		warn  string // a substring of the only expected warning, "" for none
	}{
		{"stages object", `{"url":"http://h/","stages":{"connect":true,"data":false,"rcpt":true}}`,
			func(h *Hook) bool { return reflect.DeepEqual(h.Stages, StageSet{"connect": true, "rcpt": true}) }, ""},
		{"stages array", `{"url":"http://h/","stages":["data","connect"]}`,
			func(h *Hook) bool { return reflect.DeepEqual(h.Stages, StageSet{"connect": true, "data": true}) },
			`hooks.json:1: stages: the server's API stores stages as an object: "stages": {"connect": true, "data": true}`},
		{"stages empty", `{"url":"http://h/","stages":{}}`,
			func(h *Hook) bool { return len(h.Stages) == 0 }, "no stage is enabled: Stalwart never calls this hook"},
		{"stages auth only", `{"url":"http://h/","stages":{"auth":true}}`,
			func(h *Hook) bool { return h.Stages[wire.StageAuth] }, "this hook is never called"},
		{"timeout ms", `{"url":"http://h/","timeout":1500}`,
			func(h *Hook) bool { return h.Timeout == 1500*time.Millisecond }, ""},
		{"timeout 30s", `{"url":"http://h/","timeout":"30s"}`,
			func(h *Hook) bool { return h.Timeout == 30*time.Second }, `"timeout": 30000`},
		{"timeout 1500ms", `{"url":"http://h/","timeout":"1500ms"}`,
			func(h *Hook) bool { return h.Timeout == 1500*time.Millisecond }, `"timeout": 1500`},
		{"timeout 2m", `{"url":"http://h/","timeout":"2M"}`,
			func(h *Hook) bool { return h.Timeout == 2*time.Minute }, `"timeout": 120000`},
		{"flags", `{"url":"http://h/","allowInvalidCerts":true,"tempFailOnError":false,"maxResponseSize":10}`,
			func(h *Hook) bool { return h.AllowInvalidCerts && !h.TempFailOnError && h.MaxResponseSize == 10 }, ""},
		{"headers in order, trimmed", `{"url":"http://h/","httpHeaders":{" X-B ":" 2 ","X-A":"1","x-b":"3"}}`,
			func(h *Hook) bool { return reflect.DeepEqual(h.HTTPHeaders, []HeaderField{{"x-b", "3"}, {"X-A", "1"}}) }, ""},
		{"basic value", `{"url":"http://h/","httpAuth":{"@type":"Basic","username":" u ","secret":{"@type":"Value","secret":"p"}}}`,
			func(h *Hook) bool { return h.Auth == HTTPAuth{AuthBasic, "u", "p"} }, ""},
		{"basic env", `{"url":"http://h/","httpAuth":{"@type":"Basic","username":"u","secret":{"@type":"EnvironmentVariable","variableName":" HOOK_PASS "}}}`,
			func(h *Hook) bool { return h.Auth == HTTPAuth{AuthBasic, "u", "pass-env"} }, ""},
		{"basic file", `{"url":"http://h/","httpAuth":{"@type":"Basic","username":"u","secret":{"@type":"File","filePath":"/run/secrets/pass"}}}`,
			func(h *Hook) bool { return h.Auth == HTTPAuth{AuthBasic, "u", "pass-file"} }, ""},
		{"bearer value", `{"url":"http://h/","httpAuth":{"@type":"Bearer","bearerToken":{"@type":"Value","secret":"tok"}}}`,
			func(h *Hook) bool { return h.Auth == HTTPAuth{Kind: AuthBearer, Secret: "tok"} }, ""},
		{"bearer env", `{"url":"http://h/","httpAuth":{"@type":"Bearer","bearerToken":{"@type":"EnvironmentVariable","variableName":"HOOK_TOKEN"}}}`,
			func(h *Hook) bool { return h.Auth == HTTPAuth{Kind: AuthBearer, Secret: "tok-env"} }, ""},
		{"bearer file trims trailing whitespace", `{"url":"http://h/","httpAuth":{"@type":"Bearer","bearerToken":{"@type":"File","filePath":"/run/secrets/token"}}}`,
			func(h *Hook) bool { return h.Auth == HTTPAuth{Kind: AuthBearer, Secret: "tok-file"} }, ""},
		{"secret as plain string", `{"url":"http://h/","httpAuth":{"@type":"Bearer","bearerToken":"tok"}}`,
			func(h *Hook) bool { return h.Auth == HTTPAuth{Kind: AuthBearer, Secret: "tok"} }, `{"@type": "Value", "secret": "****"}`},
		{"unauthenticated", `{"url":"http://h/","httpAuth":{"@type":"Unauthenticated"}}`,
			func(h *Hook) bool { return h.Auth == HTTPAuth{Kind: AuthNone} }, ""},
		{"enable match", `{"url":"http://h/","enable":{"match":{"1":{"if":"true","then":"false"},"0":{"if":"is_tls","then":"true"}},"else":"false"}}`,
			func(h *Hook) bool {
				return h.Enable.Enabled(&ExprVars{IsTLS: true}) && !h.Enable.Enabled(&ExprVars{})
			}, ""},
		{"enable match as array", `{"url":"http://h/","enable":{"match":[{"if":"is_tls","then":"true"}],"else":"false"}}`,
			func(h *Hook) bool { return h.Enable.Enabled(&ExprVars{IsTLS: true}) }, ""},
		{"enable bare string", `{"url":"http://h/","enable":"sender_domain == 'a.org'"}`,
			func(h *Hook) bool { return h.Enable.Enabled(&ExprVars{SenderDomain: "a.org"}) }, `{"else": "sender_domain == 'a.org'"}`},
		{"enable bool", `{"url":"http://h/","enable":false}`,
			func(h *Hook) bool { return !h.Enable.Enabled(nil) }, `{"else": "false"}`},
		{"enable empty never runs", `{"url":"http://h/","enable":{}}`,
			func(h *Hook) bool { return !h.Enable.Enabled(nil) }, "never runs"},
		{"id", `{"id":"spam","url":"http://h/"}`, func(h *Hook) bool { return h.ID == "spam" }, ""},
		{"name", `{"name":"av","url":"http://h/"}`, func(h *Hook) bool { return h.ID == "av" }, ""},
		{"@type ignored", `{"@type":"MtaHook","url":"http://h/"}`, func(h *Hook) bool { return true }, ""},
		{"unknown key warns", `{"url":"http://h/","allow_invalid_certs":true}`,
			func(h *Hook) bool { return !h.AllowInvalidCerts },
			`hooks.json:1: allow_invalid_certs: unknown key ignored: did you mean "allowInvalidCerts"? (Stalwart's API refuses it with "Invalid property")`},
		{"custom authorization overridden", `{"url":"http://h/","httpHeaders":{"Authorization":"x"},"httpAuth":{"@type":"Bearer","bearerToken":"t"}}`,
			func(h *Hook) bool { return len(h.HTTPHeaders) == 1 }, "replaces this header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, warns := parseOne(t, tt.doc)
			if !tt.check(h) {
				t.Errorf("unexpected hook %+v", h)
			}
			if tt.warn == "" {
				if len(warns) != 0 {
					t.Errorf("warnings = %q, want none", warns)
				}
				return
			}
			found := false
			for _, w := range warns {
				found = found || strings.Contains(w, tt.warn)
			}
			if !found {
				t.Errorf("warnings = %q, want one containing %q", warns, tt.warn)
			}
		})
	}
}

func TestJSONList(t *testing.T) {
	t.Parallel()
	doc := `[
  {"url": "http://a/"},
  {"id": "second", "url": "http://b/", "stages": {"rcpt": true}},
  {"name": "third", "url": "http://c/"},
  {"url": "http://d/"}
]`
	cfg, err := Parse("chain.json", []byte(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range cfg.Hooks {
		got = append(got, h.ID+"@"+h.Source+"="+h.URL)
	}
	want := []string{"hook-1@chain.json:2=http://a/", "second@chain.json:3=http://b/", "third@chain.json:4=http://c/", "hook-4@chain.json:5=http://d/"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("hooks = %q\nwant    %q", got, want)
	}
}

func TestSecretErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, secret, want string
	}{
		{"env unset", `{"@type":"EnvironmentVariable","variableName":"NOPE"}`,
			`hooks.json:1: httpAuth.bearerToken.variableName: environment variable "NOPE" is not set (Stalwart would not load hook "hook-1")`},
		{"env empty", `{"@type":"EnvironmentVariable","variableName":"EMPTY"}`,
			`hooks.json:1: httpAuth.bearerToken.variableName: environment variable "EMPTY" is empty (Stalwart would not load hook "hook-1")`},
		{"file missing", `{"@type":"File","filePath":"/run/secrets/nope"}`,
			`hooks.json:1: httpAuth.bearerToken.filePath: secret file "/run/secrets/nope" does not exist (Stalwart would not load hook "hook-1")`},
		{"file empty", `{"@type":"File","filePath":"/run/secrets/empty"}`,
			`hooks.json:1: httpAuth.bearerToken.filePath: secret file "/run/secrets/empty" is empty (Stalwart would not load hook "hook-1")`},
		{"value empty", `{"@type":"Value","secret":""}`,
			`hooks.json:1: httpAuth.bearerToken.secret: the secret is empty (Stalwart would not load hook "hook-1")`},
		{"control char", `"a\nb"`,
			`hooks.json:1: httpAuth.bearerToken: the token contains the control character '\n', which cannot be sent in an Authorization header (Stalwart would not load hook "hook-1")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := `{"url":"http://h/","httpAuth":{"@type":"Bearer","bearerToken":` + tt.secret + `}}`
			_, err := Parse("hooks.json", []byte(doc), testEnv())
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v\nwant  %s", err, tt.want)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Line != 1 || ce.File != "hooks.json" {
				t.Errorf("errors.As(*ConfigError) = %+v", ce)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "hook.conf")
	if err := os.WriteFile(path, []byte("\xef\xbb\xbf"+serverForm), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(context.Background(), path, OSEnv{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Hooks[0].Source != "hook.conf:1" {
		t.Errorf("source = %q", cfg.Hooks[0].Source)
	}
	if _, err := Load(context.Background(), filepath.Join(dir, "missing.json"), OSEnv{}); err == nil || !strings.Contains(err.Error(), "hookconf: load") {
		t.Errorf("missing file: err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Load(ctx, path, OSEnv{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

func TestOSEnv(t *testing.T) {
	t.Setenv("HOOKCONF_TEST_TOKEN", "from-os")
	doc := `{"url":"http://h/","httpAuth":{"@type":"Bearer","bearerToken":{"@type":"EnvironmentVariable","variableName":"HOOKCONF_TEST_TOKEN"}}}`
	cfg, err := Parse("h.json", []byte(doc), OSEnv{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Hooks[0].Auth.Secret != "from-os" {
		t.Errorf("secret = %q", cfg.Hooks[0].Auth.Secret)
	}
}

func TestDetectFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, data string
		want       Format
	}{
		{"x.json", "[session]", FormatJSON},
		{"x.TOML", "{}", FormatTOML},
		{"x", ` {"url":1}`, FormatJSON},
		{"x", "\n[ {\"url\":1} ]", FormatJSON},
		{"x", "[session.hook.a]\nurl='x'", FormatTOML},
		{"x", `["session".hook]`, FormatTOML},
		{"x", "# comment\n[session.hook.a]", FormatTOML},
		{"x", "session.hook.a.url = 'x'", FormatTOML},
	}
	for _, tt := range tests {
		if got := DetectFormat(tt.file, []byte(tt.data)); got != tt.want {
			t.Errorf("DetectFormat(%q, %q) = %s, want %s", tt.file, tt.data, got, tt.want)
		}
	}
}
