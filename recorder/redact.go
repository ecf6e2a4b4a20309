package recorder

import (
	"strings"

	"github.com/hooksim/hooksim/simulator/hookconf"
)

// credentialHeader reports header names whose values are credentials,
// the same names hookconf.Hook.Redacted hides in the configuration.
func credentialHeader(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "proxy-authorization", "cookie", "x-api-key", "api-key", "x-auth-token":
		return true
	}
	return strings.Contains(n, "secret") || strings.Contains(n, "token") || strings.Contains(n, "password")
}

// maskCredentials hides the values of credential headers other than
// Authorization (which RedactHeaders already reduced to its scheme).
func maskCredentials(h []hookconf.HeaderField) []hookconf.HeaderField {
	for i, f := range h {
		n := strings.ToLower(f.Name)
		if n != "authorization" && n != "proxy-authorization" && credentialHeader(n) {
			h[i].Value = "****"
		}
	}
	return h
}
