package wire

import "testing"

// A sender rewrite (session.mail.rewrite) is evaluated in
// handle_mail_from (crates/smtp/src/inbound/mail.rs, v0.16.18) after
// run_mta_hooks(Stage::Mail): it replaces mail_from.address_lcase with
// the new address, or clears it when the expression gives "". Every
// later request's envelope.from.address is that address_lcase
// (crates/smtp/src/inbound/hooks/message.rs, run_mta_hook), so the rcpt
// and data requests of such a transaction carry a sender the mail request
// did not. docs/proxy.md says so itself ("a sender rewrite can change
// from after the mail hook"), yet the tracker flags envelope.from.address
// on these requests: a finding on requests Stalwart really sends.
func TestBreaker2DriftSenderRewrittenAfterMailHook(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, rewritten string
	}{
		{"rewritten to another address", "bounces+alice=example.net@example.net"},
		{"rewritten to the null sender", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reqs := []string{
				reqAt(StageConnect),
				reqAt(StageEhlo),
				reqAt(StageMail),
				reqAt(StageRcpt, withFrom(tc.rewritten)),
				reqAt(StageData, withFrom(tc.rewritten)),
			}
			var tr DriftTracker
			for i, body := range reqs {
				_, lints := tr.Check([]byte(body))
				for _, l := range lints {
					t.Errorf("request %d: drift on a request Stalwart v0.16.18 sends: %s: %s", i+1, l.Path, l.Message)
				}
			}
		})
	}
}

// The loosened TLS rule lets a connection change its TLS names once, from
// a PROXY-protocol balancer's to rustls'. The reverse direction into
// balancer names from no TLS at all is something no Stalwart sends: a
// ProxiedStream's tls_version_and_cipher (crates/common/src/network/
// stream.rs, v0.16.18) never returns "" ("unknown" without the SSL TLV),
// so every request of a proxied connection has tls from its connect
// stage on; a plain TcpStream has none until STARTTLS, and then it is a
// TlsStream with rustls' names ("TLSv1.3", "TLS13_..."). A connection
// whose first requests have no tls and whose later ones carry the
// balancer's "unknown" or OpenSSL names is therefore impossible; the
// tracker lets it pass.
func TestBreaker2DriftTLSFromNoneToBalancerNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name            string
		version, cipher string
	}{
		{"unknown", "unknown", "unknown"},
		{"OpenSSL names", "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var tr DriftTracker
			tr.Check([]byte(reqAt(StageConnect)))
			tr.Check([]byte(reqAt(StageEhlo)))
			_, lints := tr.Check([]byte(reqAt(StageMail, withTLS(tc.version, tc.cipher))))
			if len(findingAt(lints, "context.tls")) == 0 && len(findingAt(lints, "context.tls.version")) == 0 && len(findingAt(lints, "context.tls.cipher")) == 0 {
				t.Errorf("no drift finding for tls %s/%s after requests without tls (no Stalwart sends that); findings: %v", tc.version, tc.cipher, lints)
			}
		})
	}
}
