package hookconf

import (
	"testing"
)

func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(serverForm))
	f.Add([]byte(`[{"url":"http://a/","stages":["data"],"timeout":"30s","enable":{"match":{"0":{"if":"is_tls","then":"true"}},"else":"false"}}]`))
	f.Add([]byte(legacyConfig))
	for _, c := range badConfigs {
		f.Add([]byte(c.doc))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.json", data, testEnv())
		if err == nil && (cfg == nil || len(cfg.Hooks) == 0) {
			t.Fatal("no error and no hook")
		}
		if err == nil {
			for _, h := range cfg.Hooks {
				h.Enable.Enabled(sessionVars())
				_ = h.Redacted()
			}
		}
		_, _ = Parse("fuzz.toml", data, testEnv())
		_, _ = Parse("fuzz", data, testEnv())
	})
}

func FuzzParseExpression(f *testing.F) {
	for _, s := range []string{
		"true", "'false'", "sender_domain == 'example.org' && !is_tls",
		"contains(recipients, rcpt) || matches('^(a+)@', sender) && $1 == 'a'",
		"is_ip_in_cidr(remote_ip, '10.0.0.0/8')", "[1, 2][0] + 30s - -1 * 2 / 0",
		"split(sender, '@')[1]", "'a\\'b'", "x = y", "1 ^ 2 | 3 & 4", "((((1))))",
		"sender == 'x'}tail", "to_uppercase(recipients)", "if_then(1, 'a', 'b')",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := ParseExpression(src)
		if err != nil {
			if _, ok := err.(*ExprError); !ok {
				t.Fatalf("error %T is not *ExprError", err)
			}
			return
		}
		e.Enabled(sessionVars())
		e.Enabled(nil)
		if e.String() != src {
			t.Fatalf("String() = %q, want %q", e.String(), src)
		}
	})
}
