package sessions

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"unicode/utf8"
)

// update rewrites the golden files instead of comparing against them.
var update = flag.Bool("update", false, "rewrite the golden files under testdata/sessions/golden")

// testdataDir is the shared testdata folder of this package.
const testdataDir = "../testdata/sessions"

// goldenSession is a Session in a form that reads well as JSON: the
// message bytes as text (Go-quoted when not valid UTF-8) and the reply
// regexp as its source.
type goldenSession struct {
	Name        string
	Description string `json:",omitempty"`
	File        string
	Hash        string
	Client      Client
	Server      Server
	Hooks       []Hook `json:",omitempty"`
	Steps       []goldenStep
}

type goldenStep struct {
	Kind      StepKind
	Chunks    []int          `json:",omitempty"`
	Arg       string         `json:",omitempty"`
	Params    string         `json:",omitempty"`
	Login     string         `json:",omitempty"`
	Password  string         `json:",omitempty"`
	AuthFail  bool           `json:",omitempty"`
	Mechanism string         `json:",omitempty"`
	Prompted  bool           `json:",omitempty"`
	Addresses []string       `json:",omitempty"`
	Message   *goldenMessage `json:",omitempty"`
	Expect    *goldenExpect  `json:",omitempty"`
	Line      int
	Implied   bool `json:",omitempty"`
}

type goldenMessage struct {
	Source    string
	Raw       string   `json:",omitempty"`
	RawQuoted string   `json:",omitempty"`
	Warnings  []string `json:",omitempty"`
}

type goldenExpect struct {
	Action        string               `json:",omitempty"`
	Reply         string               `json:",omitempty"`
	Code          int                  `json:",omitempty"`
	ReplyMatch    string               `json:",omitempty"`
	Modifications []goldenModification `json:",omitempty"`
	Envelope      *ExpectEnvelope      `json:",omitempty"`
	Delivered     *bool                `json:",omitempty"`
	Headers       []goldenHeader       `json:",omitempty"`
	QueuedHeaders []goldenHeader       `json:",omitempty"`
	BodyContains  []string             `json:",omitempty"`
	Lints         []string             `json:",omitempty"`
	Line          int
}

// goldenModification is an ExpectModification whose parameters are
// left out when unchecked (nil) and written {} when checked empty.
type goldenModification struct {
	Type       string
	Name       string
	Value      string
	Index      *uint32
	Parameters *map[string]*string `json:",omitempty"`
}

func goldenModifications(ms []ExpectModification) []goldenModification {
	if ms == nil {
		return nil
	}
	out := make([]goldenModification, len(ms))
	for i, m := range ms {
		out[i] = goldenModification{Type: m.Type, Name: m.Name, Value: m.Value, Index: m.Index}
		if m.Parameters != nil {
			p := m.Parameters
			out[i].Parameters = &p
		}
	}
	return out
}

// goldenHeader is an ExpectHeader with its pattern as text.
type goldenHeader struct {
	Name    string
	Values  []string `json:",omitempty"`
	Absent  bool     `json:",omitempty"`
	Count   *int     `json:",omitempty"`
	Matches string   `json:",omitempty"`
	Line    int      `json:"-"`
}

func goldenHeaders(hs []ExpectHeader) []goldenHeader {
	if hs == nil {
		return nil
	}
	out := make([]goldenHeader, len(hs))
	for i, h := range hs {
		out[i] = goldenHeader{Name: h.Name, Values: h.Values, Absent: h.Absent, Count: h.Count, Line: h.Line}
		if h.Matches != nil {
			out[i].Matches = h.Matches.String()
		}
	}
	return out
}

// goldenView converts s for the golden files.
func goldenView(s *Session) goldenSession {
	g := goldenSession{Name: s.Name, Description: s.Description, File: filepath.ToSlash(s.File), Hash: s.Hash, Client: s.Client, Server: s.Server, Hooks: s.Hooks}
	for _, st := range s.Steps {
		gs := goldenStep{Kind: st.Kind, Chunks: st.Chunks, Arg: st.Arg, Params: st.Params, Login: st.Login, Password: st.Password,
			AuthFail: st.AuthFail, Mechanism: st.Mechanism, Prompted: st.Prompted, Addresses: st.Addresses, Line: st.Line, Implied: st.Implied}
		if m := st.Message; m != nil {
			gm := &goldenMessage{Source: m.Source, Warnings: m.Warnings}
			if utf8.Valid(m.Raw) {
				gm.Raw = string(m.Raw)
			} else {
				gm.RawQuoted = strconv.Quote(string(m.Raw))
			}
			gs.Message = gm
		}
		if e := st.Expect; e != nil {
			ge := &goldenExpect{Action: e.Action, Reply: e.Reply, Code: e.Code, Modifications: goldenModifications(e.Modifications),
				Envelope: e.Envelope, Delivered: e.Delivered, Headers: goldenHeaders(e.Headers), QueuedHeaders: goldenHeaders(e.QueuedHeaders), BodyContains: e.BodyContains,
				Lints: e.Lints, Line: e.Line}
			if e.ReplyMatch != nil {
				ge.ReplyMatch = e.ReplyMatch.String()
			}
			gs.Expect = ge
		}
		g.Steps = append(g.Steps, gs)
	}
	return g
}

// checkGolden compares s with testdata/sessions/golden/name.json.
func checkGolden(t *testing.T, name string, s *Session) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(goldenView(s)); err != nil {
		t.Fatalf("marshal: %v", err)
	}
	got := buf.Bytes()
	path := filepath.Join(testdataDir, "golden", name+".json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("write golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("session differs from %s (run go test ./sessions -update to accept):\n--- got\n%s", path, got)
	}
}
