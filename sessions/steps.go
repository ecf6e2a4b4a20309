package sessions

import (
	"encoding/base64"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/jhillyerd/enmime/v2"
	"go.yaml.in/yaml/v3"
)

// stepKinds are the keys that name a step, in the order the docs list them.
var stepKinds = []string{"connect", "helo", "ehlo", "starttls", "auth", "mail", "rcpt", "data", "bdat", "rset", "noop", "raw", "quit"}

// bareKinds are the steps that take no value.
var bareKinds = []string{"connect", "starttls", "rset", "noop", "quit"}

// item is a step being built, with its place in the script and, for a
// data step, the parsed message (used to imply MAIL and RCPT).
type item struct {
	step  Step
	field string
	env   *enmime.Envelope
}

// stepDecoder decodes the steps list and loads messages.
type stepDecoder struct {
	*decoder
	dir      string
	readFile func(string) ([]byte, error)
	// files are the message files read, in order, each name once: what
	// Session.Archive writes.
	files []archivedFile
}

// steps decodes the steps list.
func (sd *stepDecoder) steps(n *yaml.Node) ([]item, *Error) {
	list, err := sd.sequence(n, "steps", "a list of steps")
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, sd.errAt(n, "steps", "the list of steps is empty")
	}
	var out []item
	for i, raw := range list {
		field := index("steps", i)
		its, err := sd.step(raw, field)
		if err != nil {
			return nil, err
		}
		out = append(out, its...)
	}
	return out, nil
}

// step decodes one entry of the steps list; an rcpt list gives several.
func (sd *stepDecoder) step(raw *yaml.Node, field string) ([]item, *Error) {
	n, err := sd.resolve(raw)
	if err != nil {
		return nil, err
	}
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		kind := n.Value
		switch {
		case slices.Contains(bareKinds, kind), kind == "helo", kind == "ehlo":
			return []item{{step: Step{Kind: StepKind(kind), Line: n.Line}, field: field}}, nil
		case slices.Contains(stepKinds, kind):
			return nil, sd.errAt(n, field, "step %q needs a value (for example `- %s: %s`)", kind, kind, example(kind))
		default:
			return nil, sd.errAt(n, field, "%s", unknownKeyMsg("step", kind, stepKinds))
		}
	}
	if n.Kind != yaml.MappingNode {
		return nil, sd.errAt(n, field, "want a step (a name such as connect, or a mapping such as `rcpt: bill@example.org`), got %s", kindName(n))
	}
	pairs, err := sd.mapping(n, field, "a step", append(slices.Clone(stepKinds), "expect", "chunk"))
	if err != nil {
		return nil, err
	}
	var kindP, expectP, chunkP *kv
	for i := range pairs {
		p := &pairs[i]
		if p.key == "expect" {
			expectP = p
			continue
		}
		if p.key == "chunk" {
			chunkP = p
			continue
		}
		if kindP != nil {
			return nil, sd.errAt(p.keyN, field, "one step per list item: found both %q and %q", kindP.key, p.key)
		}
		kindP = p
	}
	if kindP == nil {
		return nil, sd.errAt(n, field, "expect without a step: add one of %s", strings.Join(stepKinds, ", "))
	}
	var expectN *yaml.Node
	if expectP != nil {
		expectN = expectP.keyN
	}
	kind, f := kindP.key, child(field, kindP.key)
	if chunkP != nil && kind != "raw" {
		return nil, sd.errAt(chunkP.keyN, child(field, "chunk"), "chunk goes with a raw BDAT command (a bdat step sends its message itself)")
	}
	var its []item
	switch kind {
	case "data", "bdat":
		var expV *yaml.Node
		if expectP != nil {
			expV = expectP.value
		}
		it, err := sd.dataStep(kindP.keyN, kindP.value, expectN, expV, f, child(field, "expect"))
		if err == nil && kind == "bdat" {
			it.step.Kind = StepBdat
		}
		if err != nil {
			return nil, err
		}
		it.step.Line = n.Line
		return []item{it}, nil
	case "rcpt":
		if its, err = sd.rcpts(kindP.value, f, n.Line); err != nil {
			return nil, err
		}
		for i := range its {
			its[i].field = f
		}
	default:
		st := Step{Kind: StepKind(kind), Line: n.Line}
		if err := sd.stepValue(&st, kindP.value, f); err != nil {
			return nil, err
		}
		if chunkP != nil {
			if verb, _, _ := strings.Cut(strings.TrimLeft(st.Arg, " "), " "); !strings.EqualFold(verb, "BDAT") {
				return nil, sd.errAt(chunkP.keyN, child(field, "chunk"), "chunk goes with a raw BDAT command, not %q", st.Arg)
			}
			msg, err := sd.chunk(chunkP.value, child(field, "chunk"))
			if err != nil {
				return nil, err
			}
			st.Message = msg
		}
		its = []item{{step: st, field: field}}
	}
	if expectP != nil {
		e, err := sd.expect(expectP.value, child(field, "expect"))
		if err != nil {
			return nil, err
		}
		if e != nil {
			e.Line = expectN.Line
		}
		its[len(its)-1].step.Expect = e
	}
	return its, nil
}

// example is a sample value for a step kind, for error messages.
func example(kind string) string {
	switch kind {
	case "auth":
		return "john"
	case "mail":
		return "john@example.org"
	case "rcpt":
		return "bill@example.org"
	case "data", "bdat":
		return "message.eml"
	case "raw":
		return `"VRFY bill"`
	}
	return ""
}

// stepValue decodes the value of every step kind but data and rcpt.
func (sd *stepDecoder) stepValue(st *Step, v *yaml.Node, field string) *Error {
	switch st.Kind {
	case StepConnect, StepStartTLS, StepRset, StepNoop, StepQuit:
		if !isNull(v) {
			return sd.errAt(v, field, "takes no value, got %s", kindName(v))
		}
	case StepHelo, StepEhlo:
		if isNull(v) {
			return nil // the normaliser fills in the default name
		}
		s, err := sd.scalar(v, field)
		if err != nil {
			return err
		}
		if !validHost(s) {
			return sd.errAt(v, field, "%q is not a host name", s)
		}
		st.Arg = s
	case StepAuth:
		return sd.auth(st, v, field)
	case StepMail:
		return sd.mail(st, v, field)
	case StepRaw:
		s, err := sd.scalar(v, field)
		if err != nil {
			return err
		}
		if strings.ContainsAny(s, "\r\n") {
			return sd.errAt(v, field, "a raw command is one line: no CR or LF")
		}
		st.Arg = s
	}
	return nil
}

// auth decodes `auth: login` or `auth: {login, password, fail,
// mechanism, prompted, addresses}`.
func (sd *stepDecoder) auth(st *Step, v *yaml.Node, field string) *Error {
	rv, err := sd.resolve(v)
	if err != nil {
		return err
	}
	if rv.Kind == yaml.ScalarNode {
		if st.Login, err = sd.scalar(rv, field); err != nil {
			return err
		}
	} else {
		pairs, err := sd.mapping(rv, field, "a login or a mapping (login, password, fail, mechanism, prompted, addresses)", []string{"login", "password", "fail", "mechanism", "prompted", "addresses"})
		if err != nil {
			return err
		}
		for _, p := range pairs {
			f := child(field, p.key)
			switch p.key {
			case "login":
				if st.Login, err = sd.scalar(p.value, f); err != nil {
					return err
				}
			case "password":
				if !isNull(p.value) {
					if st.Password, err = sd.scalar(p.value, f); err != nil {
						return err
					}
				}
			case "fail":
				if st.AuthFail, err = sd.boolean(p.value, f); err != nil {
					return err
				}
			case "prompted":
				if st.Prompted, err = sd.boolean(p.value, f); err != nil {
					return err
				}
			case "mechanism":
				m, err := sd.scalar(p.value, f)
				if err != nil {
					return err
				}
				m = strings.ToLower(strings.TrimSpace(m))
				if !slices.Contains(SaslMechanisms, m) {
					return sd.errAt(p.value, f, "%s", unknownKeyMsg("mechanism", m, SaslMechanisms))
				}
				if m != "plain" {
					st.Mechanism = m
				}
			case "addresses":
				list, err := sd.stringList(p.value, f)
				if err != nil {
					return err
				}
				st.Addresses = []string{}
				for i, a := range list {
					a = strings.ToLower(strings.TrimSpace(strings.Trim(a, "<>")))
					if strings.Count(a, "@") != 1 || strings.HasPrefix(a, "@") || strings.HasSuffix(a, "@") || hasControl(a) || strings.ContainsAny(a, " <>") {
						return sd.errAt(p.value, index(f, i), "%q is not an address (local@domain)", list[i])
					}
					st.Addresses = append(st.Addresses, a)
				}
			}
		}
	}
	if strings.TrimSpace(st.Login) == "" || hasControl(st.Login) {
		return sd.errAt(rv, field, "needs a login")
	}
	if hasControl(st.Password) {
		return sd.errAt(rv, field, "the password has control characters")
	}
	return nil
}

// mail decodes `mail: addr`, `mail: "<>"` or `mail: {address, params}`.
func (sd *stepDecoder) mail(st *Step, v *yaml.Node, field string) *Error {
	addr, params, err := sd.addressEntry(v, field, true)
	if err != nil {
		return err
	}
	st.Arg, st.Params = addr, params
	return nil
}

// rcpts decodes `rcpt: addr`, `rcpt: {address, params}` or a list of those.
func (sd *stepDecoder) rcpts(v *yaml.Node, field string, line int) ([]item, *Error) {
	rv, err := sd.resolve(v)
	if err != nil {
		return nil, err
	}
	entries := []*yaml.Node{rv}
	fields := []string{field}
	if rv.Kind == yaml.SequenceNode {
		if len(rv.Content) == 0 {
			return nil, sd.errAt(rv, field, "the list of recipients is empty")
		}
		entries, fields = rv.Content, nil
		for i := range entries {
			fields = append(fields, index(field, i))
		}
	}
	out := make([]item, 0, len(entries))
	for i, e := range entries {
		addr, params, err := sd.addressEntry(e, fields[i], false)
		if err != nil {
			return nil, err
		}
		out = append(out, item{step: Step{Kind: StepRcpt, Arg: addr, Params: params, Line: line}})
	}
	return out, nil
}

// addressEntry decodes an address, alone or as {address, params}.
func (sd *stepDecoder) addressEntry(v *yaml.Node, field string, nullOK bool) (string, string, *Error) {
	rv, err := sd.resolve(v)
	if err != nil {
		return "", "", err
	}
	if rv.Kind == yaml.MappingNode {
		pairs, err := sd.mapping(rv, field, "a mapping (address, params)", []string{"address", "params"})
		if err != nil {
			return "", "", err
		}
		var addrN *yaml.Node
		var params string
		for _, p := range pairs {
			switch p.key {
			case "address":
				addrN = p.value
			case "params":
				if isNull(p.value) {
					continue
				}
				s, err := sd.scalar(p.value, child(field, "params"))
				if err != nil {
					return "", "", err
				}
				if hasControl(s) {
					return "", "", sd.errAt(p.value, child(field, "params"), "parameters must be on one line")
				}
				// Runs of spaces collapse; any other character (a
				// non-breaking space included) stays in its parameter.
				params = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' }), " ")
			}
		}
		if addrN == nil {
			return "", "", sd.errAt(rv, field, "needs an address")
		}
		addr, err := sd.address(addrN, child(field, "address"), nullOK)
		return addr, params, err
	}
	addr, err := sd.address(rv, field, nullOK)
	return addr, "", err
}

// address decodes one envelope address; with nullOK, "", "<>" and null
// are the null sender.
func (sd *stepDecoder) address(v *yaml.Node, field string, nullOK bool) (string, *Error) {
	rv, err := sd.resolve(v)
	if err != nil {
		return "", err
	}
	if isNull(rv) {
		if nullOK {
			return "", nil
		}
		return "", sd.errAt(rv, field, "needs an address")
	}
	s, err := sd.scalar(rv, field)
	if err != nil {
		return "", err
	}
	a := stripBrackets(strings.TrimSpace(s))
	if a == "" && nullOK {
		return "", nil
	}
	if !validAddress(a) {
		return "", sd.errAt(rv, field, "%q is not an address", s)
	}
	return a, nil
}

// stripBrackets removes one pair of angle brackets around an address.
func stripBrackets(s string) string {
	if len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>' {
		return strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

// validAddress accepts local@domain with a non-empty local part and a
// plausible domain.
func validAddress(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return false
	}
	if hasControl(s) || strings.ContainsAny(s, " <>,") {
		return false
	}
	return validDomain(s[at+1:])
}

// dataStep decodes a data step: `data: file.eml`, `data: {file: x.eml,
// raw: true}` or `data: {inline: "..."}`, with its expect.
func (sd *stepDecoder) dataStep(keyN, v, expectK, expectV *yaml.Node, field, expectField string) (item, *Error) {
	it := item{step: Step{Kind: StepData, Line: keyN.Line}, field: field}
	rv, err := sd.resolve(v)
	if err != nil {
		return it, err
	}
	var (
		fileN, inlineN, chunksN *yaml.Node
		raw, lenient            bool
	)
	switch {
	case rv.Kind == yaml.ScalarNode && !isNull(rv):
		fileN = rv
	case rv.Kind == yaml.MappingNode:
		keys := []string{"file", "inline", "raw", "lenient"}
		if strings.HasSuffix(field, "bdat") {
			keys = append(keys, "chunks")
		}
		pairs, err := sd.mapping(rv, field, "a mapping ("+strings.Join(keys, ", ")+")", keys)
		if err != nil {
			return it, err
		}
		for _, p := range pairs {
			f := child(field, p.key)
			switch p.key {
			case "file":
				fileN = p.value
			case "inline":
				inlineN = p.value
			case "raw":
				if raw, err = sd.boolean(p.value, f); err != nil {
					return it, err
				}
			case "lenient":
				if lenient, err = sd.boolean(p.value, f); err != nil {
					return it, err
				}
			case "chunks":
				items, err := sd.sequence(p.value, f, "a list of chunk sizes in bytes")
				if err != nil {
					return it, err
				}
				chunksN = p.value
				for i, c := range items {
					v, err := sd.integer(c, index(f, i), 0, 1<<31)
					if err != nil {
						return it, err
					}
					it.step.Chunks = append(it.step.Chunks, int(v))
				}
			}
		}
		if (fileN == nil) == (inlineN == nil) {
			return it, sd.errAt(rv, field, "give exactly one of file or inline")
		}
	default:
		return it, sd.errAt(rv, field, "want a message file name or a mapping (file, inline, raw, lenient), got %s", kindName(rv))
	}
	var (
		body   []byte
		source string
		at     = fileN
	)
	if fileN != nil {
		f := field
		if rv.Kind == yaml.MappingNode {
			f = child(field, "file")
		}
		name, b, err := sd.file(fileN, f, "message")
		if err != nil {
			return it, err
		}
		body, source = b, name
	} else {
		at = inlineN
		if body, err = sd.inline(inlineN, child(field, "inline")); err != nil {
			return it, err
		}
		source = "inline"
	}
	msg, env, err := sd.message(at, field, body, source, raw, lenient)
	if err != nil {
		return it, err
	}
	it.step.Message, it.env = msg, env
	total := 0
	for _, c := range it.step.Chunks {
		total += c
	}
	if total > len(msg.Raw) {
		return it, sd.errAt(chunksN, child(field, "chunks"), "the chunks add up to %d bytes, the message has %d (the last chunk carries the rest)", total, len(msg.Raw))
	}
	if expectV != nil {
		if it.step.Expect, err = sd.expect(expectV, expectField); err != nil {
			return it, err
		}
		if it.step.Expect != nil && expectK != nil {
			it.step.Expect.Line = expectK.Line
		}
	}
	return it, nil
}

// file reads the file named by n (relative to the script's folder) and
// keeps it for the script's archive; what says what it holds in errors
// ("message", "chunk").
func (sd *stepDecoder) file(n *yaml.Node, field, what string) (string, []byte, *Error) {
	name, err := sd.scalar(n, field)
	if err != nil {
		return "", nil, err
	}
	if strings.TrimSpace(name) == "" {
		return "", nil, sd.errAt(n, field, "needs a file name")
	}
	if sd.readFile == nil {
		return "", nil, sd.errAt(n, field, "cannot read %s: no file access", name)
	}
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(sd.dir, p)
	}
	b, rerr := sd.readFile(p)
	if rerr != nil {
		var pe *fs.PathError
		if errors.As(rerr, &pe) {
			rerr = pe.Err
		}
		return "", nil, sd.errAt(n, field, "read %s %s: %v", what, name, rerr)
	}
	if !slices.ContainsFunc(sd.files, func(f archivedFile) bool { return f.name == name }) {
		sd.files = append(sd.files, archivedFile{name: name, data: b})
	}
	return name, b, nil
}

// chunk decodes the bytes a raw BDAT command sends after its line, as
// they are: a string (its bytes, no line ending added or changed),
// !!binary (base64), or {file: NAME} (the file's bytes).
func (sd *stepDecoder) chunk(v *yaml.Node, field string) (*Message, *Error) {
	rv, err := sd.resolve(v)
	if err != nil {
		return nil, err
	}
	if rv.Kind == yaml.MappingNode {
		pairs, err := sd.mapping(rv, field, "a mapping (file)", []string{"file"})
		if err != nil {
			return nil, err
		}
		if len(pairs) == 0 {
			return nil, sd.errAt(rv, field, "give the chunk's file")
		}
		name, b, err := sd.file(pairs[0].value, child(field, "file"), "chunk")
		if err != nil {
			return nil, err
		}
		return &Message{Raw: b, Source: name}, nil
	}
	if rv.Kind != yaml.ScalarNode || isNull(rv) {
		return nil, sd.errAt(rv, field, "want the chunk's bytes (a string, !!binary or {file: NAME}), got %s", kindName(rv))
	}
	b, err := sd.inline(rv, field)
	if err != nil {
		return nil, err
	}
	return &Message{Raw: b, Source: "inline"}, nil
}

// inline returns the bytes of an inline message; a !!binary value is
// base64-decoded, so that a script can carry any byte.
func (sd *stepDecoder) inline(n *yaml.Node, field string) ([]byte, *Error) {
	rn, err := sd.resolve(n)
	if err != nil {
		return nil, err
	}
	if rn.Kind == yaml.ScalarNode && rn.ShortTag() == "!!binary" {
		b, derr := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(rn.Value), ""))
		if derr != nil {
			return nil, sd.errAt(rn, field, "bad !!binary value: %v", derr)
		}
		return b, nil
	}
	s, err := sd.scalar(rn, field)
	if err != nil {
		return nil, err
	}
	return []byte(s), nil
}
