package wire

import (
	"bytes"
	"strings"
	"testing"
)

// checkFindings fails on a finding that is not a drift finding on one
// line with a message.
func checkFindings(t *testing.T, lints []Lint) {
	t.Helper()
	if len(lints) > MaxLints+1 {
		t.Fatalf("%d findings: not compacted", len(lints))
	}
	for _, l := range lints {
		if l.Code != LintDrift && l.Code != LintLeftOut || l.Message == "" || strings.ContainsAny(l.Message, "\r\n") {
			t.Fatalf("finding %+v", l)
		}
	}
}

func driftSeeds(f *testing.F) {
	for _, s := range []Stage{StageConnect, StageEhlo, StageMail, StageRcpt, StageData} {
		f.Add([]byte(driftBody(s, nil)))
	}
	f.Add([]byte(driftBody(StageData, func(r *Request) {
		r.Message = &Message{Headers: []Header{{"Sub:ject", " x"}, {"", ""}}, Contents: []byte("\xff"), Size: 3}
		r.Context.TLS = &TLSInfo{"unknown", "unknown"}
	})))
	f.Add([]byte(`{"context":{"stage":"DATA","client":{"ehlo":"x","ehlo":1}},"envelope":{"to":[{"address":"A","parameters":null},5]}}`))
	f.Add([]byte(`[{"context":null}]`))
	f.Add([]byte("{\"context\":\"\xff\"}"))
}

// FuzzCheckRequest: CheckRequest never panics, and its findings are
// drift findings, one line each, compacted; the stage it returns is a
// stage name or "".
func FuzzCheckRequest(f *testing.F) {
	driftSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		stage, lints := CheckRequest(body)
		if stage != "" && !stage.Valid() {
			t.Fatalf("stage %q", stage)
		}
		checkFindings(t, lints)
	})
}

// FuzzDriftTracker: a tracker fed the requests of the input (split at
// NUL bytes) never panics and gives drift findings only.
func FuzzDriftTracker(f *testing.F) {
	var all [][]byte
	for _, s := range []Stage{StageConnect, StageEhlo, StageMail, StageRcpt, StageData} {
		all = append(all, []byte(driftBody(s, nil)))
	}
	f.Add(bytes.Join(all, []byte{0}))
	f.Add(bytes.Join([][]byte{[]byte(driftBody(StageRcpt, nil)), []byte(driftBody(StageData, func(r *Request) {
		r.Envelope.To = []Address{{"x+y@z"}, {"bill@example.org"}}
		r.Context.TLS = &TLSInfo{"TLSv1.3", "TLS13_AES_256_GCM_SHA384"}
	})), []byte(driftBody(StageData, nil))}, []byte{0}))
	driftSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		var tr DriftTracker
		for _, body := range bytes.Split(in, []byte{0}) {
			stage, lints := tr.Check(body)
			if stage != "" && !stage.Valid() {
				t.Fatalf("stage %q", stage)
			}
			checkFindings(t, lints)
		}
	})
}

// FuzzCheckRequestHeaders: header lists of any names and values, one a
// line ("name: value", the first line the protocol), never panic.
func FuzzCheckRequestHeaders(f *testing.F) {
	f.Add("HTTP/1.1\ncontent-type: application/json\naccept: */*\nhost: h\ncontent-length: 9")
	f.Add("HTTP/2.0\n:method: POST\nContent-Type: x\nte: gzip\nhost: h\nx: 1\nx: 2")
	f.Add("HTTP/1.0\n")
	f.Fuzz(func(t *testing.T, in string) {
		lines := strings.Split(in, "\n")
		var fields []Header
		for _, l := range lines[1:] {
			name, value, _ := strings.Cut(l, ": ")
			fields = append(fields, Header{Name: name, Value: value})
		}
		checkFindings(t, CheckRequestHeaders(lines[0], fields))
	})
}
