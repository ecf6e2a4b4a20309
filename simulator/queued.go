package simulator

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"net/mail"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/idna"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/modify"
)

// This file builds the message as Stalwart v0.16.18 stores it in its
// queue: the headers the server writes itself, in front of the message as
// the hooks left it (TransactionResult.Final). The source is
// crates/smtp/src/inbound/data.rs (queue_message, write_received) at tag
// v0.16.18, the registry defaults of MtaStageData and SenderAuth
// (crates/registry/src/schema/structs_impl.rs:28623-28691, 35622-35671),
// and mail-auth's header writers (src/common/auth_results.rs). Line
// numbers below are data.rs's.
//
// Order of the block (data.rs:485-796), each line only when its setting is
// on (Stalwart's defaults: every one of them `local_port == 25`):
//
//  1. Received (addReceivedHeader; write_received, 1013-1070);
//  2. Authentication-Results (addAuthResultsHeader, 497-505): the results
//     gathered at EHLO, MAIL FROM and DATA (321-349, 394);
//  3. Received-SPF (addReceivedSpfHeader, 507-523), when SPF was checked
//     at MAIL FROM (spfFromVerify, default relaxed on port 25 only);
//  4. the spam filter's X-Spam-Result and X-Spam-Score (525-597): left out
//     by hooksim (QueuedNotes says so);
//  5. Return-Path (addReturnPathHeader, 762-772) with the sender as the
//     hooks left it;
//  6. Date and Message-ID (addDateHeader, addMessageIdHeader, 774-796),
//     only when the message as received had none.
//
// The queue writes DKIM signatures (none in hooksim: no keys), then this
// block, then the message as the hooks left it (queue/spool.rs:393-405).
// Stalwart writes the block after the data hooks ran, and the hook never
// sees it: message.headers holds the message as received.
//
// DNS: hooksim has none, so every result is the one Stalwart gets when
// the lookups find nothing: SPF none (no TXT record: mail-auth
// spf/verify.rs turns RecordNotFound into None), DMARC none with policy
// none (no _dmarc record), no DKIM result for an unsigned message, iprev
// as the session's client.iprev says (permerror "dns record not found"
// when reverse DNS found no name). The ASN and country that Stalwart puts
// after the client's address in Received come from tables that do not
// know the documentation addresses hooksim uses by default; they are left
// out.

// queuedMessage returns the message Stalwart would queue for a
// transaction whose data hooks all accepted: the server's headers, then
// the message as the hooks left it (final; orig.Raw when final is
// unchanged), written once into a buffer of exactly its size; queued[n:]
// is that final message. orig is the message as received, sender the
// envelope sender after the hooks' changeFrom (nil is kept as the null
// sender), id the queue id. The notes say what Stalwart would add that
// hooksim leaves out.
func (p *player) queuedMessage(orig *modify.Message, final *modify.Result, sender *modify.Address, id uint64) (queued []byte, n int, notes []string) {
	sv := p.sess.Server
	now := p.now()
	var h bytes.Buffer
	if addHeader(sv.AddHeaders.Received, sv.Port) {
		p.writeReceived(&h, id, now)
	}
	if addHeader(sv.AddHeaders.AuthResults, sv.Port) {
		h.WriteString("Authentication-Results: ")
		h.WriteString(p.authResults(orig))
		h.WriteString("\r\n")
		if n := signatureCount(orig); n > 0 {
			notes = append(notes, fmt.Sprintf("the message carries %d DKIM signature header%s: Stalwart verifies them and adds a dkim= (or dkim2=) result to Authentication-Results; hooksim does not verify signatures and leaves it out", n, plural(n)))
		}
	}
	if p.from != nil && authCheckOn(sv) && addHeader(sv.AddHeaders.ReceivedSPF, sv.Port) {
		h.WriteString("Received-SPF: ")
		h.WriteString(p.receivedSPF())
		h.WriteString("\r\n")
	}
	if p.authAs == "" {
		notes = append(notes, "Stalwart's spam filter (on by default for senders who did not authenticate) adds X-Spam-Result and X-Spam-Score after Received-SPF; its tags come from DNS block lists, downloaded rules and Bayes data hooksim does not have, so they are left out")
	}
	if addHeader(sv.AddHeaders.ReturnPath, sv.Port) {
		h.WriteString("Return-Path: <")
		if sender != nil {
			h.WriteString(returnPath(sender.Address))
		}
		h.WriteString(">\r\n")
	}
	if !hasHeader(orig, "date") && addHeader(sv.AddHeaders.Date, sv.Port) {
		h.WriteString("Date: ")
		h.WriteString(rfc822Date(now))
		h.WriteString("\r\n")
	}
	if !hasHeader(orig, "message-id") && addHeader(sv.AddHeaders.MessageID, sv.Port) {
		h.WriteString("Message-ID: ")
		h.WriteString(messageID(now, id, p.hostname()))
		h.WriteString("\r\n")
	}
	if p.authAs != "" && sender != nil {
		_, domain, _ := strings.Cut(strings.ToLower(sender.Address), "@")
		notes = append(notes, fmt.Sprintf("Stalwart signs mail of authenticated senders with the DKIM key of the sender's domain (%s) when that domain is local and has one, a DKIM-Signature in front of every other header; hooksim has no keys and leaves it out", domain))
	}
	if !final.Changed() {
		queued = make([]byte, 0, h.Len()+len(orig.Raw))
		return append(append(queued, h.Bytes()...), orig.Raw...), h.Len(), notes
	}
	queued = make([]byte, 0, h.Len()+final.Size())
	return final.AppendMessage(append(queued, h.Bytes()...)), h.Len(), notes
}

// addHeader is one of Stalwart's add*Header settings: as the session sets
// it, else the default of MtaStageData, `local_port == 25`.
func addHeader(setting *bool, port uint16) bool {
	if setting != nil {
		return *setting
	}
	return port == 25
}

// authCheckOn reports whether Stalwart checks SPF at EHLO and MAIL FROM
// and DMARC at DATA: SenderAuth's spfEhloVerify, spfFromVerify and
// dmarcVerify default to relaxed on port 25 and disable elsewhere
// (structs_impl.rs:35638-35662). hooksim has no setting for them.
func authCheckOn(sv sessions.Server) bool { return sv.Port == 25 }

// writeReceived writes Stalwart's Received header (write_received,
// data.rs:1013-1070): the HELO name as the client typed it, the first PTR
// name without its trailing dot ("unknown" when the reverse-IP check did
// not run or found no name), the client's address, the TLS version and
// cipher, the host name, the protocol (ESMTP, ESMTPS with TLS, ESMTPA and
// ESMTPSA when authenticated: HELO clients get ESMTP too), the queue id in
// upper-case hex ({id:X}, where the SMTP reply has lower case) and the
// date, folded with CRLF and a tab. No "for <rcpt>" clause.
func (p *player) writeReceived(h *bytes.Buffer, id uint64, now time.Time) {
	h.WriteString("Received: from ")
	h.WriteString(p.helo)
	h.WriteString(" (")
	ptr := "unknown"
	if p.iprevDone && p.sess.Client.PTR != "" {
		ptr = strings.TrimSuffix(wirePTR(p.sess.Client.PTR), ".")
	}
	h.WriteString(ptr)
	h.WriteString(" [")
	h.WriteString(p.sess.Client.IP)
	h.WriteString("])\r\n\t")
	if p.tls != nil {
		fmt.Fprintf(h, "(using %s with cipher %s)\r\n\t", p.tls.Version, p.tls.Cipher)
	}
	h.WriteString("by ")
	h.WriteString(p.hostname())
	h.WriteString(" (Stalwart SMTP) with ")
	switch {
	case p.tls != nil && p.authAs == "":
		h.WriteString("ESMTPS")
	case p.tls != nil:
		h.WriteString("ESMTPSA")
	case p.authAs == "":
		h.WriteString("ESMTP")
	default:
		h.WriteString("ESMTPA")
	}
	h.WriteString(" id ")
	h.WriteString(strings.ToUpper(strconv.FormatUint(id, 16)))
	h.WriteString(";\r\n\t")
	h.WriteString(rfc822Date(now))
	h.WriteString("\r\n")
}

// authResults is the value of Authentication-Results as mail-auth's
// AuthenticationResults writes it (auth_results.rs:100-204): the host
// name, then one ";\r\n\t"-separated clause per check Stalwart ran, in
// data.rs's order (321-349, 394): dkim for each signature (left out, see
// queuedMessage), spf for the HELO name (checked when it changed at
// EHLO), spf for MAIL FROM, iprev, dmarc; "; none" when there is none.
func (p *player) authResults(orig *modify.Message) string {
	host := p.hostname()
	var b strings.Builder
	b.WriteString(host)
	clauses := 0
	helo := sanitizePvalue(p.helo)
	if p.spfEhlo {
		clauses++
		fmt.Fprintf(&b, ";\r\n\tspf=%s smtp.helo=%s", spfNone(host, "postmaster@"+helo), helo)
	}
	if p.from != nil && authCheckOn(p.sess.Server) {
		clauses++
		from := p.from.Address
		who := "postmaster@" + helo
		if from != "" {
			who = sanitizePvalue(from)
		}
		fmt.Fprintf(&b, ";\r\n\tspf=%s smtp.mailfrom=", spfNone(host, who))
		if from == "" {
			b.WriteString("<>")
		} else {
			b.WriteString(quotedPvalue(from))
		}
	}
	if p.iprevDone {
		clauses++
		fmt.Fprintf(&b, ";\r\n\tiprev=%s policy.iprev=%s", iprevAuthResult(p.iprevResult), pvalueIP(p.sess.Client.IP))
	}
	if authCheckOn(p.sess.Server) {
		clauses++
		fmt.Fprintf(&b, ";\r\n\tdmarc=none header.from=%s policy.dmarc=none", sanitizePvalue(dmarcDomain(orig)))
	}
	if clauses == 0 {
		b.WriteString("; none")
	}
	return b.String()
}

// receivedSPF is the value of Received-SPF for the SPF result of MAIL
// FROM, none (ReceivedSpf::new, auth_results.rs:214-244): the sender
// lower-cased as at MAIL FROM (before any changeFrom), or
// postmaster@<HELO> for the null sender.
func (p *player) receivedSPF() string {
	host := p.hostname()
	helo := sanitizePvalue(p.helo)
	envelopeFrom := p.from.Lower
	if envelopeFrom == "" {
		envelopeFrom = "postmaster@" + helo
	}
	return fmt.Sprintf("%s\r\n\treceiver=%s; client-ip=%s; envelope-from=\"%s\"; helo=%s;",
		spfNone(host, sanitizePvalue(envelopeFrom)), host, p.sess.Client.IP, qcontent(envelopeFrom), helo)
}

// spfNone is mail-auth's text for the SPF result none (auth_results.rs:273-276).
func spfNone(host, who string) string {
	return fmt.Sprintf("none (%s: no SPF records found for %s)", host, who)
}

// iprevAuthResult is an iprev outcome as mail-auth writes it in
// Authentication-Results (auth_results.rs:307-326, 374-430): fail is the
// forward lookup not confirming the name (NotAligned), permerror a name
// not found, temperror a resolver error.
func iprevAuthResult(result string) string {
	switch result {
	case "fail":
		return "fail (policy not aligned)"
	case "permerror":
		return "permerror (dns record not found)"
	case "temperror":
		return "temperror (dns error)"
	}
	return result
}

// pvalueIP writes an address as mail-auth's format_ip_as_pvalue: IPv6
// quoted (it holds colons), IPv4 as is.
func pvalueIP(ip string) string {
	if a, err := netip.ParseAddr(ip); err == nil && a.Is6() {
		return strconv.Quote(ip)
	}
	return ip
}

// dmarcDomain is the domain DMARC reports in header.from: the domain of
// the From addresses of the message as received, lower-cased; "" when
// there is none or when they have several domains (mail-auth
// dmarc/verify.rs: DmarcOutput::default()).
func dmarcDomain(orig *modify.Message) string {
	domain := ""
	for _, hd := range orig.Headers {
		if headerKey(hd.Name) != "from" {
			continue
		}
		for _, a := range fromAddresses(HeaderText(hd.Value)) {
			i := strings.LastIndexByte(a, '@')
			if i < 0 {
				continue
			}
			d := strings.ToLower(a[i+1:])
			switch {
			case domain == "":
				domain = d
			case domain != d:
				return ""
			}
		}
	}
	return domain
}

// fromAddresses are the addresses of a From value: as net/mail parses
// them, else (mail-parser is more lenient) whatever stands between angle
// brackets, else the words holding an @.
func fromAddresses(v string) []string {
	var out []string
	if list, err := mail.ParseAddressList(v); err == nil {
		for _, a := range list {
			out = append(out, a.Address)
		}
		return out
	}
	for rest := v; ; {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '>')
		if j < 0 {
			break
		}
		if a := strings.TrimSpace(rest[i+1 : i+j]); strings.Contains(a, "@") {
			out = append(out, a)
		}
		rest = rest[i+j+1:]
	}
	if len(out) > 0 {
		return out
	}
	for _, w := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' }) {
		if strings.Contains(w, "@") {
			out = append(out, strings.Trim(w, `"()`))
		}
	}
	return out
}

// headerKey is a header name as mail-parser looks it up: white space and
// colons before the name left out, ASCII lower-cased.
func headerKey(name []byte) string {
	var b strings.Builder
	for _, c := range name {
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f':
		case c == ':' && b.Len() == 0:
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// hasHeader reports a top-level header of the message as received whose
// name is key (mail-auth's has_date_header, has_message_id_header).
func hasHeader(m *modify.Message, key string) bool {
	for _, hd := range m.Headers {
		if headerKey(hd.Name) == key {
			return true
		}
	}
	return false
}

// signatureCount counts the DKIM-Signature and DKIM2-Signature headers of
// the message as received.
func signatureCount(m *modify.Message) int {
	n := 0
	for _, hd := range m.Headers {
		if k := headerKey(hd.Name); k == "dkim-signature" || k == "dkim2-signature" {
			n++
		}
	}
	return n
}

// returnPath is the sender as Stalwart writes it in Return-Path
// (to_lowercase_address(false), crates/utils/src/lib.rs:157-186): the
// local part as given, the domain lower-cased, or converted to ASCII
// (IDNA) when it is not ASCII.
func returnPath(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return strings.ToLower(addr)
	}
	domain := addr[i+1:]
	ascii := true
	for j := 0; j < len(domain); j++ {
		if domain[j] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		domain = strings.ToLower(domain)
	} else if d, err := idna.Lookup.ToASCII(domain); err == nil {
		domain = d
	} else {
		domain = strings.ToLower(domain)
	}
	return addr[:i+1] + domain
}

// rfc822Date formats t as mail-builder's Date::to_rfc822 (0.4.4), which
// Stalwart uses for Received and Date: UTC, the day without padding.
func rfc822Date(t time.Time) string {
	return t.UTC().Format("Mon, 2 Jan 2006 15:04:05 -0700")
}

// messageID is the Message-ID Stalwart adds to a message without one
// (mail-builder 0.4.4 generate_message_id_header): "<A.B.C@host>", three
// lower-case hex numbers: the time in nanoseconds, then two hashes that
// Stalwart draws from its thread and a per-thread counter. hooksim derives
// those two from the queue id, so a play with a fixed clock gives the
// same bytes every time.
func messageID(now time.Time, id uint64, host string) string {
	f := fnv.New64a()
	f.Write([]byte(strconv.FormatUint(id, 16)))
	hash := f.Sum64()
	return fmt.Sprintf("<%x.%x.%x@%s>", now.UnixNano(), hash*11400714819323198485, hash, host)
}

// pvalueSafe is mail-auth's is_pvalue_safe: no control characters, space,
// C1 controls or ( ) ; = " \.
func pvalueSafe(r rune) bool {
	switch {
	case r <= ' ', r >= 0x7f && r <= 0x9f:
		return false
	}
	return !strings.ContainsRune(`();="\`, r)
}

// sanitizePvalue drops the characters a pvalue cannot hold (mail-auth
// sanitize_pvalue).
func sanitizePvalue(s string) string {
	return strings.Map(func(r rune) rune {
		if pvalueSafe(r) {
			return r
		}
		return -1
	}, s)
}

// quotedPvalue writes s as is when it is a safe pvalue, else as a quoted
// string (mail-auth push_quoted_pvalue).
func quotedPvalue(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !pvalueSafe(r) }) < 0 {
		return s
	}
	return `"` + qcontent(s) + `"`
}

// qcontent escapes " and \ and drops control characters (mail-auth
// push_qcontent).
func qcontent(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r <= 0x1f, r >= 0x7f && r <= 0x9f:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
