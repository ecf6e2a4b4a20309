package sessions

import (
	"bytes"
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

// mapReader serves message files from memory.
func mapReader(files map[string]string) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		if b, ok := files[p]; ok {
			return []byte(b), nil
		}
		return nil, fmt.Errorf("open %s: %w", p, fs.ErrNotExist)
	}
}

// summary renders the steps compactly: kind, (arg), * when implied, @line.
func summary(steps []Step) string {
	var parts []string
	for _, st := range steps {
		s := string(st.Kind)
		if st.Arg != "" || st.Kind == StepMail {
			s += "(" + st.Arg + ")"
		}
		if st.Implied {
			s += "*"
		}
		parts = append(parts, fmt.Sprintf("%s@%d", s, st.Line))
	}
	return strings.Join(parts, " ")
}

const (
	msgFull   = "From: Alice <alice@example.net>\nTo: bob@example.org, Carol <carol@Other.example>\nCc: dan@example.org\nBcc: BOB@example.org, eve@hidden.example\nSubject: hi\n\nhello\n"
	msgSender = "Sender: list@lists.example\nTo: bob@example.org\nSubject: hi\n\nhello\n"
	msgNoFrom = "To: bob@example.org\nSubject: hi\n\nhello\n"
	msgNoRcpt = "From: alice@example.net\nSubject: hi\n\nhello\n"
	msgBadTo  = "From: alice@example.net\nTo: undisclosed-recipients:;\nSubject: hi\n\nhello\n"
)

func TestImpliedSteps(t *testing.T) {
	t.Parallel()
	files := map[string]string{"full.eml": msgFull, "sender.eml": msgSender, "nofrom.eml": msgNoFrom, "norcpt.eml": msgNoRcpt, "badto.eml": msgBadTo}
	tests := []struct {
		name, script, want string
	}{
		{"top-level data", "data: full.eml\n",
			"connect*@1 ehlo(client.example.net)*@1 mail(alice@example.net)*@1 rcpt(bob@example.org)*@1 rcpt(carol@Other.example)*@1 rcpt(dan@example.org)*@1 rcpt(eve@hidden.example)*@1 data@1 quit*@1"},
		{"ptr names the ehlo", "client: {ptr: relay.example.net}\nsteps:\n  - data: nofrom.eml\n",
			"connect*@3 ehlo(relay.example.net)*@3 mail()*@3 rcpt(bob@example.org)*@3 data@3 quit*@3"},
		{"sender when no from", "steps: [{data: sender.eml}]\n",
			"connect*@1 ehlo(client.example.net)*@1 mail(list@lists.example)*@1 rcpt(bob@example.org)*@1 data@1 quit*@1"},
		{"explicit envelope kept", "steps:\n  - ehlo: me.example\n  - mail: x@example.net\n  - rcpt: y@example.org\n  - data: full.eml\n  - quit\n",
			"connect*@2 ehlo(me.example)@2 mail(x@example.net)@3 rcpt(y@example.org)@4 data@5 quit@6"},
		{"rcpt without mail: mail goes first", "steps:\n  - rcpt: y@example.org\n  - data: full.eml\n",
			"connect*@2 ehlo(client.example.net)*@3 mail(alice@example.net)*@3 rcpt(y@example.org)@2 data@3 quit*@3"},
		{"mail without rcpt, then a bare data", "steps:\n  - mail: x@example.net\n  - data: nofrom.eml\n  - data: sender.eml\n",
			"connect*@2 ehlo(client.example.net)*@2 mail(x@example.net)@2 rcpt(bob@example.org)*@3 data@3 mail(list@lists.example)*@4 rcpt(bob@example.org)*@4 data@4 quit*@4"},
		{"rset starts a new transaction", "steps:\n  - mail: x@example.net\n  - rcpt: y@example.org\n  - rset\n  - data: nofrom.eml\n",
			"connect*@2 ehlo(client.example.net)*@2 mail(x@example.net)@2 rcpt(y@example.org)@3 rset@4 mail()*@5 rcpt(bob@example.org)*@5 data@5 quit*@5"},
		{"bare ehlo gets the default name", "steps: [connect, ehlo, helo, quit]\n",
			"connect@1 ehlo(client.example.net)@1 helo(client.example.net)@1 quit@1"},
		{"no ehlo implied without mail or data", "steps:\n  - rcpt: y@example.org\n  - raw: MAIL FROM:<a@b.example>\n",
			"connect*@2 rcpt(y@example.org)@2 raw(MAIL FROM:<a@b.example>)@3 quit*@3"},
		{"ehlo before starttls when a mail follows", "steps:\n  - starttls\n  - mail: x@example.net\n",
			"connect*@2 ehlo(client.example.net)*@3 starttls@2 mail(x@example.net)@3 quit*@3"},
		{"each connection gets its ehlo", "steps:\n  - mail: x@example.net\n  - quit\n  - connect\n  - mail: x@example.net\n",
			"connect*@2 ehlo(client.example.net)*@2 mail(x@example.net)@2 quit@3 connect@4 ehlo(client.example.net)*@5 mail(x@example.net)@5 quit*@5"},
		{"starttls keeps the transaction", "steps:\n  - ehlo: me.example\n  - mail: x@example.net\n  - starttls\n  - data: nofrom.eml\n",
			"connect*@2 ehlo(me.example)@2 mail(x@example.net)@3 starttls@4 rcpt(bob@example.org)*@5 data@5 quit*@5"},
		{"helo counts as greeting", "steps:\n  - helo: old.example\n  - data: nofrom.eml\n",
			"connect*@2 helo(old.example)@2 mail()*@3 rcpt(bob@example.org)*@3 data@3 quit*@3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := Parse("t.yaml", []byte(tt.script), mapReader(files))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := summary(s.Steps); got != tt.want {
				t.Errorf("steps\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func TestImpliedStepErrors(t *testing.T) {
	t.Parallel()
	files := map[string]string{"norcpt.eml": msgNoRcpt, "badto.eml": msgBadTo, "badfrom.eml": "From: not an address\nTo: a@example.org\n\nx\n"}
	tests := []struct{ script, want string }{
		{"data: norcpt.eml\n", "t.yaml:1: data: no rcpt step, and the message has no To, Cc or Bcc address"},
		{"steps:\n  - mail: a@example.net\n  - data: norcpt.eml\n", "t.yaml:3: steps[1].data: no rcpt step, and the message has no To, Cc or Bcc address"},
		{"data: badto.eml\n", "t.yaml:1: data: no rcpt step, and the message has no To, Cc or Bcc address"},
		{"data: badfrom.eml\n", `t.yaml:1: data: no mail step, and the message's From header "not an address": mail: no angle-addr`},
	}
	for _, tt := range tests {
		_, err := Parse("t.yaml", []byte(tt.script), mapReader(files))
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q)\n got: %v\nwant: %s", tt.script, err, tt.want)
		}
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	files := map[string]string{"m.eml": msgFull}
	tests := []struct {
		name, script       string
		port               uint16
		tls                string
		local              string
		clientIP, serverIP string
	}{
		{"all defaults", "data: m.eml\n", 25, "<nil>", "example.org other.example hidden.example", "192.0.2.25", "192.0.2.10"},
		{"port 465 is implicit", "server: {port: 465}\ndata: m.eml\n", 465, "TLSv1.3/TLS13_AES_256_GCM_SHA384/implicit", "example.org other.example hidden.example", "192.0.2.25", "192.0.2.10"},
		{"tls true", "client: {tls: true}\ndata: m.eml\n", 25, "TLSv1.3/TLS13_AES_256_GCM_SHA384/", "example.org other.example hidden.example", "192.0.2.25", "192.0.2.10"},
		{"tls false is no tls", "client: {tls: false}\ndata: m.eml\n", 25, "<nil>", "example.org other.example hidden.example", "192.0.2.25", "192.0.2.10"},
		{"implicit without port", "client: {tls: {implicit: true, version: TLSv1.2}}\ndata: m.eml\n", 465, "TLSv1.2/TLS13_AES_256_GCM_SHA384/implicit", "example.org other.example hidden.example", "192.0.2.25", "192.0.2.10"},
		{"implicit on another port", "client: {tls: {implicit: true}}\nserver: {port: 10465}\ndata: m.eml\n", 10465, "TLSv1.3/TLS13_AES_256_GCM_SHA384/implicit", "example.org other.example hidden.example", "192.0.2.25", "192.0.2.10"},
		{"starttls step gets a tls", "steps: [ehlo, starttls, {data: m.eml}]\n", 25, "TLSv1.3/TLS13_AES_256_GCM_SHA384/", "example.org other.example hidden.example", "192.0.2.25", "192.0.2.10"},
		{"local domains given", "server: {local_domains: [Example.NET]}\ndata: m.eml\n", 25, "<nil>", "example.net", "192.0.2.25", "192.0.2.10"},
		{"explicit rcpts only", "steps: [{rcpt: [a@Z.example, b@y.example, c@z.example]}, {data: m.eml}]\n", 25, "<nil>", "z.example y.example", "192.0.2.25", "192.0.2.10"},
		{"ips canonical", "client: {ip: \"2001:DB8::0:1\"}\nserver: {ip: 10.0.0.1}\ndata: m.eml\n", 25, "<nil>", "example.org other.example hidden.example", "2001:db8::1", "10.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := Parse("t.yaml", []byte(tt.script), mapReader(files))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tls := "<nil>"
			if c := s.Client.TLS; c != nil {
				tls = c.Version + "/" + c.Cipher + "/"
				if c.Implicit {
					tls += "implicit"
				}
			}
			if s.Server.Port != tt.port || tls != tt.tls || strings.Join(s.Server.LocalDomains, " ") != tt.local ||
				s.Client.IP != tt.clientIP || s.Server.IP != tt.serverIP {
				t.Errorf("port %d tls %s local %q ips %s %s", s.Server.Port, tls, s.Server.LocalDomains, s.Client.IP, s.Server.IP)
			}
			if s.Server.Hostname != DefaultServerHostname || s.Client.Port != DefaultClientPort || s.Name != "t" {
				t.Errorf("hostname %q client port %d name %q", s.Server.Hostname, s.Client.Port, s.Name)
			}
		})
	}
}

func TestMessageBytes(t *testing.T) {
	t.Parallel()
	latin := "From: a@example.net\nTo: b@example.org\nContent-Type: text/plain; charset=iso-8859-1\n\nd\xe9j\xe0 \xff\xfe\n"
	tests := []struct {
		name, script, file, want string
	}{
		{"lf to crlf", "data: m.eml\n", "To: b@example.org\nSubject: x\n\nline1\nline2\n", "To: b@example.org\r\nSubject: x\r\n\r\nline1\r\nline2\r\n"},
		{"crlf kept", "data: m.eml\n", "To: b@example.org\r\n\r\nbody\r\n", "To: b@example.org\r\n\r\nbody\r\n"},
		{"mixed", "data: m.eml\n", "To: b@example.org\r\n\nbody\n\r\n", "To: b@example.org\r\n\r\nbody\r\n\r\n"},
		{"final crlf added", "data: m.eml\n", "To: b@example.org\n\nno newline", "To: b@example.org\r\n\r\nno newline\r\n"},
		{"raw keeps lf", "data: {file: m.eml, raw: true}\n", "To: b@example.org\n\nbody\n", "To: b@example.org\n\nbody\n\r\n"},
		{"bare cr kept", "data: m.eml\n", "To: b@example.org\n\na\rb\n", "To: b@example.org\r\n\r\na\rb\r\n"},
		{"invalid utf-8 kept", "data: m.eml\n", latin, strings.ReplaceAll(latin, "\n", "\r\n")},
		{"binary inline", "data: {inline: !!binary VG86IGJAZXhhbXBsZS5vcmcKCv/+Cg==}\n", "", "To: b@example.org\r\n\r\n\xff\xfe\r\n"},
		{"inline block", "data:\n  inline: |\n    To: b@example.org\n\n    hi\n", "", "To: b@example.org\r\n\r\nhi\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := Parse("t.yaml", []byte(tt.script), mapReader(map[string]string{"m.eml": tt.file}))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var msg *Message
			for _, st := range s.Steps {
				if st.Kind == StepData {
					msg = st.Message
				}
			}
			if msg == nil || !bytes.Equal(msg.Raw, []byte(tt.want)) {
				t.Fatalf("raw = %q, want %q", msg.Raw, tt.want)
			}
		})
	}
}

func TestToCRLF(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"\n", "\r\n"},
		{"\r\n", "\r\n"},
		{"a\nb\r\nc\n\n", "a\r\nb\r\nc\r\n\r\n"},
		{"\r\r\n", "\r\r\n"},
		{"\xff\n\xfe", "\xff\r\n\xfe"},
	}
	for _, tt := range tests {
		if got := string(ToCRLF([]byte(tt.in))); got != tt.want {
			t.Errorf("ToCRLF(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := string(EnsureCRLF(ToCRLF([]byte(tt.in)))); !strings.HasSuffix(got, "\r\n") {
			t.Errorf("EnsureCRLF(%q) = %q", tt.in, got)
		}
	}
}

func TestParseMIME(t *testing.T) {
	t.Parallel()
	badB64 := "Subject: x\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsb\r\n"
	tests := []struct {
		name    string
		raw     string
		lenient bool
		wantErr string
		warn    bool
	}{
		{"plain", "Subject: x\r\n\r\nhi\r\n", false, "", false},
		{"no header block", "just text\r\n", false, "not a parsable message", false},
		{"multipart without boundary", "Content-Type: multipart/mixed\r\n\r\nx\r\n", false, "not a parsable message", false},
		{"severe error", badB64, false, "invalid MIME", false},
		{"severe error lenient", badB64, true, "", true},
	}
	for _, tt := range tests {
		_, warnings, err := ParseMIME([]byte(tt.raw), tt.lenient)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.wantErr)
		}
		if (len(warnings) > 0) != tt.warn {
			t.Errorf("%s: warnings = %q", tt.name, warnings)
		}
	}
}
