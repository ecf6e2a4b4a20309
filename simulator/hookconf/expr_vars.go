package hookconf

import "strconv"

// lookupVariable returns how a session resolves one of the variables
// Stalwart allows in an MtaHook's enable expression (its
// MTA_RCPT_TO_VARIABLE list).
func lookupVariable(name string) (func(*ExprVars) value, bool) {
	var f func(*ExprVars) value
	switch name {
	case "sender":
		f = func(v *ExprVars) value { return strVal(v.Sender) }
	case "sender_domain":
		f = func(v *ExprVars) value { return strVal(v.SenderDomain) }
	case "recipients":
		f = recipientsValue
	case "rcpt":
		f = func(v *ExprVars) value { return strVal(v.Rcpt) }
	case "rcpt_domain":
		f = func(v *ExprVars) value { return strVal(v.RcptDomain) }
	case "authenticated_as":
		f = func(v *ExprVars) value { return strVal(v.AuthenticatedAs) }
	case "listener":
		f = func(v *ExprVars) value { return strVal(v.Listener) }
	case "remote_ip":
		f = func(v *ExprVars) value { return strVal(v.RemoteIP) }
	case "remote_port":
		f = func(v *ExprVars) value { return intVal(int64(v.RemotePort)) }
	case "local_ip":
		f = func(v *ExprVars) value { return strVal(v.LocalIP) }
	case "local_port":
		f = func(v *ExprVars) value { return intVal(int64(v.LocalPort)) }
	case "protocol":
		f = func(v *ExprVars) value { return strVal(v.Protocol) }
	case "is_tls":
		f = func(v *ExprVars) value { return boolVal(v.IsTLS) }
	case "priority":
		// Stalwart resolves priority as a string ("0", "1", ...).
		f = func(v *ExprVars) value { return strVal(strconv.Itoa(v.Priority)) }
	case "helo_domain":
		f = func(v *ExprVars) value { return strVal(v.HeloDomain) }
	case "asn":
		f = func(v *ExprVars) value { return intVal(int64(v.ASN)) }
	case "country":
		f = func(v *ExprVars) value { return strVal(v.Country) }
	default:
		return nil, false
	}
	return f, true
}

func recipientsValue(v *ExprVars) value {
	out := make([]value, len(v.Recipients))
	for i, r := range v.Recipients {
		out[i] = strVal(r)
	}
	return arrVal(out)
}

// variableList names the allowed variables, for error messages.
func variableList() string {
	return "sender, sender_domain, recipients, rcpt, rcpt_domain, authenticated_as, listener, remote_ip, remote_port, local_ip, local_port, protocol, is_tls, priority, helo_domain, asn, country"
}

// otherName explains a name that Stalwart knows but refuses (or that
// hooksim cannot evaluate) in an MTA hook's enable expression; "" if the
// name is not one of those.
func otherName(w string) string {
	switch w {
	case "relaxed", "strict", "disable", "optional", "require", "ipv4_only", "ipv6_only",
		"ipv6_then_ipv4", "ipv4_then_ipv6", "hourly", "daily", "weekly", "login", "plain",
		"xoauth2", "oauthbearer", "mixer", "stanag4406", "nsep":
		return "the constant " + strconvQuote(w) + " is not meaningful in an enable expression; hooksim refuses it"
	case "attributes", "authority", "bcc", "bcc.domain", "bcc.local", "bcc.name", "body", "body.html",
		"body.raw", "body.text", "body.words", "cc", "cc.domain", "cc.local", "cc.name", "domain",
		"email", "email_lower", "env_from", "env_from.domain", "env_from.local", "env_to", "expires_in",
		"from", "from.domain", "from.local", "from.name", "headers", "host", "ip", "ip_reverse", "is_v4",
		"is_v6", "last_error", "last_status", "local", "location", "method", "mx", "name", "name_lower",
		"notify_num", "octets", "path", "path_query", "port", "query", "queue_age", "queue_name", "raw",
		"raw_lower", "received_from_ip", "received_via_port", "remote_ip.ptr", "reply_to",
		"reply_to.domain", "reply_to.local", "reply_to.name", "retry_num", "reverse_ip", "scheme",
		"size", "sld", "source", "subject", "subject.thread", "subject.words", "to", "to.domain",
		"to.local", "to.name", "url", "url_original", "value", "value_lower":
		return "variable " + strconvQuote(w) + " is not allowed in an MTA hook's enable expression (allowed: " + variableList() + ")"
	case "lower", "upper", "lowercase", "uppercase", "to_lower", "to_upper":
		return "there is no function " + strconvQuote(w) + " in Stalwart; use to_lowercase() or to_uppercase()"
	}
	return ""
}

func strconvQuote(s string) string { return strconv.Quote(s) }
