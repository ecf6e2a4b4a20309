package sessions

import (
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// EhloSettings are the settings of Stalwart's MtaStageEhlo a session can
// give under server.ehlo. A nil field means Stalwart's default.
type EhloSettings struct {
	// Require is MtaStageEhlo.require (default true): MAIL FROM before
	// HELO/EHLO gets 503 5.5.1. Stalwart also requires EHLO whenever SPF
	// verification of the EHLO or MAIL FROM identity is on, which is its
	// default on port 25 (SenderAuth.spfEhloVerify, spfFromVerify).
	Require *bool
	// RejectNonFqdn is MtaStageEhlo.rejectNonFqdn (default true on port
	// 25, else false): a HELO/EHLO name without a dot or without any
	// letter or digit gets 550 5.5.0 Invalid EHLO domain.
	RejectNonFqdn *bool
}

// AuthSettings are the settings of Stalwart's MtaStageAuth a session can
// give under server.auth. Nil or zero fields mean Stalwart's defaults.
type AuthSettings struct {
	// Require is MtaStageAuth.require (default: every port but 25):
	// MAIL FROM without AUTH gets 503 5.5.1 You must authenticate first.
	Require *bool
	// SaslMechanisms is MtaStageAuth.saslMechanisms, lower-case names
	// (plain, login, xoauth2, oauthbearer). Nil means the default: plain,
	// login, oauthbearer and xoauth2 on a port other than 25 over TLS,
	// oauthbearer and xoauth2 on such a port without TLS, none on 25. An
	// empty list means AUTH is not offered anywhere.
	SaslMechanisms []string
	// MustMatchSender is MtaStageAuth.mustMatchSender (default true): an
	// authenticated client may only send from its login or the account's
	// addresses (501 5.5.4, after the mail hook).
	MustMatchSender *bool
	// MaxFailures is MtaStageAuth.maxFailures (0: the default, 3): the
	// N-th failed AUTH of a connection is followed by 455 4.3.0 and a close.
	MaxFailures int
}

// RcptSettings are the settings of Stalwart's MtaStageRcpt a session can
// give under server.rcpt (besides the flat maxRecipients).
type RcptSettings struct {
	// MaxFailures is MtaStageRcpt.maxFailures (0: the default, 5): the
	// N-th failed RCPT of a connection gets 451 4.3.0 Too many errors,
	// disconnecting. instead of its reply, and the connection closes.
	MaxFailures int
}

// SaslMechanisms are the mechanisms an auth step and server.auth.saslMechanisms
// can name, as Stalwart's configuration spells them.
var SaslMechanisms = []string{"plain", "login", "xoauth2", "oauthbearer"}

var (
	ehloKeys = []string{"require", "rejectNonFqdn"}
	authKeys = []string{"require", "saslMechanisms", "mustMatchSender", "maxFailures"}
	rcptKeys = []string{"maxFailures"}
)

// ehloSettings decodes server.ehlo.
func (d *decoder) ehloSettings(n *yaml.Node, field string, out *EhloSettings) *Error {
	pairs, err := d.mapping(n, field, "a mapping ("+strings.Join(ehloKeys, ", ")+")", ehloKeys)
	if err != nil {
		return err
	}
	for _, p := range pairs {
		f := child(field, p.key)
		v, err := d.boolean(p.value, f)
		if err != nil {
			return err
		}
		switch p.key {
		case "require":
			out.Require = &v
		case "rejectNonFqdn":
			out.RejectNonFqdn = &v
		}
	}
	return nil
}

// authSettings decodes server.auth.
func (d *decoder) authSettings(n *yaml.Node, field string, out *AuthSettings) *Error {
	pairs, err := d.mapping(n, field, "a mapping ("+strings.Join(authKeys, ", ")+")", authKeys)
	if err != nil {
		return err
	}
	for _, p := range pairs {
		f := child(field, p.key)
		switch p.key {
		case "require", "mustMatchSender":
			v, err := d.boolean(p.value, f)
			if err != nil {
				return err
			}
			if p.key == "require" {
				out.Require = &v
			} else {
				out.MustMatchSender = &v
			}
		case "saslMechanisms":
			list, err := d.stringList(p.value, f)
			if err != nil {
				return err
			}
			out.SaslMechanisms = []string{}
			for i, m := range list {
				m = strings.ToLower(strings.TrimSpace(m))
				if !slices.Contains(SaslMechanisms, m) {
					return d.errAt(p.value, index(f, i), "%s", unknownKeyMsg("mechanism", m, SaslMechanisms))
				}
				if !slices.Contains(out.SaslMechanisms, m) {
					out.SaslMechanisms = append(out.SaslMechanisms, m)
				}
			}
		case "maxFailures":
			v, err := d.integer(p.value, f, 1, 1000)
			if err != nil {
				return err
			}
			out.MaxFailures = int(v)
		}
	}
	return nil
}

// rcptSettings decodes server.rcpt.
func (d *decoder) rcptSettings(n *yaml.Node, field string, out *RcptSettings) *Error {
	pairs, err := d.mapping(n, field, "a mapping ("+strings.Join(rcptKeys, ", ")+")", rcptKeys)
	if err != nil {
		return err
	}
	for _, p := range pairs {
		v, err := d.integer(p.value, child(field, p.key), 1, 1000)
		if err != nil {
			return err
		}
		out.MaxFailures = int(v)
	}
	return nil
}

// stageNodes writes server.ehlo, server.auth and server.rcpt when they
// set anything.
func stageNodes(sv Server) []*yaml.Node {
	var out []*yaml.Node
	boolKV := func(n *yaml.Node, key string, v *bool) {
		if v != nil {
			n.Content = append(n.Content, strNode(key), boolNode(*v))
		}
	}
	e := mapNode(yaml.FlowStyle)
	boolKV(e, "require", sv.Ehlo.Require)
	boolKV(e, "rejectNonFqdn", sv.Ehlo.RejectNonFqdn)
	if len(e.Content) > 0 {
		out = append(out, strNode("ehlo"), e)
	}
	a := mapNode(yaml.FlowStyle)
	boolKV(a, "require", sv.Auth.Require)
	if sv.Auth.SaslMechanisms != nil {
		seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, m := range sv.Auth.SaslMechanisms {
			seq.Content = append(seq.Content, strNode(m))
		}
		a.Content = append(a.Content, strNode("saslMechanisms"), seq)
	}
	boolKV(a, "mustMatchSender", sv.Auth.MustMatchSender)
	if sv.Auth.MaxFailures > 0 {
		a.Content = append(a.Content, strNode("maxFailures"), intNode(int64(sv.Auth.MaxFailures)))
	}
	if len(a.Content) > 0 {
		out = append(out, strNode("auth"), a)
	}
	if sv.Rcpt.MaxFailures > 0 {
		out = append(out, strNode("rcpt"), mapNode(yaml.FlowStyle, strNode("maxFailures"), intNode(int64(sv.Rcpt.MaxFailures))))
	}
	return out
}
