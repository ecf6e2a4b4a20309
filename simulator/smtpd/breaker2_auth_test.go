package smtpd

import (
	"net"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/sessions"
)

// on587Auth is port 587 with every SASL mechanism allowed.
func on587Auth(conn net.Conn) *sessions.Session {
	s := on587(conn)
	s.Server.Auth.SaslMechanisms = sessions.SaslMechanisms
	return s
}

// Breaker 2: AUTH LOGIN whose user name response decodes to nothing
// ("=", which mail-parser's base64_decode reads as an empty value).
// Stalwart's handle_sasl_response (crates/smtp/src/inbound/auth.rs:77-84)
// stores the empty user name and says 334 UGFzc3dvcmQ6; the next
// response then finds the user name still empty, so it is taken as the
// user name and the password is asked for again (334 UGFzc3dvcmQ6), not
// authenticated. hooksim takes the second response as the password and
// authenticates with an empty login: 235, with a session hooksim then
// treats as unauthenticated (authAs "").
func TestBreaker2AuthLoginEmptyUser(t *testing.T) {
	t.Parallel()
	addr, _, results, _ := serve(t, &Server{Sim: newSim(t, newHook(t)), NewSession: on587Auth})
	conn, r := dial(t, addr)
	got := converse(t, conn, r, "EHLO client.example.net", "AUTH LOGIN", "=", "cGFzcw==")
	conn.Close()
	<-results
	want := []string{"334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6", "334 UGFzc3dvcmQ6"}
	if tail := got[len(got)-3:]; strings.Join(tail, "\n") != strings.Join(want, "\n") {
		t.Errorf("AUTH LOGIN, \"=\", a password: the client heard\n%s\nwant (auth.rs:77-84)\n%s", strings.Join(tail, "\n"), strings.Join(want, "\n"))
	}
}
