package sessions

import (
	"net/netip"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// clientSpec is the client section as written, with what was left out.
type clientSpec struct {
	client    Client
	portSet   bool
	tls       tlsSpec
	iprevNode *yaml.Node
}

// tlsSpec is the tls entry as written.
type tlsSpec struct {
	node        *yaml.Node // nil when absent
	off         bool       // tls: false
	tls         TLS
	implicitSet bool
}

// serverSpec is the server section as written.
type serverSpec struct {
	server   Server
	portSet  bool
	portNode *yaml.Node
}

// tlsVersions are the TLS versions Stalwart (rustls) negotiates, spelled
// as it reports them to hooks.
var tlsVersions = []string{"TLSv1.2", "TLSv1.3"}

// client decodes the client section.
func (d *decoder) client(n *yaml.Node) (clientSpec, *Error) {
	cs := clientSpec{client: Client{IP: DefaultClientIP, Port: DefaultClientPort}}
	if isNull(n) {
		return cs, nil
	}
	pairs, err := d.mapping(n, "client", "a mapping (ip, port, ptr, iprev, tls)", []string{"ip", "port", "ptr", "iprev", "tls"})
	if err != nil {
		return cs, err
	}
	for _, p := range pairs {
		field := child("client", p.key)
		switch p.key {
		case "ip":
			if cs.client.IP, err = d.ip(p.value, field); err != nil {
				return cs, err
			}
		case "port":
			v, err := d.integer(p.value, field, 0, 65535)
			if err != nil {
				return cs, err
			}
			cs.client.Port, cs.portSet = uint16(v), true
		case "ptr":
			if isNull(p.value) {
				continue
			}
			v, err := d.scalar(p.value, field)
			if err != nil {
				return cs, err
			}
			if v != "" && !validHost(v) {
				return cs, d.errAt(p.value, field, "%q is not a host name", v)
			}
			cs.client.PTR = v
		case "tls":
			if cs.tls, err = d.tlsSpec(p.value, field); err != nil {
				return cs, err
			}
		case "iprev":
			v, err := d.scalar(p.value, field)
			if err != nil {
				return cs, err
			}
			if !slices.Contains(IprevResults, v) {
				return cs, d.errAt(p.value, field, "%s", unknownKeyMsg("iprev result", v, IprevResults))
			}
			cs.client.IPRev, cs.iprevNode = v, p.value
		}
	}
	if (cs.client.IPRev == "pass" || cs.client.IPRev == "fail") && cs.client.PTR == "" {
		return cs, d.errAt(cs.iprevNode, "client.iprev", "iprev %s means the PTR lookup found a name: give client.ptr", cs.client.IPRev)
	}
	return cs, nil
}

// tlsSpec decodes `tls: true|false` or `tls: {version, cipher, implicit}`.
func (d *decoder) tlsSpec(n *yaml.Node, field string) (tlsSpec, *Error) {
	ts := tlsSpec{node: n, tls: TLS{Version: DefaultTLSVersion, Cipher: DefaultTLSCipher}}
	rn, err := d.resolve(n)
	if err != nil {
		return ts, err
	}
	if rn.Kind == yaml.ScalarNode {
		on, err := d.boolean(rn, field)
		if err != nil {
			return ts, d.errAt(rn, field, "want true, false or a mapping (version, cipher, implicit), got %s", kindName(rn))
		}
		ts.off = !on
		return ts, nil
	}
	pairs, err := d.mapping(rn, field, "true, false or a mapping (version, cipher, implicit)", []string{"version", "cipher", "implicit"})
	if err != nil {
		return ts, err
	}
	for _, p := range pairs {
		f := child(field, p.key)
		switch p.key {
		case "version":
			v, err := d.scalar(p.value, f)
			if err != nil {
				return ts, err
			}
			if !slices.Contains(tlsVersions, v) {
				return ts, d.errAt(p.value, f, "%s", unknownKeyMsg("TLS version", v, tlsVersions))
			}
			ts.tls.Version = v
		case "cipher":
			v, err := d.scalar(p.value, f)
			if err != nil {
				return ts, err
			}
			if strings.TrimSpace(v) == "" || hasControl(v) || strings.ContainsRune(v, ' ') {
				return ts, d.errAt(p.value, f, "%q is not a cipher suite name", v)
			}
			ts.tls.Cipher = v
		case "implicit":
			if ts.tls.Implicit, err = d.boolean(p.value, f); err != nil {
				return ts, err
			}
			ts.implicitSet = true
		}
	}
	return ts, nil
}

// server decodes the server section.
func (d *decoder) server(n *yaml.Node) (serverSpec, *Error) {
	ss := serverSpec{server: Server{Hostname: DefaultServerHostname, IP: DefaultServerIP, Port: DefaultServerPort}}
	if isNull(n) {
		return ss, nil
	}
	pairs, err := d.mapping(n, "server", "a mapping ("+strings.Join(serverKeys, ", ")+")", serverKeys)
	if err != nil {
		return ss, err
	}
	for _, p := range pairs {
		field := child("server", p.key)
		switch p.key {
		case "hostname":
			v, err := d.scalar(p.value, field)
			if err != nil {
				return ss, err
			}
			if !validHost(v) {
				return ss, d.errAt(p.value, field, "%q is not a host name", v)
			}
			ss.server.Hostname = v
		case "ip":
			if ss.server.IP, err = d.ip(p.value, field); err != nil {
				return ss, err
			}
		case "port":
			v, err := d.integer(p.value, field, 0, 65535)
			if err != nil {
				return ss, err
			}
			ss.server.Port, ss.portSet, ss.portNode = uint16(v), true, p.value
		case "name":
			v, err := d.scalar(p.value, field)
			if err != nil {
				return ss, err
			}
			if strings.TrimSpace(v) == "" || hasControl(v) {
				return ss, d.errAt(p.value, field, "%q is not a usable server name", v)
			}
			if v != DefaultServerName {
				ss.server.Name = v
			}
		case "reverseIpVerify":
			v, err := d.scalar(p.value, field)
			if err != nil {
				return ss, err
			}
			if !slices.Contains(IprevPolicies, v) {
				return ss, d.errAt(p.value, field, "%s", unknownKeyMsg("policy", v, IprevPolicies))
			}
			ss.server.ReverseIPVerify = v
		case "maxMessageSize":
			v, err := d.integer(p.value, field, 1, 1<<40)
			if err != nil {
				return ss, err
			}
			ss.server.MaxMessageSize = v
		case "maxRecipients":
			v, err := d.integer(p.value, field, 1, 100000)
			if err != nil {
				return ss, err
			}
			ss.server.MaxRecipients = int(v)
		case "maxMessages":
			v, err := d.integer(p.value, field, 1, 100000)
			if err != nil {
				return ss, err
			}
			ss.server.MaxMessages = int(v)
		case "maxReceivedHeaders":
			v, err := d.integer(p.value, field, 1, 100000)
			if err != nil {
				return ss, err
			}
			ss.server.MaxReceivedHeaders = int(v)
		case "ehlo":
			if err := d.ehloSettings(p.value, field, &ss.server.Ehlo); err != nil {
				return ss, err
			}
		case "auth":
			if err := d.authSettings(p.value, field, &ss.server.Auth); err != nil {
				return ss, err
			}
		case "rcpt":
			if err := d.rcptSettings(p.value, field, &ss.server.Rcpt); err != nil {
				return ss, err
			}
		case "extensions":
			if ss.server.Extensions, err = d.extensions(p.value, field); err != nil {
				return ss, err
			}
		case "local_domains":
			list, err := d.stringList(p.value, field)
			if err != nil {
				return ss, err
			}
			for i, dom := range list {
				if !validDomain(dom) {
					return ss, d.errAt(p.value, index(field, i), "%q is not a domain", dom)
				}
				ss.server.LocalDomains = appendDomain(ss.server.LocalDomains, dom)
			}
		default:
			for _, set := range ss.server.AddHeaders.Settings() {
				if set.Name != p.key {
					continue
				}
				rn, err := d.resolve(p.value)
				if err != nil {
					return ss, err
				}
				v, err := d.boolean(rn, field)
				if err != nil {
					return ss, d.errAt(rn, field, "want true or false (an expression such as Stalwart's default, local_port == 25, is not evaluated here), got %s", kindName(rn))
				}
				*set.Value = &v
			}
		}
	}
	return ss, nil
}

// serverKeys are the keys of the server section.
var serverKeys = []string{"hostname", "name", "ip", "port", "local_domains", "reverseIpVerify", "maxReceivedHeaders", "maxMessageSize", "maxRecipients", "maxMessages",
	"ehlo", "auth", "rcpt", "addReceivedHeader", "addAuthResultsHeader", "addReceivedSpfHeader", "addReturnPathHeader", "addDateHeader", "addMessageIdHeader", "extensions"}

// IprevPolicies are the values of Stalwart's reverseIpVerify setting.
var IprevPolicies = []string{"relaxed", "strict", "disable"}

// IprevResults are the outcomes of the reverse-IP check a script can give
// (client.iprev), as mail-auth's IprevResult names them.
var IprevResults = []string{"pass", "fail", "permerror", "temperror", "none"}

// ip decodes an IP address, returned in canonical form.
func (d *decoder) ip(n *yaml.Node, field string) (string, *Error) {
	v, err := d.scalar(n, field)
	if err != nil {
		return "", err
	}
	a, perr := netip.ParseAddr(strings.TrimSpace(v))
	if perr != nil || a.Zone() != "" {
		return "", d.errAt(n, field, "%q is not an IP address", v)
	}
	return a.String(), nil
}

// validHost accepts a host name or an address literal: no spaces, no
// control characters, not empty.
func validHost(s string) bool {
	return s != "" && !hasControl(s) && !strings.ContainsAny(s, " <>@")
}

// validDomain accepts a domain name for local_domains.
func validDomain(s string) bool {
	return validHost(s) && !strings.HasPrefix(s, ".") && !strings.Contains(s, "..")
}

// appendDomain adds dom, lower-cased, unless it is already there.
func appendDomain(list []string, dom string) []string {
	dom = strings.ToLower(dom)
	if slices.Contains(list, dom) {
		return list
	}
	return append(list, dom)
}
