package sessions

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// MarshalOptions tunes the script Marshal writes.
type MarshalOptions struct {
	// Comment is written as a block of "# " lines at the top of the
	// script, for example to say where the script came from. Control
	// characters are dropped from it.
	Comment string
	// MessageFile, when set, names the file a message step's message is
	// written to instead of inline (step is its index in Session.Steps;
	// "" keeps that one inline). The script then says `data: NAME` (with
	// raw: true when the message has bare LFs); the caller writes the
	// message's Raw bytes, exactly, into NAME beside the script.
	MessageFile func(step int) string
}

// Marshal writes s as a session script that Parse reads back into an
// equal Session, apart from what only a file gives: Hash, File, Line
// numbers, Implied flags and Message.Source (messages are written inline).
// Every step is written out, the implied ones included, in order, so the
// script is complete and explicit. Messages are written as YAML block
// text when their bytes allow it without loss, else as !!binary.
//
// A Session that no script can express (a string that is not UTF-8
// outside a message, a data step without a message, TLS that contradicts
// the port, anything Parse would refuse) is an error; Marshal checks its
// output by parsing it back and never returns a script that does not parse.
func Marshal(s *Session) ([]byte, error) {
	return MarshalWith(s, MarshalOptions{})
}

// MarshalWith is Marshal with options.
func MarshalWith(s *Session, o MarshalOptions) ([]byte, error) {
	if s == nil {
		return nil, errors.New("sessions: marshal: nil session")
	}
	m := &marshaller{s: s, binary: map[int]bool{}, files: map[string][]byte{}}
	if o.MessageFile != nil {
		for i, st := range s.Steps {
			if name := o.MessageFile(i); name != "" && st.Kind.IsMessage() && st.Message != nil {
				if m.fileOf == nil {
					m.fileOf = map[int]string{}
				}
				m.fileOf[i] = name
				m.files[name] = st.Message.Raw
			}
		}
	}
	if err := m.check(); err != nil {
		return nil, m.errorf("%w", err)
	}
	// Each round either succeeds, or turns one more block-text message
	// into !!binary (or gives up on block text entirely): it ends.
	for range len(s.Steps) + 2 {
		out, err := m.render(o)
		if err != nil {
			return nil, m.errorf("%w", err)
		}
		back, perr := parse("marshal.yaml", out, m.readFile)
		if perr != nil {
			if !m.allBinary && m.usedBlocks > 0 {
				m.allBinary = true
				continue
			}
			return nil, m.errorf("the script would not read back: %v", perr)
		}
		bad, err := m.compareMessages(back)
		if err != nil {
			return nil, m.errorf("%w", err)
		}
		if bad < 0 {
			return out, nil
		}
		if m.binary[bad] || m.allBinary {
			return nil, m.errorf("steps[%d]: the message does not read back byte for byte", bad)
		}
		m.binary[bad] = true
	}
	return nil, m.errorf("the messages do not read back byte for byte")
}

// marshaller holds the state of one Marshal call.
type marshaller struct {
	s *Session
	// binary marks data steps (by step index) whose message must be
	// written as !!binary; allBinary does so for every message.
	binary    map[int]bool
	allBinary bool
	// blocks are the messages rendered as block text in the current
	// round, spliced in after the YAML encoder ran.
	blocks     []block
	usedBlocks int
	salt       int
	// fileOf names the file of each step whose message goes to one
	// (MarshalOptions.MessageFile); files are their bytes by name, which
	// the check that the script reads back reads instead of the disk.
	fileOf map[int]string
	files  map[string][]byte
}

// readFile serves the messages written to files to the read-back check.
func (m *marshaller) readFile(path string) ([]byte, error) {
	if b, ok := m.files[filepath.ToSlash(filepath.Clean(path))]; ok {
		return b, nil
	}
	return nil, fmt.Errorf("%s: %w", path, fs.ErrNotExist)
}

// block is a message to splice into the encoded script in place of a
// placeholder scalar.
type block struct {
	token string
	text  string
}

// errorf wraps an error with the package and the session's name.
func (m *marshaller) errorf(format string, args ...any) error {
	return fmt.Errorf("sessions: marshal %q: "+format, append([]any{m.s.Name}, args...)...)
}

// check refuses what a script cannot express or would read back
// differently; Parse catches the rest when the output is checked.
func (m *marshaller) check() error {
	s := m.s
	if len(s.Steps) == 0 {
		return errors.New("no steps")
	}
	if tls := s.Client.TLS; tls == nil {
		if s.Server.Port == ImplicitTLSPort {
			return fmt.Errorf("server port %d is implicit TLS, but the client has no TLS", ImplicitTLSPort)
		}
		for i, st := range s.Steps {
			if st.Kind == StepStartTLS {
				return fmt.Errorf("steps[%d]: a starttls step needs the client's TLS", i)
			}
		}
	} else if s.Server.Port == ImplicitTLSPort && !tls.Implicit {
		return fmt.Errorf("server port %d is implicit TLS, but client TLS is not implicit", ImplicitTLSPort)
	}
	for i, st := range s.Steps {
		if st.Kind.IsMessage() && st.Message == nil {
			return fmt.Errorf("steps[%d]: %s step without a message", i, st.Kind)
		}
		if e := st.Expect; e != nil {
			for j, list := range [][]ExpectHeader{e.Headers, e.QueuedHeaders} {
				seen := map[string]bool{}
				for _, h := range list {
					if seen[strings.ToLower(h.Name)] {
						return fmt.Errorf("steps[%d].expect.%s: %q twice", i, []string{"headers", "queued_headers"}[j], h.Name)
					}
					seen[strings.ToLower(h.Name)] = true
				}
			}
		}
	}
	return nil
}

// compareMessages checks that every message of back, the parsed output,
// has the bytes of the original; it returns the index of the first step
// whose message differs, or -1.
func (m *marshaller) compareMessages(back *Session) (int, error) {
	if len(back.Steps) != len(m.s.Steps) {
		return -1, fmt.Errorf("the script reads back with %d steps instead of %d", len(back.Steps), len(m.s.Steps))
	}
	for i, st := range m.s.Steps {
		if !st.Kind.IsMessage() && (st.Kind != StepRaw || st.Message == nil) {
			continue
		}
		if bm := back.Steps[i].Message; bm == nil || !bytes.Equal(bm.Raw, st.Message.Raw) {
			return i, nil
		}
	}
	return -1, nil
}

// render encodes the session once, with the current choice of message forms.
func (m *marshaller) render(o MarshalOptions) ([]byte, error) {
	for attempt := 0; attempt < 8; attempt++ {
		m.blocks, m.usedBlocks = nil, 0
		root, err := m.root()
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, HeadComment: commentText(o.Comment), Content: []*yaml.Node{root}}); err != nil {
			return nil, fmt.Errorf("encode: %w", err)
		}
		if err := enc.Close(); err != nil {
			return nil, fmt.Errorf("encode: %w", err)
		}
		out, ok := spliceBlocks(buf.Bytes(), m.blocks)
		if ok {
			return out, nil
		}
		// A placeholder also occurs elsewhere in the text: pick others.
		m.salt++
	}
	return nil, errors.New("cannot place the messages in the script")
}

// root builds the top-level mapping: name, description, client, server, steps.
func (m *marshaller) root() (*yaml.Node, error) {
	s := m.s
	root := mapNode(0)
	if s.Name != "" {
		if err := checkText("name", s.Name); err != nil {
			return nil, err
		}
		root.Content = append(root.Content, strNode("name"), strNode(s.Name))
	}
	if s.Description != "" {
		if err := checkText("description", s.Description); err != nil {
			return nil, err
		}
		d := strNode(s.Description)
		if strings.Contains(s.Description, "\n") {
			d.Style = yaml.LiteralStyle
		}
		root.Content = append(root.Content, strNode("description"), d)
	}
	client, err := clientNode(s.Client)
	if err != nil {
		return nil, err
	}
	server, err := serverNode(s.Server)
	if err != nil {
		return nil, err
	}
	steps := seqNode(0)
	for i, st := range s.Steps {
		n, err := m.step(i, st)
		if err != nil {
			return nil, fmt.Errorf("steps[%d]: %w", i, err)
		}
		steps.Content = append(steps.Content, n)
	}
	root.Content = append(root.Content, strNode("client"), client, strNode("server"), server)
	if len(s.Hooks) > 0 {
		hooks, err := hooksNode(s.Hooks)
		if err != nil {
			return nil, err
		}
		root.Content = append(root.Content, strNode("hooks"), hooks)
	}
	if s.NoImply {
		root.Content = append(root.Content, strNode("imply"), boolNode(false))
	}
	root.Content = append(root.Content, strNode("steps"), steps)
	return root, nil
}

// clientNode writes the client section, every field explicit but an
// empty PTR (which is the default, no reverse DNS name).
func clientNode(c Client) (*yaml.Node, error) {
	n := mapNode(0)
	if err := checkText("client.ip", c.IP); err != nil {
		return nil, err
	}
	n.Content = append(n.Content, strNode("ip"), strNode(c.IP), strNode("port"), intNode(int64(c.Port)))
	if c.PTR != "" {
		if err := checkText("client.ptr", c.PTR); err != nil {
			return nil, err
		}
		n.Content = append(n.Content, strNode("ptr"), strNode(c.PTR))
	}
	if c.IPRev != "" {
		n.Content = append(n.Content, strNode("iprev"), strNode(c.IPRev))
	}
	if t := c.TLS; t != nil {
		if err := checkText("client.tls.version", t.Version); err != nil {
			return nil, err
		}
		if err := checkText("client.tls.cipher", t.Cipher); err != nil {
			return nil, err
		}
		tls := mapNode(yaml.FlowStyle, strNode("version"), strNode(t.Version), strNode("cipher"), strNode(t.Cipher),
			strNode("implicit"), boolNode(t.Implicit))
		n.Content = append(n.Content, strNode("tls"), tls)
	}
	return n, nil
}

// serverNode writes the server section.
func serverNode(sv Server) (*yaml.Node, error) {
	for _, f := range []struct{ name, v string }{{"server.hostname", sv.Hostname}, {"server.ip", sv.IP}} {
		if err := checkText(f.name, f.v); err != nil {
			return nil, err
		}
	}
	n := mapNode(0, strNode("hostname"), strNode(sv.Hostname))
	if sv.Name != "" {
		if err := checkText("server.name", sv.Name); err != nil {
			return nil, err
		}
		n.Content = append(n.Content, strNode("name"), strNode(sv.Name))
	}
	n.Content = append(n.Content, strNode("ip"), strNode(sv.IP), strNode("port"), intNode(int64(sv.Port)))
	if sv.ReverseIPVerify != "" {
		n.Content = append(n.Content, strNode("reverseIpVerify"), strNode(sv.ReverseIPVerify))
	}
	if sv.MaxReceivedHeaders > 0 {
		n.Content = append(n.Content, strNode("maxReceivedHeaders"), intNode(int64(sv.MaxReceivedHeaders)))
	}
	for _, lim := range []struct {
		key string
		v   int64
	}{{"maxMessageSize", sv.MaxMessageSize}, {"maxRecipients", int64(sv.MaxRecipients)}, {"maxMessages", int64(sv.MaxMessages)}} {
		if lim.v > 0 {
			n.Content = append(n.Content, strNode(lim.key), intNode(lim.v))
		}
	}
	n.Content = append(n.Content, stageNodes(sv)...)
	if ext := extensionsNode(sv.Extensions); ext != nil {
		n.Content = append(n.Content, strNode("extensions"), ext)
	}
	if len(sv.LocalDomains) > 0 {
		list, err := strSeq("server.local_domains", sv.LocalDomains)
		if err != nil {
			return nil, err
		}
		n.Content = append(n.Content, strNode("local_domains"), list)
	}
	for _, set := range sv.AddHeaders.Settings() {
		if *set.Value != nil {
			n.Content = append(n.Content, strNode(set.Name), boolNode(**set.Value))
		}
	}
	return n, nil
}

// step writes one step in its most compact form: a bare name when it
// takes no value and has no expect, else a one-key mapping plus expect.
func (m *marshaller) step(i int, st Step) (*yaml.Node, error) {
	var value *yaml.Node
	switch st.Kind {
	case StepConnect, StepStartTLS, StepRset, StepNoop, StepQuit:
	case StepHelo, StepEhlo:
		if st.Arg != "" {
			if err := checkText(string(st.Kind), st.Arg); err != nil {
				return nil, err
			}
			value = strNode(st.Arg)
		}
	case StepAuth:
		v, err := authNode(st)
		if err != nil {
			return nil, err
		}
		value = v
	case StepMail, StepRcpt:
		v, err := addressNode(st)
		if err != nil {
			return nil, err
		}
		value = v
	case StepData, StepBdat:
		v, err := m.dataNode(i, st.Message)
		if err != nil {
			return nil, err
		}
		if st.Kind == StepBdat && len(st.Chunks) > 0 {
			chunks := seqNode(yaml.FlowStyle)
			for _, c := range st.Chunks {
				chunks.Content = append(chunks.Content, intNode(int64(c)))
			}
			v.Content = append(v.Content, strNode("chunks"), chunks)
		}
		value = v
	case StepRaw:
		if err := checkText("raw", st.Arg); err != nil {
			return nil, err
		}
		value = quoted(st.Arg) // a command line, as the docs write it
	default:
		return nil, fmt.Errorf("unknown step kind %q", st.Kind)
	}
	if value == nil && st.Expect == nil {
		return strNode(string(st.Kind)), nil
	}
	if value == nil {
		value = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"} // written as "- connect:"
	}
	n := mapNode(0, strNode(string(st.Kind)), value)
	if st.Kind == StepRaw && st.Message != nil {
		// A raw BDAT command's chunk: its bytes exactly, as a quoted
		// string when they are text, else (or when that does not read
		// back) !!binary.
		chunk := binaryNode(st.Message.Raw)
		if !m.binary[i] && !m.allBinary && utf8.Valid(st.Message.Raw) {
			chunk = &yaml.Node{Kind: yaml.ScalarNode, Style: yaml.DoubleQuotedStyle, Value: string(st.Message.Raw)}
		}
		n.Content = append(n.Content, strNode("chunk"), chunk)
	}
	if st.Expect != nil {
		e, err := expectNode(st.Expect)
		if err != nil {
			return nil, fmt.Errorf("expect: %w", err)
		}
		n.Content = append(n.Content, strNode("expect"), e)
	}
	if st.Kind.IsMessage() && st.Message.Source != "" && st.Message.Source != "inline" {
		n.HeadComment = commentText("message: " + st.Message.Source)
	}
	return n, nil
}

// hooksNode writes the hook settings, each key in Stalwart's MtaHook
// name, leaving out what is not set.
func hooksNode(hooks []Hook) (*yaml.Node, error) {
	list := seqNode(0)
	for i, h := range hooks {
		field := fmt.Sprintf("hooks[%d]", i)
		n := mapNode(0)
		add := func(k string, v *yaml.Node) { n.Content = append(n.Content, strNode(k), v) }
		for _, f := range []struct{ k, v string }{{"id", h.ID}, {"url", h.URL}, {"enable", h.Enable}} {
			if f.v == "" {
				continue
			}
			if err := checkText(field+"."+f.k, f.v); err != nil {
				return nil, err
			}
			add(f.k, strNode(f.v))
		}
		if h.Stages != nil {
			st, err := strSeq(field+".stages", h.Stages)
			if err != nil {
				return nil, err
			}
			add("stages", st)
		}
		if h.Timeout > 0 {
			if h.Timeout%time.Millisecond == 0 {
				add("timeout", intNode(h.Timeout.Milliseconds()))
			} else {
				add("timeout", strNode(h.Timeout.String()))
			}
		}
		if h.TempFailOnError != nil {
			add("tempFailOnError", boolNode(*h.TempFailOnError))
		}
		if h.MaxResponseSize > 0 {
			add("maxResponseSize", intNode(h.MaxResponseSize))
		}
		if h.AllowInvalidCerts {
			add("allowInvalidCerts", boolNode(true))
		}
		if len(h.HTTPHeaders) > 0 {
			hs, err := strSeq(field+".httpHeaders", h.HTTPHeaders)
			if err != nil {
				return nil, err
			}
			add("httpHeaders", hs)
		}
		if h.HTTPAuth != "" {
			add("httpAuth", strNode(h.HTTPAuth))
		}
		list.Content = append(list.Content, n)
	}
	return list, nil
}

// authNode writes `auth: login`, or the mapping when there is more to say.
func authNode(st Step) (*yaml.Node, error) {
	if err := checkText("auth.login", st.Login); err != nil {
		return nil, err
	}
	if st.Password == "" && !st.AuthFail && st.Mechanism == "" && !st.Prompted && st.Addresses == nil {
		return strNode(st.Login), nil
	}
	n := mapNode(yaml.FlowStyle, strNode("login"), strNode(st.Login))
	if st.Password != "" {
		if err := checkText("auth.password", st.Password); err != nil {
			return nil, err
		}
		n.Content = append(n.Content, strNode("password"), strNode(st.Password))
	}
	if st.AuthFail {
		n.Content = append(n.Content, strNode("fail"), boolNode(true))
	}
	if st.Mechanism != "" {
		n.Content = append(n.Content, strNode("mechanism"), strNode(st.Mechanism))
	}
	if st.Prompted {
		n.Content = append(n.Content, strNode("prompted"), boolNode(true))
	}
	if st.Addresses != nil {
		list, err := strSeq("auth.addresses", st.Addresses)
		if err != nil {
			return nil, err
		}
		list.Style = yaml.FlowStyle
		n.Content = append(n.Content, strNode("addresses"), list)
	}
	return n, nil
}

// addressNode writes a mail or rcpt address ("<>" for the null sender),
// as {address, params} when there are parameters.
func addressNode(st Step) (*yaml.Node, error) {
	addr := st.Arg
	if addr == "" {
		addr = "<>"
	}
	if err := checkText(string(st.Kind), addr); err != nil {
		return nil, err
	}
	if st.Params == "" {
		return quoted(addr), nil
	}
	if err := checkText(string(st.Kind)+".params", st.Params); err != nil {
		return nil, err
	}
	return mapNode(yaml.FlowStyle, strNode("address"), quoted(addr), strNode("params"), strNode(st.Params)), nil
}

// dataNode writes a data step's message inline, with raw and lenient
// when Parse needs them to rebuild the same bytes.
func (m *marshaller) dataNode(i int, msg *Message) (*yaml.Node, error) {
	if name, ok := m.fileOf[i]; ok {
		n := mapNode(0, strNode("file"), strNode(name))
		if hasBareLF(msg.Raw) {
			n.Content = append(n.Content, strNode("raw"), boolNode(true))
		}
		if err := lenientFlag(n, msg.Raw); err != nil {
			return nil, err
		}
		if len(n.Content) == 2 && m.s.Steps[i].Kind == StepData {
			return strNode(name), nil // data: NAME
		}
		return n, nil
	}
	f, err := messageFormOf(msg.Raw)
	if err != nil {
		return nil, err
	}
	var inline *yaml.Node
	if f.block && !m.binary[i] && !m.allBinary {
		// The token ends in "-end" so that no token is a prefix of
		// another (block 1's of block 10's), which spliceBlocks counts.
		token := "hooksim-inline-" + strconv.Itoa(m.salt) + "-" + strconv.Itoa(len(m.blocks)) + "-end"
		m.blocks = append(m.blocks, block{token: token, text: f.text})
		m.usedBlocks++
		inline = strNode(token)
	} else {
		// Parse turns bare LFs into CRLF unless raw is set.
		inline = binaryNode(msg.Raw)
		f.raw = hasBareLF(msg.Raw)
	}
	n := mapNode(0, strNode("inline"), inline)
	if f.raw {
		n.Content = append(n.Content, strNode("raw"), boolNode(true))
	}
	if err := lenientFlag(n, msg.Raw); err != nil {
		return nil, err
	}
	return n, nil
}

// lenientFlag adds lenient: true to a message's node when enmime reads
// raw only leniently; a message it cannot read at all is an error.
func lenientFlag(n *yaml.Node, raw []byte) error {
	if _, _, err := ParseMIME(raw, false); err != nil {
		if _, _, lerr := ParseMIME(raw, true); lerr != nil {
			return fmt.Errorf("data: message %v", lerr)
		}
		n.Content = append(n.Content, strNode("lenient"), boolNode(true))
	}
	return nil
}

// messageForm is how a message is written: as block text (text, with
// raw: true when Parse must keep its line endings) or as !!binary.
type messageForm struct {
	block bool
	text  string
	raw   bool
}

// messageFormOf picks the form of a message. Its bytes end in CRLF (the
// CRLF of the terminating CRLF.CRLF, which Parse adds back).
//
//   - Only CRLF line endings: the text with LF endings, which Parse turns
//     back into CRLF.
//   - Bare LFs and no CR but the final CRLF: the text without that CRLF,
//     with raw: true (Parse keeps the LFs and adds the CRLF).
//   - Anything else (a bare CR, CRs next to bare LFs): !!binary.
//
// Text that is not UTF-8 or holds characters a YAML block cannot carry
// (control characters but tab, line separators, a BOM) is !!binary too.
func messageFormOf(raw []byte) (messageForm, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return messageForm{}, errors.New("data: the message is empty")
	}
	if !bytes.HasSuffix(raw, []byte("\r\n")) {
		return messageForm{}, errors.New("data: the message does not end in CRLF")
	}
	var f messageForm
	switch body := raw[:len(raw)-2]; {
	case crlfOnly(raw):
		f.text = strings.ReplaceAll(string(raw), "\r\n", "\n")
	case !bytes.ContainsRune(body, '\r'):
		f.text, f.raw = string(body), true
	default:
		return messageForm{}, nil
	}
	f.block = blockSafe(f.text)
	return f, nil
}

// crlfOnly reports whether every CR of b starts a CRLF and every LF ends one.
func crlfOnly(b []byte) bool {
	for i, c := range b {
		switch c {
		case '\r':
			if i+1 >= len(b) || b[i+1] != '\n' {
				return false
			}
		case '\n':
			if i == 0 || b[i-1] != '\r' {
				return false
			}
		}
	}
	return true
}

// hasBareLF reports whether b has an LF that does not end a CRLF.
func hasBareLF(b []byte) bool {
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			return true
		}
	}
	return false
}

// blockSafe reports whether s can be written as a YAML literal block and
// read back unchanged: valid UTF-8, and only characters YAML calls
// printable, tab and LF, without the YAML 1.1 line separators (NEL, LS,
// PS) and the byte order mark.
func blockSafe(s string) bool {
	if !utf8.ValidString(s) || strings.TrimSpace(s) == "" {
		return false
	}
	for _, r := range s {
		switch {
		case r == '\t', r == '\n', r >= 0x20 && r <= 0x7e:
		case r == 0x2028, r == 0x2029, r == 0xfeff:
			return false
		case r >= 0xa0 && r <= 0xd7ff, r >= 0xe000 && r <= 0xfffd, r >= 0x10000 && r <= utf8.MaxRune:
		default:
			return false
		}
	}
	return true
}

// spliceBlocks replaces each block's placeholder, the value of an
// `inline:` key, with the block's text as a literal block scalar. It
// reports false when a placeholder is not found exactly once there.
func spliceBlocks(out []byte, blocks []block) ([]byte, bool) {
	const key = "inline: "
	for _, b := range blocks {
		tok := []byte(b.token)
		if bytes.Count(out, tok) != 1 {
			return nil, false
		}
		at := bytes.Index(out, tok)
		end := at + len(tok)
		if at < len(key) || string(out[at-len(key):at]) != key || (end < len(out) && out[end] != '\n') {
			return nil, false
		}
		lineStart := bytes.LastIndexByte(out[:at], '\n') + 1
		col := at - len(key) - lineStart
		lit := literalBlock(b.text, col)
		out = append(out[:at:at], append([]byte(lit), out[end:]...)...)
	}
	return out, true
}

// literalBlockIndent is how far the text of a message is indented from
// its `inline:` key.
const literalBlockIndent = 2

// literalBlock writes text as a literal block scalar (without the final
// line break, which the document has) for a key at column col: the header
// with the chomping indicator ("-" no final newline, none for one, "+"
// for more) and an indentation indicator when the first line starts with
// a space or a tab (which yaml.v3 refuses where it detects the
// indentation), then each line indented, empty lines left empty.
func literalBlock(text string, col int) string {
	var b strings.Builder
	b.WriteByte('|')
	body := text
	chomp := "-"
	if strings.HasSuffix(text, "\n") {
		body = text[:len(text)-1]
		chomp = ""
		if body == "" || strings.HasSuffix(body, "\n") {
			chomp = "+"
		}
	}
	lines := strings.Split(body, "\n")
	for _, l := range lines {
		if l != "" {
			if l[0] == ' ' || l[0] == '\t' {
				b.WriteString(strconv.Itoa(literalBlockIndent))
			}
			break
		}
	}
	b.WriteString(chomp)
	pad := strings.Repeat(" ", col+literalBlockIndent)
	for _, l := range lines {
		b.WriteByte('\n')
		if l != "" {
			b.WriteString(pad)
			b.WriteString(l)
		}
	}
	return b.String()
}

// expectNode writes an expect block: a flow mapping on one line when it
// only holds short scalars, else a block mapping in the documented order.
func expectNode(e *Expect) (*yaml.Node, error) {
	n := mapNode(0)
	add := func(k string, v *yaml.Node) { n.Content = append(n.Content, strNode(k), v) }
	if e.Action != "" {
		add("action", strNode(e.Action))
	}
	if e.Reply != "" {
		if err := checkText("reply", e.Reply); err != nil {
			return nil, err
		}
		reply := strNode(e.Reply)
		reply.Style = yaml.DoubleQuotedStyle
		add("reply", reply)
	}
	if e.Code != 0 {
		add("code", intNode(int64(e.Code)))
	}
	if e.ReplyMatch != nil {
		src := e.ReplyMatch.String()
		if err := checkText("reply_matches", src); err != nil {
			return nil, err
		}
		re := strNode(src)
		re.Style = yaml.SingleQuotedStyle
		add("reply_matches", re)
	}
	if e.Modifications != nil {
		list := seqNode(0)
		for i, mod := range e.Modifications {
			mn, err := modificationNode(mod)
			if err != nil {
				return nil, fmt.Errorf("modifications[%d]: %w", i, err)
			}
			list.Content = append(list.Content, mn)
		}
		add("modifications", list)
	}
	if env := e.Envelope; env != nil {
		en, err := envelopeNode(env)
		if err != nil {
			return nil, err
		}
		add("envelope", en)
	}
	if e.Delivered != nil {
		add("delivered", boolNode(*e.Delivered))
	}
	for _, hs := range []struct {
		key  string
		list []ExpectHeader
	}{{"headers", e.Headers}, {"queued_headers", e.QueuedHeaders}} {
		if hs.list == nil {
			continue
		}
		hn := mapNode(0)
		for _, h := range hs.list {
			if err := checkText(hs.key, h.Name); err != nil {
				return nil, err
			}
			v, err := headerExpectNode(hs.key, h)
			if err != nil {
				return nil, err
			}
			hn.Content = append(hn.Content, strNode(h.Name), v)
		}
		add(hs.key, hn)
	}
	if e.BodyContains != nil {
		if len(e.BodyContains) == 1 {
			if err := checkText("body_contains", e.BodyContains[0]); err != nil {
				return nil, err
			}
			add("body_contains", strNode(e.BodyContains[0]))
		} else {
			list, err := strSeq("body_contains", e.BodyContains)
			if err != nil {
				return nil, err
			}
			add("body_contains", list)
		}
	}
	if e.Lints != nil {
		list, err := strSeq("lints", e.Lints)
		if err != nil {
			return nil, err
		}
		add("lints", list)
	}
	if w, ok := flowWidth(n.Content); ok && w <= maxFlowExpect {
		n.Style = yaml.FlowStyle
	}
	return n, nil
}

// headerExpectNode writes what is expected of one header: null (absent),
// the value (one occurrence), a list (every occurrence) or {count, matches}.
func headerExpectNode(key string, h ExpectHeader) (*yaml.Node, error) {
	field := key + "." + h.Name
	switch {
	case h.Absent:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	case len(h.Values) == 1 && h.Count == nil && h.Matches == nil:
		if err := checkText(field, h.Values[0]); err != nil {
			return nil, err
		}
		return strNode(h.Values[0]), nil
	case len(h.Values) > 1 && h.Count == nil && h.Matches == nil:
		return strSeq(field, h.Values)
	case len(h.Values) == 0 && (h.Count != nil || h.Matches != nil):
		n := mapNode(yaml.FlowStyle)
		if h.Count != nil {
			n.Content = append(n.Content, strNode("count"), intNode(int64(*h.Count)))
		}
		if h.Matches != nil {
			src := h.Matches.String()
			if err := checkText(field+".matches", src); err != nil {
				return nil, err
			}
			re := strNode(src)
			re.Style = yaml.SingleQuotedStyle
			n.Content = append(n.Content, strNode("matches"), re)
		}
		return n, nil
	}
	return nil, fmt.Errorf("%s: give either values, absence, or count/matches", field)
}

// maxFlowExpect is the longest text (keys and values) of an expect
// written on one line as a flow mapping.
const maxFlowExpect = 60

// flowWidth is the length of the keys and values of a mapping's content,
// and whether they are all one-line scalars (so it can be one flow line).
func flowWidth(content []*yaml.Node) (int, bool) {
	w := 0
	for _, c := range content {
		if c.Kind != yaml.ScalarNode || strings.ContainsAny(c.Value, "\n\r") {
			return 0, false
		}
		w += len(c.Value)
	}
	return w, true
}

// modificationNode writes one expected modification as a flow mapping.
func modificationNode(mod ExpectModification) (*yaml.Node, error) {
	n := mapNode(yaml.FlowStyle)
	for _, f := range []struct{ k, v string }{{"type", mod.Type}, {"name", mod.Name}, {"value", mod.Value}} {
		if f.v == "" {
			continue
		}
		if err := checkText(f.k, f.v); err != nil {
			return nil, err
		}
		n.Content = append(n.Content, strNode(f.k), strNode(f.v))
	}
	if mod.Index != nil {
		n.Content = append(n.Content, strNode("index"), intNode(int64(*mod.Index)))
	}
	if mod.Parameters != nil {
		pn := mapNode(yaml.FlowStyle)
		seen := map[string]string{}
		for _, k := range slices.Sorted(maps.Keys(mod.Parameters)) {
			if err := checkText("parameters", k); err != nil {
				return nil, err
			}
			if prev, ok := seen[ParameterKeyFold(k)]; ok {
				return nil, fmt.Errorf("parameters: %q and %q differ only in case (ESMTP keywords compare case-insensitively)", prev, k)
			}
			seen[ParameterKeyFold(k)] = k
			v := mod.Parameters[k]
			vn := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
			if v != nil {
				if err := checkText("parameters."+k, *v); err != nil {
					return nil, err
				}
				vn = strNode(*v)
			}
			pn.Content = append(pn.Content, strNode(k), vn)
		}
		n.Content = append(n.Content, strNode("parameters"), pn)
	}
	return n, nil
}

// envelopeNode writes {from, to}; the null sender is "<>".
func envelopeNode(env *ExpectEnvelope) (*yaml.Node, error) {
	n := mapNode(yaml.FlowStyle)
	if env.From != nil {
		from := *env.From
		if from == "" {
			from = "<>"
		}
		if err := checkText("envelope.from", from); err != nil {
			return nil, err
		}
		n.Content = append(n.Content, strNode("from"), quoted(from))
	}
	if env.To != nil {
		list, err := strSeq("envelope.to", env.To)
		if err != nil {
			return nil, err
		}
		n.Content = append(n.Content, strNode("to"), list)
	}
	return n, nil
}

// checkText refuses a string a script can only carry as !!binary, which
// Parse allows for messages alone.
func checkText(field, v string) error {
	if !utf8.ValidString(v) {
		return fmt.Errorf("%s: %q is not valid UTF-8", field, v)
	}
	return nil
}

// commentText turns free text into comment lines for a yaml.Node, one
// "# " line per line, control characters dropped.
func commentText(text string) string {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	if text == "" {
		return ""
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		l = strings.TrimRight(strings.Map(func(r rune) rune {
			if r == '\t' {
				return ' '
			}
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 || r == 0xfeff || r == utf8.RuneError {
				return -1
			}
			return r
		}, l), " ")
		if l == "" {
			lines[i] = "#"
		} else {
			lines[i] = "# " + l
		}
	}
	return strings.Join(lines, "\n")
}

// yaml11Words are plain scalars that YAML 1.1 readers take for booleans;
// they are quoted so that the script means the same to every reader.
var yaml11Words = map[string]bool{"y": true, "n": true, "yes": true, "no": true, "on": true, "off": true}

// strNode is a string scalar; the encoder quotes it when needed.
func strNode(v string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
	if yaml11Words[strings.ToLower(v)] {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// quoted is a string scalar in double quotes when that reads better
// ("<>", a raw command line); the encoder escapes what needs it.
func quoted(v string) *yaml.Node {
	n := strNode(v)
	if v == "<>" || strings.ContainsRune(v, ' ') {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// intNode is an integer scalar.
func intNode(v int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v, 10)}
}

// boolNode is a boolean scalar.
func boolNode(v bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}
}

// binaryNode is a !!binary scalar: base64 in lines of 76 characters.
func binaryNode(b []byte) *yaml.Node {
	enc := base64.StdEncoding.EncodeToString(b)
	var lines []string
	for len(enc) > 76 {
		lines = append(lines, enc[:76])
		enc = enc[76:]
	}
	lines = append(lines, enc)
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!binary", Value: strings.Join(lines, "\n")}
	if len(lines) > 1 {
		n.Style = yaml.LiteralStyle
	}
	return n
}

// mapNode is a mapping of the given style with key/value nodes.
func mapNode(style yaml.Style, kv ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: style, Content: kv}
}

// seqNode is a sequence of the given style.
func seqNode(style yaml.Style, items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: style, Content: items}
}

// strSeq is a flow list of strings (an empty list is written []).
func strSeq(field string, vs []string) (*yaml.Node, error) {
	n := seqNode(yaml.FlowStyle)
	for i, v := range vs {
		if err := checkText(fmt.Sprintf("%s[%d]", field, i), v); err != nil {
			return nil, err
		}
		n.Content = append(n.Content, strNode(v))
	}
	return n, nil
}
