package simulator

import (
	"slices"
	"strings"
	"unicode"

	"github.com/hooksim/hooksim/sessions"
)

// The settings of Stalwart's MtaStageEhlo, MtaStageAuth and MtaStageRcpt
// for this connection: the session's value under server:, else the
// default expression of crates/registry/src/schema/structs_impl.rs
// (v0.16.18) evaluated for the listener port and TLS state.

// ehloRequired is MtaStageEhlo.require (default true), or'ed with SPF
// verification of the EHLO and MAIL FROM identities, which Stalwart also
// needs a HELO name for (mail.rs:25-37) and which are on by default on
// port 25 (SenderAuth.spfEhloVerify and spfFromVerify: relaxed).
func (p *player) ehloRequired() bool {
	if r := p.sess.Server.Ehlo.Require; r != nil && !*r {
		return p.sess.Server.Port == 25
	}
	return true
}

// rejectNonFqdn is MtaStageEhlo.rejectNonFqdn: default local_port == 25.
func (p *player) rejectNonFqdn() bool {
	if r := p.sess.Server.Ehlo.RejectNonFqdn; r != nil {
		return *r
	}
	return p.sess.Server.Port == 25
}

// authRequired is MtaStageAuth.require: default local_port != 25.
func (p *player) authRequired() bool {
	if r := p.sess.Server.Auth.Require; r != nil {
		return *r
	}
	return p.sess.Server.Port != 25
}

// saslMechanisms is MtaStageAuth.saslMechanisms for the current TLS
// state, in the order the EHLO reply lists them (smtp-proto writes the
// highest bit first: PLAIN, LOGIN, XOAUTH2, OAUTHBEARER). The default is
// [plain, login, oauthbearer, xoauth2] when local_port != 25 && is_tls,
// [oauthbearer, xoauth2] when local_port != 25, else none.
func (p *player) saslMechanisms() []string {
	set := p.sess.Server.Auth.SaslMechanisms
	if set == nil {
		switch {
		case p.sess.Server.Port != 25 && p.tls != nil:
			set = sessions.SaslMechanisms
		case p.sess.Server.Port != 25:
			set = []string{"xoauth2", "oauthbearer"}
		}
	}
	var out []string
	for _, m := range []string{"plain", "login", "xoauth2", "oauthbearer"} {
		if slices.Contains(set, m) {
			out = append(out, m)
		}
	}
	return out
}

// mustMatchSender is MtaStageAuth.mustMatchSender: default true.
func (p *player) mustMatchSender() bool {
	if r := p.sess.Server.Auth.MustMatchSender; r != nil {
		return *r
	}
	return true
}

// authMaxFailures is MtaStageAuth.maxFailures: default 3.
func (p *player) authMaxFailures() int {
	if v := p.sess.Server.Auth.MaxFailures; v > 0 {
		return v
	}
	return DefaultMaxAuthFailures
}

// rcptMaxFailures is MtaStageRcpt.maxFailures: default 5.
func (p *player) rcptMaxFailures() int {
	if v := p.sess.Server.Rcpt.MaxFailures; v > 0 {
		return v
	}
	return DefaultMaxRcptFailures
}

// HasValidLabels is mail-auth's HasValidLabels (spf/verify.rs:630-653),
// the test behind rejectNonFqdn: at least one dot, at least one letter or
// digit (Unicode), and no run of more than 63 characters between dots.
// Nothing else is checked: "a..b" and "[192.0.2.1]" pass, "[IPv6:::1]"
// and "localhost" do not.
func HasValidLabels(name string) bool {
	dots, chars, label := false, false, 0
	for _, c := range name {
		label++
		// Rust's char::is_alphanumeric: Alphabetic or Numeric.
		if unicode.IsLetter(c) || unicode.IsNumber(c) || unicode.Is(unicode.Other_Alphabetic, c) {
			chars = true
		} else if c == '.' {
			dots, label = true, 0
		}
		if label > 63 {
			return false
		}
	}
	return dots && chars
}

// senderAllowed is Stalwart's mustMatchSender test (mail.rs:233-272): the
// lower-cased sender is the login itself or one of the account's
// addresses. Without addresses in the auth step, the account owns every
// address whose local part is the login.
func (p *player) senderAllowed(sender string) bool {
	login := strings.ToLower(p.authAs)
	if sender == login {
		return true
	}
	if p.authAddresses != nil {
		return slices.Contains(p.authAddresses, sender)
	}
	local, _, ok := strings.Cut(sender, "@")
	return ok && local == login
}
