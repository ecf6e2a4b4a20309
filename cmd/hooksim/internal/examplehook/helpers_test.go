package examplehook

import (
	"bytes"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hooksim/hooksim/simulator/wire"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/examplehook")

// goldenDir is testdata/examplehook at the module root.
var goldenDir = filepath.Join("..", "..", "..", "..", "testdata", "examplehook")

// checkGolden compares got with the golden file name, or rewrites it
// under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(goldenDir, name)
	if *update {
		if err := os.MkdirAll(goldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("response differs from %s\n got: %s\nwant: %s", path, got, want)
	}
}

func ptr[T any](v T) *T { return &v }

// stalwartRequest builds a request body byte for byte as Stalwart v0.16.18
// sends it at stage, for a plain-TCP client on port 25.
func stalwartRequest(stage wire.Stage, env *wire.Envelope, msg *wire.Message) []byte {
	r := wire.Request{
		Context: wire.Context{
			Stage: stage,
			Client: wire.ClientInfo{
				IP: "192.0.2.25", Port: 49152, ActiveConnections: 1,
			},
			Server:   wire.ServerInfo{Name: wire.ServerName, Port: 25, IP: "192.0.2.10"},
			Protocol: wire.Protocol{Version: 1},
		},
		Envelope: env,
		Message:  msg,
	}
	if stage != wire.StageConnect {
		r.Context.Client.HELO = ptr("mail.example.net")
	}
	if stage == wire.StageData {
		r.Context.Queue = &wire.Queue{ID: "1b3c5d7e9f02468"}
	}
	return r.Encode()
}

// newEnvelope returns an envelope with from and the recipients to.
func newEnvelope(from string, to ...string) *wire.Envelope {
	e := &wire.Envelope{From: wire.Address{Address: from}, To: []wire.Address{}}
	for _, a := range to {
		e.To = append(e.To, wire.Address{Address: a})
	}
	return e
}

// rawMessage turns a message as a client sends it in DATA (lines joined
// with "\n" here for readability, sent as CRLF) into Stalwart's message
// object: raw top-level headers with leading space, folds and CRLF kept,
// the raw body without the CRLF before the final dot, and the size.
func rawMessage(text string) *wire.Message {
	raw := strings.ReplaceAll(text, "\n", "\r\n")
	raw = strings.TrimSuffix(raw, "\r\n") // the CRLF that preceded "."
	m := &wire.Message{Size: len(raw), Headers: []wire.Header{}}
	head, body, found := strings.Cut(raw, "\r\n\r\n")
	if found {
		m.Contents = []byte(body)
	}
	for _, line := range strings.SplitAfter(head, "\r\n") {
		if line == "" {
			continue
		}
		if !strings.HasSuffix(line, "\r\n") {
			line += "\r\n"
		}
		if (line[0] == ' ' || line[0] == '\t') && len(m.Headers) > 0 {
			m.Headers[len(m.Headers)-1].Value += line
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		m.Headers = append(m.Headers, wire.Header{Name: name, Value: value})
	}
	return m
}

// post sends body to h as Stalwart does and returns the recorded answer.
func post(h http.Handler, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/mta-hook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "*/*")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
