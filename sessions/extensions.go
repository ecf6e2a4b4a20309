package sessions

import (
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Extensions are the settings of Stalwart's MtaExtensions object that
// decide which MAIL and RCPT parameters the server takes, under
// server.extensions with Stalwart's property names. A nil field is
// Stalwart's default (crates/registry/src/schema/structs_impl.rs,
// impl Default for MtaExtensions), most of them on only when the session
// authenticated: the zero Extensions is the default server.
type Extensions struct {
	// DSN (dsn) allows ENVID= at MAIL and NOTIFY=, ORCPT= at RCPT.
	// Default: on only for an authenticated session.
	DSN *bool `json:",omitempty"`
	// RequireTLS (requireTls) allows the REQUIRETLS parameter. Default on.
	RequireTLS *bool `json:",omitempty"`
	// DeliverBy (deliverBy) is the longest BY= time DELIVERBY allows; 0
	// turns it off. Default: DefaultDeliverBy for an authenticated
	// session, else off.
	DeliverBy *time.Duration `json:",omitempty"`
	// MtPriority (mtPriority) is the MT-PRIORITY policy: mixer,
	// stanag4406 or nsep; "" turns it off. Default: mixer for an
	// authenticated session, else off.
	MtPriority *string `json:",omitempty"`
	// FutureRelease (futureRelease) is the longest hold HOLDFOR= and
	// HOLDUNTIL= may ask for; 0 turns it off. Default:
	// DefaultFutureRelease for an authenticated session, else off.
	FutureRelease *time.Duration `json:",omitempty"`
}

// Stalwart's defaults for authenticated sessions.
const (
	DefaultDeliverBy     = 15 * 24 * time.Hour
	DefaultFutureRelease = 7 * 24 * time.Hour
)

// extensionKeys are the keys of server.extensions, Stalwart's names.
var extensionKeys = []string{"dsn", "requireTls", "deliverBy", "mtPriority", "futureRelease"}

// MtPriorities are the MT-PRIORITY policies Stalwart knows (RFC 6710).
var MtPriorities = []string{"mixer", "stanag4406", "nsep"}

// maxExtensionDuration bounds deliverBy and futureRelease (100 years).
const maxExtensionDuration = 36500 * 24 * time.Hour

// extensions decodes server.extensions.
func (d *decoder) extensions(n *yaml.Node, field string) (Extensions, *Error) {
	var e Extensions
	if isNull(n) {
		return e, nil
	}
	pairs, err := d.mapping(n, field, "a mapping ("+strings.Join(extensionKeys, ", ")+")", extensionKeys)
	if err != nil {
		return e, err
	}
	for _, p := range pairs {
		f := child(field, p.key)
		switch p.key {
		case "dsn", "requireTls":
			v, err := d.boolean(p.value, f)
			if err != nil {
				return e, err
			}
			if p.key == "dsn" {
				e.DSN = &v
			} else {
				e.RequireTLS = &v
			}
		case "deliverBy", "futureRelease":
			v, err := d.extensionDuration(p.value, f)
			if err != nil {
				return e, err
			}
			if p.key == "deliverBy" {
				e.DeliverBy = &v
			} else {
				e.FutureRelease = &v
			}
		case "mtPriority":
			v, err := d.mtPriority(p.value, f)
			if err != nil {
				return e, err
			}
			e.MtPriority = &v
		}
	}
	return e, nil
}

// extensionDuration reads `false` (off, 0) or a duration as Stalwart
// writes it: digits and a unit d, h, m, s or ms ("15d"), or milliseconds.
func (d *decoder) extensionDuration(n *yaml.Node, f string) (time.Duration, *Error) {
	rv, err := d.resolve(n)
	if err != nil {
		return 0, err
	}
	const want = "give the longest time it allows (15d, 12h, 90s) or false to turn it off"
	if rv.Kind == yaml.ScalarNode && rv.ShortTag() == "!!bool" {
		if on, _ := d.boolean(rv, f); on {
			return 0, d.errAt(rv, f, "true is not a time: %s", want)
		}
		return 0, nil
	}
	s, err := d.scalar(rv, f)
	if err != nil {
		return 0, d.errAt(rv, f, "want a time or false, got %s", kindName(rv))
	}
	v, ok := parseStalwartDuration(s)
	if !ok || v <= 0 || v > maxExtensionDuration {
		return 0, d.errAt(rv, f, "%q is not a time: %s", s, want)
	}
	return v, nil
}

// parseStalwartDuration reads digits and an optional unit (d, h, m, s,
// ms; none means ms), as Stalwart's registry Duration does.
func parseStalwartDuration(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, false
	}
	var unit time.Duration
	switch strings.ToLower(strings.TrimSpace(s[i:])) {
	case "d":
		unit = 24 * time.Hour
	case "h":
		unit = time.Hour
	case "m":
		unit = time.Minute
	case "s":
		unit = time.Second
	case "ms", "":
		unit = time.Millisecond
	default:
		return 0, false
	}
	if n > int64(maxExtensionDuration/unit) {
		return 0, false
	}
	return time.Duration(n) * unit, true
}

// formatStalwartDuration writes d in the largest unit that divides it.
func formatStalwartDuration(d time.Duration) string {
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if d%u.unit == 0 {
			return strconv.FormatInt(int64(d/u.unit), 10) + u.name
		}
	}
	return strconv.FormatInt(int64(d/time.Millisecond), 10) + "ms"
}

// mtPriority reads mixer, stanag4406, nsep (any case, as Stalwart) or false.
func (d *decoder) mtPriority(n *yaml.Node, f string) (string, *Error) {
	rv, err := d.resolve(n)
	if err != nil {
		return "", err
	}
	if rv.Kind == yaml.ScalarNode && rv.ShortTag() == "!!bool" {
		if on, _ := d.boolean(rv, f); on {
			return "", d.errAt(rv, f, "true is not a policy: give mixer, stanag4406 or nsep, or false to turn it off")
		}
		return "", nil
	}
	s, err := d.scalar(rv, f)
	if err != nil {
		return "", err
	}
	v := strings.ToLower(strings.TrimSpace(s))
	for _, m := range MtPriorities {
		if v == m {
			return m, nil
		}
	}
	return "", d.errAt(rv, f, "%s", unknownKeyMsg("MT-PRIORITY policy", s, MtPriorities))
}

// extensionsNode writes server.extensions; nil when every setting is
// Stalwart's default.
func extensionsNode(e Extensions) *yaml.Node {
	n := mapNode(yaml.FlowStyle)
	if e.DSN != nil {
		n.Content = append(n.Content, strNode("dsn"), boolNode(*e.DSN))
	}
	if e.RequireTLS != nil {
		n.Content = append(n.Content, strNode("requireTls"), boolNode(*e.RequireTLS))
	}
	for _, dur := range []struct {
		key string
		v   *time.Duration
	}{{"deliverBy", e.DeliverBy}, {"futureRelease", e.FutureRelease}} {
		switch {
		case dur.v == nil:
		case *dur.v == 0:
			n.Content = append(n.Content, strNode(dur.key), boolNode(false))
		default:
			n.Content = append(n.Content, strNode(dur.key), strNode(formatStalwartDuration(*dur.v)))
		}
	}
	switch {
	case e.MtPriority == nil:
	case *e.MtPriority == "":
		n.Content = append(n.Content, strNode("mtPriority"), boolNode(false))
	default:
		n.Content = append(n.Content, strNode("mtPriority"), strNode(*e.MtPriority))
	}
	if len(n.Content) == 0 {
		return nil
	}
	return n
}
