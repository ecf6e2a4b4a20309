package rebuild

import (
	"bytes"
	"testing"

	"github.com/hooksim/hooksim/sessions"
)

// FuzzSession feeds Session requests split from one input at NUL bytes
// (a request body has none); an answer may follow its request after
// 0x01. Session must never panic, and whatever it rebuilds must be a
// session that starts with a connect and maps every request to a step.
func FuzzSession(f *testing.F) {
	f.Add([]byte(reqConnect))
	f.Add([]byte(reqData))
	f.Add([]byte(reqConnect + "\x00" + reqData + "\x01" + `{"action":"reject"}`))
	f.Add([]byte(reqData + "\x00" + reqData))
	f.Add([]byte(`{"context":{"stage":"rcpt","client":{"ip":"::1","port":1,"ptr":"X.","helo":"a b"},"sasl":{"login":" "},"tls":{"version":"SSLv3","cipher":"a b"},"server":{"name":"","port":465,"ip":"::1"}},"envelope":{"from":{"address":"<>"},"to":[{"address":"@"}]}}`))
	f.Add([]byte(`{"context":{"stage":"data","client":{"ip":"1.2.3.4","port":2},"server":{"name":"s","port":25,"ip":"1.2.3.4"}},"envelope":{"from":{"address":""},"to":[]},"message":{"headers":[],"contents":"\ufffd\ufffd","size":4}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var reqs []Request
		for _, part := range bytes.Split(in, []byte{0}) {
			body, resp, _ := bytes.Cut(part, []byte{1})
			reqs = append(reqs, Request{Body: body, Response: resp})
		}
		res, err := Session("fuzz", reqs)
		if err != nil {
			return
		}
		s := res.Session
		if len(s.Steps) < 2 || s.Steps[0].Kind != sessions.StepConnect || s.Steps[len(s.Steps)-1].Kind != sessions.StepQuit {
			t.Fatalf("steps do not run from connect to quit: %v", s.Steps)
		}
		if len(res.StepOf) != len(reqs) {
			t.Fatalf("StepOf has %d entries for %d requests", len(res.StepOf), len(reqs))
		}
		for i, k := range res.StepOf {
			if k < 0 || k >= len(s.Steps) {
				t.Fatalf("request %d maps to step %d of %d", i+1, k, len(s.Steps))
			}
		}
		_, _ = sessions.Marshal(s) // must not panic either
	})
}
