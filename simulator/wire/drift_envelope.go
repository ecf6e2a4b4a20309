package wire

import "strconv"

// envelope checks the envelope at stage: Stalwart's mail_from and
// rcpt_to, their address_lcase (lower-cased by to_lowercase_address in
// crates/utils/src/lib.rs), no parameters, at least one recipient at
// rcpt and data (can_send_data refuses DATA without one).
func (c *driftCheck) envelope(n *node, stage Stage) {
	m := c.object(n, "envelope", envelopeModel)
	if f := m["from"]; f != nil && c.isKind(f, "envelope.from", "an object", kindObject) {
		if a := c.object(f, "envelope.from", senderModel)["address"]; a != nil && c.isKind(a, "envelope.from.address", "a string", kindString) {
			c.v.from = knownText(a.Text)
			if hasUpper(a.Text) {
				c.add("envelope.from.address", "%s sends the sender lower-cased; this request has %s", model, quoteShort(a.Text))
			}
		}
	}
	to := m["to"]
	if to == nil || !c.isKind(to, "envelope.to", "an array", kindArray) {
		return
	}
	// At mail, envelope.to is usually [], but an EHLO refused
	// mid-transaction clears only the sender (handle_ehlo in
	// crates/smtp/src/inbound/ehlo.rs), so the next mail request carries
	// the recipients left over: only DriftTracker can tell.
	if (stage == StageRcpt || stage == StageData) && len(to.Items) == 0 {
		c.add("envelope.to", "%s sends at least one recipient at %s (the current one last at rcpt); this request has none", model, stage)
	}
	c.v.toKnown = true
	seen := make(map[string]bool, len(to.Items))
	for i, it := range to.Items {
		p := "envelope.to[" + strconv.Itoa(i) + "]"
		if !c.isKind(it, p, "an object", kindObject) {
			c.v.toKnown = false
			continue
		}
		a := c.object(it, p, rcptModel)["address"]
		if a == nil || !c.isKind(a, p+".address", "a string", kindString) {
			c.v.toKnown = false
			continue
		}
		c.v.to = append(c.v.to, a.Text)
		if hasUpper(a.Text) {
			c.add(p+".address", "%s sends recipients lower-cased; this request has one with upper case", model)
		}
		if seen[a.Text] {
			c.add(p+".address", "%s never sends a recipient twice (a repeated RCPT gets 250 without a hook call); this request has one again", model)
		}
		seen[a.Text] = true
	}
}
