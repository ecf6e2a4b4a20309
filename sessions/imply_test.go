package sessions

import (
	"strings"
	"testing"
)

// With imply: false the steps are played as written: a raw MAIL does not
// make the data step imply another, no EHLO goes before it, and no QUIT
// is added after the last step; without it, the same script gets all
// three. Marshal writes the key, and its output parses back the same.
func TestImplyFalse(t *testing.T) {
	const body = "  - raw: \"mail from:<a@example.org>\"\n  - raw: \"rcpt to:<b@example.org>\"\n" +
		"  - data: {inline: \"From: a@example.org\\r\\nTo: b@example.org\\r\\n\\r\\nHi.\\r\\n\"}\n"
	kinds := func(s *Session) string {
		var k []string
		for _, st := range s.Steps {
			k = append(k, string(st.Kind))
		}
		return strings.Join(k, " ")
	}
	implied, err := Parse("implied.yaml", []byte("steps:\n"+body), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := kinds(implied), "connect raw raw ehlo mail rcpt data quit"; got != want {
		t.Errorf("by default: steps %q, want %q", got, want)
	}
	exact, err := Parse("exact.yaml", []byte("imply: false\nsteps:\n"+body), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !exact.NoImply {
		t.Error("imply: false did not set NoImply")
	}
	if got, want := kinds(exact), "connect raw raw data"; got != want {
		t.Errorf("imply: false: steps %q, want %q", got, want)
	}
	out, err := Marshal(exact)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "\nimply: false\n") {
		t.Errorf("Marshal left out imply: false:\n%s", out)
	}
	back, err := Parse("back.yaml", out, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := kinds(back); got != kinds(exact) || !back.NoImply {
		t.Errorf("parsed back: steps %q, NoImply %v", got, back.NoImply)
	}
	if _, err := Parse("bad.yaml", []byte("imply: maybe\nsteps:\n"+body), nil); err == nil || !strings.Contains(err.Error(), "bad.yaml:1") || !strings.Contains(err.Error(), "imply") {
		t.Errorf("imply: maybe: error %v, want one naming bad.yaml:1 and imply", err)
	}
}
