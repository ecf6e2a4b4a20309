package rebuild

import (
	"strings"
	"testing"
)

// A valid request at each stage, for the error tests to spoil.
const (
	reqConnect = `{"context":{"stage":"connect","client":{"ip":"10.0.0.1","port":51234,"ptr":null,"helo":null,"activeConnections":1},"server":{"name":"Stalwart v0.16.18","port":25,"ip":"192.0.2.10"},"protocol":{"version":1}}}`
	reqData    = `{"context":{"stage":"data","client":{"ip":"10.0.0.1","port":51234,"ptr":"mail.example.net.","helo":"mail.example.net","activeConnections":1},"server":{"name":"Stalwart v0.16.18","port":25,"ip":"192.0.2.10"},"queue":{"id":"1a2b3c"},"protocol":{"version":1}},"envelope":{"from":{"address":"john@example.org"},"to":[{"address":"bill@example.org"}]},"message":{"headers":[["Subject"," Hi\r\n"]],"contents":"Hello.","size":21}}`
)

func TestSessionErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		reqs []string
		want []string // substrings of the error
	}{
		{"no requests", nil, []string{"no request"}},
		{"empty body", []string{reqConnect, ""}, []string{"request 2", "empty"}},
		{"not JSON", []string{"hello"}, []string{"request 1", "not JSON"}},
		{"truncated JSON", []string{reqConnect[:40]}, []string{"request 1", "not JSON"}},
		{"JSON array", []string{`[1,2]`}, []string{"request 1", "object"}},
		{"no context", []string{`{"envelope":null}`}, []string{"request 1", "context", "missing"}},
		{"null context", []string{reqConnect, `{"context":null}`}, []string{"request 2", "context"}},
		{"no stage", []string{strings.Replace(reqConnect, `"stage":"connect",`, "", 1)}, []string{"request 1", "context.stage", "missing"}},
		{"auth stage", []string{strings.Replace(reqConnect, `"connect"`, `"auth"`, 1)}, []string{"request 1", "context.stage", "auth"}},
		{"unknown stage", []string{reqConnect, strings.Replace(reqConnect, `"connect"`, `"Connect"`, 1)}, []string{"request 2", "context.stage", `"Connect"`}},
		{"stage a number", []string{strings.Replace(reqConnect, `"connect"`, `1`, 1)}, []string{"request 1", "context.stage", "string"}},
		{"no client", []string{strings.Replace(reqConnect, `"client":{"ip":"10.0.0.1","port":51234,"ptr":null,"helo":null,"activeConnections":1},`, "", 1)}, []string{"request 1", "context.client", "missing"}},
		{"port a string", []string{strings.Replace(reqConnect, `51234`, `"51234"`, 1)}, []string{"request 1", "context.client.port", "number"}},
		{"port too big", []string{strings.Replace(reqConnect, `51234`, `70000`, 1)}, []string{"request 1", "context.client.port"}},
		{"client ip not an IP", []string{strings.Replace(reqConnect, `10.0.0.1`, `client.example`, 1)}, []string{"request 1", "context.client.ip", "IP"}},
		{"no server", []string{strings.Replace(reqConnect, `"server":{"name":"Stalwart v0.16.18","port":25,"ip":"192.0.2.10"},`, "", 1)}, []string{"context.server", "missing"}},
		{"data without message", []string{reqData[:strings.Index(reqData, `,"message"`)] + "}"}, []string{"request 1", "message", "data"}},
		{"data without envelope", []string{strings.Replace(reqData, `"envelope":{"from":{"address":"john@example.org"},"to":[{"address":"bill@example.org"}]},`, "", 1)}, []string{"request 1", "envelope"}},
		{"rcpt without recipient", []string{strings.Replace(strings.Replace(reqData, `"data"`, `"rcpt"`, 1), `[{"address":"bill@example.org"}]`, `[]`, 1)}, []string{"envelope.to", "empty"}},
		{"header of three", []string{strings.Replace(reqData, `["Subject"," Hi\r\n"]`, `["Subject"," Hi\r\n","x"]`, 1)}, []string{"message.headers[0]", "[name, value]"}},
		{"negative size", []string{strings.Replace(reqData, `"size":21`, `"size":-1`, 1)}, []string{"message.size", "negative"}},
		{"size a string", []string{strings.Replace(reqData, `"size":21`, `"size":"21"`, 1)}, []string{"message.size", "integer"}},
		{"recipient without address", []string{strings.Replace(reqData, `{"address":"bill@example.org"}`, `{}`, 1)}, []string{"envelope.to[0].address", "missing"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var reqs []Request
			for _, b := range c.reqs {
				reqs = append(reqs, Request{Body: []byte(b)})
			}
			res, err := Session("x", reqs)
			if err == nil {
				t.Fatalf("no error; got a session of %d steps", len(res.Session.Steps))
			}
			if !strings.HasPrefix(err.Error(), "rebuild: ") {
				t.Errorf("error %q does not name the package", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestSessionHandWritten rebuilds requests no simulator made: a data
// request alone (its steps all rebuilt from it), and the same with a PTR
// name the simulator would not write as it is.
func TestSessionHandWritten(t *testing.T) {
	t.Parallel()
	res, err := Session("hand", []Request{{Body: []byte(reqData)}})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, st := range res.Session.Steps {
		kinds = append(kinds, string(st.Kind)+":"+st.Arg)
	}
	want := "connect: ehlo:mail.example.net mail:john@example.org rcpt:bill@example.org data: quit:"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("steps %s, want %s", got, want)
	}
	if len(res.StepOf) != 1 || res.StepOf[0] != 4 {
		t.Errorf("StepOf = %v, want [4]", res.StepOf)
	}
	if got := string(res.Session.Steps[4].Message.Raw); got != "Subject: Hi\r\n\r\nHello.\r\n" {
		t.Errorf("message %q", got)
	}
	if res.Approximate || res.Session.Client.PTR != "mail.example.net" || res.Session.Client.IP != "10.0.0.1" || res.Session.Client.Port != 51234 {
		t.Errorf("approximate %v, client %+v", res.Approximate, res.Session.Client)
	}

	odd := strings.Replace(reqData, `"mail.example.net."`, `"Mail.Example.Net"`, 1)
	res, err = Session("hand", []Request{{Body: []byte(odd)}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Approximate || !notesContain(res.Notes, "trailing dot") {
		t.Errorf("approximate %v, notes %q: want the PTR's form said", res.Approximate, res.Notes)
	}

	// A size that no blank line explains: the message is approximate,
	// and the note gives both sizes.
	short := strings.Replace(reqData, `"size":21`, `"size":30`, 1)
	res, err = Session("hand", []Request{{Body: []byte(short)}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Approximate || !notesContain(res.Notes, "21 bytes") || !notesContain(res.Notes, "size is 30") {
		t.Errorf("approximate %v, notes %q: want the sizes said", res.Approximate, res.Notes)
	}
}
