package simulator

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
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

// hasValidLabels is mail-auth's HasValidLabels (spf/verify.rs:630-653),
// the test behind rejectNonFqdn: at least one dot, at least one letter or
// digit (Unicode), and no run of more than 63 characters between dots.
// Nothing else is checked: "a..b" and "[192.0.2.1]" pass, "[IPv6:::1]"
// and "localhost" do not.
func hasValidLabels(name string) bool {
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

// maxDomainLen is smtp-proto's MAX_DOMAIN_LEN: the longest HELO/EHLO name.
const maxDomainLen = 255

// heloLine handles a HELO, EHLO or LHLO command whose argument is rest
// (the text after the verb's separator; hasArg false when the verb ends
// the line), parsed as smtp-proto 0.2 does (parser.rs HELO/EHLO/LHLO, its
// text()): the name runs to the next space and must be 1 to 255 bytes;
// otherwise the reply is the syntax error, except for EHLO when
// rejectNonFqdn is off, which Stalwart answers as "EHLO null"
// (session.rs:312-329). LHLO on an SMTP listener gets 502 5.5.1.
func (p *player) heloLine(ctx context.Context, st *StepResult, verb, rest string, hasArg bool) {
	host, _, _ := strings.Cut(rest, " ")
	ok := hasArg && len(host) >= 1 && len(host) <= maxDomainLen
	switch {
	case !ok && verb == "EHLO" && !p.rejectNonFqdn():
		p.ehlo(ctx, st, "null", true)
	case !ok:
		st.Replies = append(st.Replies, "501 5.5.2 Syntax error, expected: "+verb+" domain")
	case verb == "LHLO":
		st.Replies = append(st.Replies, ReplyEhloExpected)
	default:
		p.ehlo(ctx, st, host, verb == "EHLO")
	}
}

// authLine handles a raw AUTH command whose argument is rest, read as
// smtp-proto does (parser.rs AUTH, mechanism(), text()): the mechanism
// runs to the next whitespace (none there: the syntax error), then the
// initial response runs from one byte after it to the next space. The
// mechanism must be one Stalwart knows and allows (503/554 as for an auth
// step). An initial response of PLAIN, XOAUTH2 or OAUTHBEARER
// authenticates as its login (a bad one is 500 5.5.6 Invalid challenge.,
// counted as a failure); without one, or with LOGIN (whose initial
// response is only the user name), the server waits for the rest of the
// SASL exchange, which a one-line raw step cannot send.
func (p *player) authLine(st *StepResult, rest string, hasArg bool) {
	end := strings.IndexAny(rest, " \t\f\v")
	if end < 0 {
		end = len(rest)
	}
	if !hasArg || end == 0 {
		st.Replies = append(st.Replies, ReplyAuthSyntax)
		return
	}
	mech, resp := strings.ToLower(rest[:end]), ""
	if end < len(rest) {
		resp, _, _ = strings.Cut(rest[end+1:], " ")
	}
	if !slices.Contains(sessions.SaslMechanisms, mech) {
		// Known to smtp-proto but never allowed by Stalwart, or unknown.
		mech = "unsupported:" + mech
	}
	if !p.authCheck(st, mech) {
		return
	}
	if resp == "" || mech == "login" {
		switch {
		case mech != "login":
			st.Replies = append(st.Replies, "334 ")
		case resp == "":
			st.Replies = append(st.Replies, ReplyAuthLoginUser)
		default: // LOGIN's initial response is the user name
			st.Replies = append(st.Replies, ReplyAuthLoginPass)
		}
		p.cannotGoOn(st, "the server now waits for the rest of the SASL exchange, which a raw step cannot send; use an auth step")
		return
	}
	login, ok := plainLogin(mech, resp)
	if !ok {
		p.authFailed(st, ReplyInvalidChallenge)
		return
	}
	p.authAs, p.authAddresses = login, nil
	st.Replies = append(st.Replies, ReplyAuthOK)
}

// plainLogin decodes an initial response into the login it
// authenticates: PLAIN (authzid NUL authcid NUL password: the authcid),
// XOAUTH2 (user=LOGIN ^A auth=Bearer TOKEN ^A ^A) or OAUTHBEARER
// (n,a=LOGIN, ^A auth=Bearer TOKEN ^A ^A), all base64. LOGIN's initial
// response is only the user name, so it never completes here.
func plainLogin(mech, resp string) (string, bool) {
	b, err := base64.StdEncoding.DecodeString(resp)
	if err != nil {
		return "", false
	}
	switch mech {
	case "plain":
		// Fields after the password are ignored (directory sasl.rs).
		parts := strings.Split(string(b), "\x00")
		if len(parts) < 3 || parts[1] == "" || parts[2] == "" {
			return "", false
		}
		return parts[1], true
	case "xoauth2", "oauthbearer":
		fields := strings.Split(string(b), "\x01")
		login, token := "", ""
		for i, f := range fields {
			if mech == "xoauth2" && i == 0 {
				login, _ = strings.CutPrefix(f, "user=")
			}
			if mech == "oauthbearer" && i == 0 {
				for _, kv := range strings.Split(f, ",") {
					if v, ok := strings.CutPrefix(kv, "a="); ok {
						login = v
					}
				}
			}
			if v, ok := strings.CutPrefix(f, "auth=Bearer "); ok {
				token = v
			}
		}
		return login, login != "" && token != ""
	}
	return "", false
}

// cannotGoOn ends the play of a connection at a raw step that leaves the
// server waiting for something a one-line raw step cannot send (a
// message, a SASL response): the step fails saying why, and the steps up
// to the next connect are not sent.
func (p *player) cannotGoOn(st *StepResult, why string) {
	st.Failures = append(st.Failures, fmt.Sprintf("%s: %s", stepName(st), why))
	p.closed = true
	p.closedBy = "hooksim stopped playing it at " + stepName(st) + ": " + why
}

// bdatLine plays a raw BDAT command (rest is its text after the verb),
// parsed as smtp-proto does: a chunk size, then LAST or nothing
// (otherwise 501 5.5.2 Syntax error, expected: BDAT chunk-size [LAST]).
// A raw step carries no chunk data, so only a chunk of 0 bytes is played
// (session.rs:67-100, 399-425: refused by the same checks, else 250 2.6.0,
// or the queued message at LAST); a chunk of n bytes stops the play of
// the connection, as the server then reads n bytes of data.
func (p *player) bdatLine(ctx context.Context, st *StepResult, rest string) *TransactionResult {
	f := strings.Fields(rest)
	size, err := strconv.ParseUint(strings.TrimPrefix(firstOr(f), "+"), 10, 63)
	last := len(f) == 2 && strings.EqualFold(f[1], "LAST")
	if err != nil || len(f) == 0 || len(f) > 2 || len(f) == 2 && !last || strings.HasPrefix(firstOr(f), "+") {
		st.Replies = append(st.Replies, ReplyBdatSyntax)
		return nil
	}
	if size > 0 {
		p.cannotGoOn(st, fmt.Sprintf("after BDAT %d the server reads %d bytes of data, which a raw step cannot send; use a bdat step", size, size))
		return nil
	}
	if r := p.canSendData(); r != "" {
		st.Replies = append(st.Replies, r)
		return nil
	}
	if !last {
		st.Replies = append(st.Replies, ReplyChunkOK)
		return nil
	}
	defer p.resetTx()
	return p.queue(ctx, st, nil)
}

func firstOr(f []string) string {
	if len(f) == 0 {
		return ""
	}
	return f[0]
}
