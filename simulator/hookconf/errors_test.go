package hookconf

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/hookconf")

// badConfigs are configurations Parse must refuse; errors.golden holds the
// exact messages.
var badConfigs = []struct {
	name, file, doc string
}{
	{"json syntax missing comma", "hooks.json", "{\n  \"url\": \"http://h/\"\n  \"timeout\": 5\n}"},
	{"json trailing garbage", "hooks.json", "{\"url\": \"http://h/\"}\n}"},
	{"json unterminated string", "hooks.json", "{\n\"url\": \"http://h/}"},
	{"json control char in string", "hooks.json", "{\"url\": \"http://h/\x01\"}"},
	{"json empty file", "hooks.json", ""},
	{"json root string", "hooks.json", `"http://h/"`},
	{"json empty list", "hooks.json", `[]`},
	{"json list item not object", "hooks.json", "[\n {\"url\": \"http://h/\"},\n 42\n]"},
	{"url missing", "hooks.json", "{\n  \"stages\": {\"data\": true}\n}"},
	{"url ftp", "hooks.json", `{"url": "ftp://h/"}`},
	{"url empty", "hooks.json", `{"url": "  "}`},
	{"url not string", "hooks.json", `{"url": 8080}`},
	{"url no host", "hooks.json", `{"url": "http:///path"}`},
	{"stage typo in list", "hooks.json", "[\n {\"url\": \"http://a/\"},\n {\"url\": \"http://b/\",\n  \"stages\": [\"connect\",\n    \"dta\"]}\n]"},
	{"stage typo in object", "hooks.json", "{\"url\": \"http://h/\",\n \"stages\": {\"Data\": true}}"},
	{"stage value not bool", "hooks.json", "{\"url\": \"http://h/\",\n \"stages\": {\"data\": \"yes\"}}"},
	{"stage list of numbers", "hooks.json", `{"url": "http://h/", "stages": [1]}`},
	{"stages string", "hooks.json", `{"url": "http://h/", "stages": "data"}`},
	{"timeout zero", "hooks.json", `{"url": "http://h/", "timeout": 0}`},
	{"timeout compound", "hooks.json", `{"url": "http://h/", "timeout": "1m30s"}`},
	{"timeout fraction", "hooks.json", `{"url": "http://h/", "timeout": "1.5s"}`},
	{"timeout unit", "hooks.json", `{"url": "http://h/", "timeout": "30sec"}`},
	{"timeout negative", "hooks.json", `{"url": "http://h/", "timeout": -5}`},
	{"timeout float", "hooks.json", `{"url": "http://h/", "timeout": 1.5}`},
	{"timeout bool", "hooks.json", `{"url": "http://h/", "timeout": true}`},
	{"max response size negative", "hooks.json", `{"url": "http://h/", "maxResponseSize": -1}`},
	{"max response size string", "hooks.json", `{"url": "http://h/", "maxResponseSize": "50MB"}`},
	{"bool as string", "hooks.json", `{"url": "http://h/", "allowInvalidCerts": "yes"}`},
	{"bool null", "hooks.json", `{"url": "http://h/", "tempFailOnError": null}`},
	{"header bad name", "hooks.json", "{\"url\": \"http://h/\",\n \"httpHeaders\": {\"X Bad\": \"v\"}}"},
	{"header empty value", "hooks.json", "{\"url\": \"http://h/\",\n \"httpHeaders\": {\"X-A\": \" \"}}"},
	{"header value newline", "hooks.json", "{\"url\": \"http://h/\",\n \"httpHeaders\": {\"X-A\": \"a\\nb\"}}"},
	{"header value number", "hooks.json", "{\"url\": \"http://h/\",\n \"httpHeaders\": {\"X-A\": 1}}"},
	{"headers as list", "hooks.json", `{"url": "http://h/", "httpHeaders": ["X-A: 1"]}`},
	{"auth no type", "hooks.json", `{"url": "http://h/", "httpAuth": {"username": "u"}}`},
	{"auth unknown type", "hooks.json", `{"url": "http://h/", "httpAuth": {"@type": "Digest"}}`},
	{"auth string", "hooks.json", `{"url": "http://h/", "httpAuth": "Bearer x"}`},
	{"basic no username", "hooks.json", "{\"url\": \"http://h/\",\n \"httpAuth\": {\"@type\": \"Basic\",\n  \"secret\": \"s\"}}"},
	{"basic empty username", "hooks.json", `{"url": "http://h/", "httpAuth": {"@type": "Basic", "username": "", "secret": "s"}}`},
	{"basic no secret", "hooks.json", `{"url": "http://h/", "httpAuth": {"@type": "Basic", "username": "u"}}`},
	{"bearer no token", "hooks.json", `{"url": "http://h/", "httpAuth": {"@type": "Bearer", "token": "t"}}`},
	{"secret no type", "hooks.json", `{"url": "http://h/", "httpAuth": {"@type": "Bearer", "bearerToken": {"secret": "t"}}}`},
	{"secret unknown type", "hooks.json", `{"url": "http://h/", "httpAuth": {"@type": "Bearer", "bearerToken": {"@type": "Vault", "path": "x"}}}`},
	{"secret missing field", "hooks.json", `{"url": "http://h/", "httpAuth": {"@type": "Bearer", "bearerToken": {"@type": "EnvironmentVariable"}}}`},
	{"secret env unset", "hooks.json", "{\"id\": \"spam\", \"url\": \"http://h/\",\n \"httpAuth\": {\"@type\": \"Basic\", \"username\": \"u\",\n  \"secret\": {\"@type\": \"EnvironmentVariable\",\n   \"variableName\": \"SPAM_HOOK_PASSWORD\"}}}"},
	{"secret file missing", "hooks.json", "{\"url\": \"http://h/\",\n \"httpAuth\": {\"@type\": \"Bearer\",\n  \"bearerToken\": {\"@type\": \"File\", \"filePath\": \"/etc/hook/token\"}}}"},
	{"enable bad else", "hooks.json", "{\"url\": \"http://h/\",\n \"enable\": {\"else\": \"sender_domain = \"}}"},
	{"enable unknown variable", "hooks.json", "{\"url\": \"http://h/\",\n \"enable\": {\"match\": {\"0\": {\"if\": \"from == 'x'\", \"then\": \"false\"}},\n  \"else\": \"true\"}}"},
	{"enable empty then", "hooks.json", "{\"url\": \"http://h/\",\n \"enable\": {\"match\": {\"0\": {\"if\": \"is_tls\", \"then\": \"\"}},\n  \"else\": \"true\"}}"},
	{"enable match without else", "hooks.json", "{\"url\": \"http://h/\",\n \"enable\": {\"match\": {\"0\": {\"if\": \"is_tls\", \"then\": \"true\"}}}}"},
	{"enable match bad key", "hooks.json", "{\"url\": \"http://h/\",\n \"enable\": {\"match\": {\"first\": {\"if\": \"is_tls\", \"then\": \"true\"}}, \"else\": \"true\"}}"},
	{"enable number", "hooks.json", `{"url": "http://h/", "enable": 1}`},
	{"enable else bool", "hooks.json", `{"url": "http://h/", "enable": {"else": true}}`},
	{"enable unsupported function", "hooks.json", "{\"url\": \"http://h/\",\n \"enable\": {\"else\": \"is_local_domain(rcpt_domain)\"}}"},
	{"enable bare string bad", "hooks.json", `{"url": "http://h/", "enable": "rcpt_domain == example.org"}`},
	{"duplicate ids", "hooks.json", "[\n {\"id\": \"a\", \"url\": \"http://a/\"},\n {\"id\": \"a\", \"url\": \"http://b/\"}\n]"},
	{"id not string", "hooks.json", `{"id": 5, "url": "http://a/"}`},
	{"many errors in line order", "hooks.json", "[\n {\"url\": \"http://a/\",\n  \"timeout\": \"soon\"},\n {\"url\": \"gopher://b/\",\n  \"stages\": [\"rcpt\", \"dta\"],\n  \"maxResponseSize\": -5}\n]"},
	{"toml syntax", "config.toml", "[session.hook.a]\nurl = \"http://a/\"\nenable = tru\n"},
	{"toml no hooks", "config.toml", "[server]\nhostname = 'x'\n"},
	{"toml hook not table", "config.toml", "[session]\nhook = 5\n"},
	{"toml missing url", "config.toml", "[session.hook.a]\nenable = true\n"},
	{"toml bad stage", "config.toml", "[session.hook.\"my hook\"]\nenable = true\nurl = \"http://a/\"\nstages = [\"data\", \"dta\"]\n"},
	{"toml bad timeout", "config.toml", "[session.hook.a]\nenable = true\nurl = \"http://a/\"\ntimeout = \"soon\"\n"},
	{"toml zero timeout", "config.toml", "[session.hook.a]\nenable = true\nurl = \"http://a/\"\ntimeout = 0\n"},
	{"toml bad enable", "config.toml", "[session.hook.a]\nurl = \"http://a/\"\nenable = \"sender_domain == \"\n"},
	{"toml enable else first", "config.toml", "[session.hook.a]\nurl = \"http://a/\"\nenable = [{ else = true }, { if = \"is_tls\", then = true }]\n"},
	{"toml enable no else", "config.toml", "[session.hook.a]\nurl = \"http://a/\"\nenable = [{ if = \"is_tls\", then = true }]\n"},
	{"toml enable number", "config.toml", "[session.hook.a]\nurl = \"http://a/\"\nenable = 1\n"},
	{"toml env macro", "config.toml", "[session.hook.a]\nenable = true\nurl = \"http://a/\"\nauth.username = \"u\"\nauth.secret = \"%{env:HOOK_SECRET}%\"\n"},
	{"toml header no colon", "config.toml", "[session.hook.a]\nenable = true\nurl = \"http://a/\"\nheaders = [\"X-A 1\"]\n"},
	{"toml bool string", "config.toml", "[session.hook.a]\nenable = true\nurl = \"http://a/\"\nallow-invalid-certs = \"yes\"\n"},
	{"toml max size negative", "config.toml", "[session.hook.a]\nenable = true\nurl = \"http://a/\"\n\n[session.hook.a.options]\nmax-response-size = -1\n"},
	{"toml stages number", "config.toml", "[session.hook.a]\nenable = true\nurl = \"http://a/\"\nstages = 3\n"},
}

func TestBadConfigsGolden(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for _, c := range badConfigs {
		cfg, err := Parse(c.file, []byte(c.doc), testEnv())
		if err == nil {
			t.Errorf("%s: Parse accepted it: %+v", c.name, cfg.Hooks)
			continue
		}
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%s: error %T is not a *ConfigError", c.name, err)
		}
		if !strings.HasPrefix(err.Error(), c.file+":") {
			t.Errorf("%s: error does not start with the file name: %v", c.name, err)
		}
		b.WriteString("== " + c.name + "\n" + err.Error() + "\n\n")
	}
	golden := filepath.Join("..", "..", "testdata", "hookconf", "errors.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if got := b.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("errors.golden differs at line %d:\ngot  %s\nwant %s\n(run go test -update to accept)", i+1, g, w)
			}
		}
	}
}

func TestConfigErrorFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		e    ConfigError
		want string
	}{
		{ConfigError{"hooks.json", 7, "hooks[1].stages", `unknown stage "dta"`}, `hooks.json:7: hooks[1].stages: unknown stage "dta"`},
		{ConfigError{"hooks.json", 0, "url", "x"}, "hooks.json: url: x"},
		{ConfigError{"hooks.json", 3, "", "invalid JSON"}, "hooks.json:3: invalid JSON"},
		{ConfigError{"", 0, "--url", "x"}, "--url: x"},
		{ConfigError{"", 4, "", "x"}, "line 4: x"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	es := ConfigErrors{{File: "a", Line: 1, Msg: "x"}, {File: "a", Line: 2, Msg: "y"}}
	if es.Error() != "a:1: x\na:2: y" {
		t.Errorf("ConfigErrors.Error() = %q", es.Error())
	}
}
