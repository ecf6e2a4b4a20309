package simulator

import (
	"time"

	"github.com/hooksim/hooksim/sessions"
)

// The session's MtaExtensions settings (server.extensions), else
// Stalwart's defaults, evaluated against the session as it is now: dsn,
// deliverBy, mtPriority and futureRelease are on only when the session
// authenticated, requireTls always (structs_impl.rs, MtaExtensions).

func (p *player) dsnOn() bool {
	if v := p.sess.Server.Extensions.DSN; v != nil {
		return *v
	}
	return p.authAs != ""
}

func (p *player) requireTLSOn() bool {
	if v := p.sess.Server.Extensions.RequireTLS; v != nil {
		return *v
	}
	return true
}

// deliverBy is the longest BY= time; false when DELIVERBY is off.
func (p *player) deliverBy() (time.Duration, bool) {
	return p.extensionLimit(p.sess.Server.Extensions.DeliverBy, sessions.DefaultDeliverBy)
}

// futureRelease is the longest HOLDFOR/HOLDUNTIL; false when off.
func (p *player) futureRelease() (time.Duration, bool) {
	return p.extensionLimit(p.sess.Server.Extensions.FutureRelease, sessions.DefaultFutureRelease)
}

func (p *player) extensionLimit(v *time.Duration, def time.Duration) (time.Duration, bool) {
	switch {
	case v != nil:
		return *v, *v > 0
	case p.authAs != "":
		return def, true
	}
	return 0, false
}

func (p *player) mtPriorityOn() bool {
	if v := p.sess.Server.Extensions.MtPriority; v != nil {
		return *v != ""
	}
	return p.authAs != ""
}

// mailParamReply runs Stalwart's checks of the MAIL parameters, which
// come after the mail hook, in its order (mail.rs:274-464): REQUIRETLS,
// BY=, MT-PRIORITY=, SIZE=, HOLDFOR=/HOLDUNTIL=, ENVID=. It returns the
// refusal, or "" when MAIL goes on. As in Stalwart, a valid MT-PRIORITY
// is kept as soon as it is checked, even when a later check refuses the
// MAIL (only a reset clears it); it is what `priority` says in enable
// expressions.
func (p *player) mailParamReply(m *MailFrom) string {
	if m.Flags&MailRequireTLS != 0 && !p.requireTLSOn() {
		return ReplyRequireTLSDisabled
	}
	if m.Flags&(MailByNotify|MailByReturn) != 0 {
		limit, on := p.deliverBy()
		if !on {
			return ReplyDeliverByDisabled
		}
		secs := uint64(limit / time.Second)
		by := m.By
		if by < 0 {
			by = -by
		}
		if uint64(by) > secs || m.By <= 0 && m.Flags&MailByNotify == 0 {
			return replyByTooLong(secs)
		}
	}
	if m.MtPriority != 0 {
		if !p.mtPriorityOn() {
			return ReplyMtPriorityDisabled
		}
		if m.MtPriority < -6 || m.MtPriority > 5 {
			return ReplyInvalidPriority
		}
		p.priority = int(m.MtPriority)
	}
	if m.Size > 0 && m.Size > uint64(p.maxMessageSize()) {
		return ReplyTooBig
	}
	if m.HoldFor != 0 || m.HoldUntil != 0 {
		if r := p.holdReply(m); r != "" {
			return r
		}
	}
	if m.EnvID != nil && !p.dsnOn() {
		return ReplyDSNDisabled
	}
	return ""
}

// holdReply checks HOLDFOR= and HOLDUNTIL= (FUTURERELEASE, RFC 4865)
// against the player's clock, as mail.rs:384-451 does.
func (p *player) holdReply(m *MailFrom) string {
	if m.HoldFor != 0 && m.HoldUntil != 0 {
		return ReplyHoldBoth
	}
	limit, on := p.futureRelease()
	if !on {
		return ReplyFutureReleaseDisabled
	}
	maxHold := uint64(limit / time.Second)
	var now uint64
	if t := p.now().Unix(); t > 0 {
		now = uint64(t)
	}
	hold := m.HoldFor
	if hold == 0 {
		if m.HoldUntil <= now {
			return ReplyHoldUntilPast
		}
		hold = m.HoldUntil - now
	}
	if hold <= maxHold {
		return ""
	}
	if m.HoldFor != 0 {
		return replyHoldTooLong(maxHold)
	}
	return replyReleaseTooLate(int64(now + maxHold))
}

// rcptDSNReply refuses NOTIFY= and ORCPT= when DSN was off at the last
// MAIL FROM: Stalwart evaluates the setting for RCPT once, when MAIL
// succeeds (params.rs:118-143, called at mail.rs:540), and checks it
// before the duplicate check and the rcpt hook (rcpt.rs:60-70).
func (p *player) rcptDSNReply(r *RcptTo) string {
	if (r.Flags&rcptNotifyAny != 0 || r.ORcpt != nil) && !p.rcptDSN {
		return ReplyDSNDisabled
	}
	return ""
}
