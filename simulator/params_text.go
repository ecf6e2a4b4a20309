package simulator

import (
	"fmt"
	"strconv"
	"strings"
)

// ParamText writes m's parameters back as one canonical parameter list
// ("SIZE=1000 BODY=8BITMIME"), in smtp-proto's order, which ParseMail
// reads back to the same MailFrom; "" when there are none.
func (m *MailFrom) ParamText() string {
	var out []string
	add := func(s string) { out = append(out, s) }
	if m.Flags&MailSMTPUTF8 != 0 {
		add("SMTPUTF8")
	}
	for _, b := range []struct {
		flag uint64
		name string
	}{{MailBody8BitMIME, "8BITMIME"}, {MailBodyBinaryMIME, "BINARYMIME"}, {MailBody7Bit, "7BIT"}} {
		if m.Flags&b.flag != 0 {
			add("BODY=" + b.name)
		}
	}
	if m.Size > 0 {
		add("SIZE=" + strconv.FormatUint(m.Size, 10))
	}
	if m.Flags&(MailByNotify|MailByReturn) != 0 {
		trace := ""
		if m.Flags&MailByTrace != 0 {
			trace = "T"
		}
		by := strconv.FormatInt(m.By, 10)
		if m.Flags&MailByNotify != 0 {
			add("BY=" + by + ";N" + trace)
		}
		if m.Flags&MailByReturn != 0 {
			add("BY=" + by + ";R" + trace)
		}
	}
	if m.HoldUntil > 0 {
		add("HOLDUNTIL=" + strconv.FormatUint(m.HoldUntil, 10))
	}
	if m.HoldFor > 0 {
		add("HOLDFOR=" + strconv.FormatUint(m.HoldFor, 10))
	}
	if m.Flags&MailRetFull != 0 {
		add("RET=FULL")
	}
	if m.Flags&MailRetHdrs != 0 {
		add("RET=HDRS")
	}
	if m.EnvID != nil {
		add("ENVID=" + xtext(*m.EnvID))
	}
	if m.Flags&MailRequireTLS != 0 {
		add("REQUIRETLS")
	}
	if m.Solicit != nil {
		add("SOLICIT=" + *m.Solicit)
	}
	if m.TransID != nil {
		add("TRANSID=<" + *m.TransID + ">")
	}
	if m.Mtrk != nil {
		s := "MTRK=" + m.Mtrk.Certifier
		if m.Mtrk.Timeout > 0 {
			s += ":" + strconv.FormatUint(m.Mtrk.Timeout, 10)
		}
		add(s)
	}
	if m.Auth != nil {
		add("AUTH=" + xtext(*m.Auth))
	}
	if m.MtPriority != 0 {
		add("MT-PRIORITY=" + strconv.FormatInt(m.MtPriority, 10))
	}
	if m.Flags&MailConperm != 0 {
		add("CONPERM")
	}
	return strings.Join(out, " ")
}

// ParamText writes r's parameters back as ParseRcpt reads them ("" when
// none). An RRVS time outside the years 0000-9999 cannot be written as a
// date; it is written as the unparsable date, which reads back as
// math.MaxInt64.
func (r *RcptTo) ParamText() string {
	var out []string
	var notify []string
	for _, n := range []struct {
		flag uint64
		name string
	}{{RcptNotifyNever, "NEVER"}, {RcptNotifySuccess, "SUCCESS"}, {RcptNotifyFailure, "FAILURE"}, {RcptNotifyDelay, "DELAY"}} {
		if r.Flags&n.flag != 0 {
			notify = append(notify, n.name)
		}
	}
	if len(notify) > 0 {
		out = append(out, "NOTIFY="+strings.Join(notify, ","))
	}
	if r.ORcpt != nil {
		out = append(out, "ORCPT=rfc822;"+xtext(*r.ORcpt))
	}
	date, _ := rrvsDate(r.RRVS)
	if r.Flags&RcptRRVSReject != 0 {
		out = append(out, "RRVS="+date+";R")
	}
	if r.Flags&RcptRRVSContinue != 0 {
		out = append(out, "RRVS="+date+";C")
	}
	if r.Flags&RcptConneg != 0 {
		out = append(out, "CONNEG")
	}
	return strings.Join(out, " ")
}

// xtext encodes s for ENVID=, ORCPT= and AUTH= (RFC 3461 §4): "+XX" for
// '+', '=', controls, space, and the characters U+0080-U+00FF (which
// smtp-proto decodes "+XX" to); other characters as they are.
func xtext(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r <= ' ' || r == '+' || r == '=' || r >= 0x7f && r <= 0xff {
			fmt.Fprintf(&b, "+%02X", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// rrvsDate writes Unix seconds t as the RFC 3339 date smtp-proto reads
// back to t ("2026-11-25T12:00:00Z"); "" and false when t is
// math.MaxInt64 (smtp-proto's "no date") or outside the years 0000-9999.
func rrvsDate(t int64) (string, bool) {
	const minT, maxT = -62167219200, 253402300799 // 0000-01-01, 9999-12-31 23:59:59
	if t < minT || t > maxT {
		return "", false
	}
	days, secs := t/86400, t%86400
	if secs < 0 {
		days, secs = days-1, secs+86400
	}
	// Civil date from days since 1970-01-01 (H. Hinnant, civil_from_days).
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	y := yoe + era*400
	if m <= 2 {
		y++
	}
	return fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, secs/3600, secs/60%60, secs%60), true
}
