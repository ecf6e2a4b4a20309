package modify

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expect section of testdata/modify vectors from the current output")

const vectorDir = "../../testdata/modify"

// vector is one file of testdata/modify: a received message, an envelope,
// modifications in the wire format, and what Stalwart makes of them.
type vector struct {
	Description   string          `json:"description"`
	Message       string          `json:"message"`
	Envelope      vecEnvelope     `json:"envelope"`
	Modifications json.RawMessage `json:"modifications"`
	Expect        vecExpect       `json:"expect"`
}

type vecEnvelope struct {
	From *vecAddress  `json:"from"`
	To   []vecAddress `json:"to"`
}

// vecAddress is an envelope address; in the input, an empty lower is
// computed from address.
type vecAddress struct {
	Address string `json:"address"`
	Lower   string `json:"lower,omitempty"`
	Params  string `json:"params,omitempty"`
}

type vecExpect struct {
	Raw      *string     `json:"raw"`
	Envelope vecEnvelope `json:"envelope"`
	Notes    []string    `json:"notes"`
}

func (v vecEnvelope) toEnvelope() Envelope {
	conv := func(a vecAddress) Address {
		if a.Lower == "" {
			a.Lower = rustLower(a.Address)
		}
		return Address{Address: a.Address, Lower: a.Lower, Params: a.Params}
	}
	var e Envelope
	if v.From != nil {
		from := conv(*v.From)
		e.From = &from
	}
	for _, a := range v.To {
		e.To = append(e.To, conv(a))
	}
	return e
}

func fromEnvelope(e Envelope) vecEnvelope {
	conv := func(a Address) vecAddress { return vecAddress(a) }
	var v vecEnvelope
	if e.From != nil {
		from := conv(*e.From)
		v.From = &from
	}
	v.To = []vecAddress{}
	for _, a := range e.To {
		v.To = append(v.To, conv(a))
	}
	return v
}

func noteCodes(ns []Note) []string {
	codes := []string{}
	for _, n := range ns {
		codes = append(codes, n.Code)
	}
	return codes
}

func loadVectors(t testing.TB) map[string]vector {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(vectorDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no vectors in %s", vectorDir)
	}
	out := make(map[string]vector, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v vector
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[f] = v
	}
	return out
}

func TestVectors(t *testing.T) {
	vectors := loadVectors(t)
	seen := map[string]bool{}
	for file, v := range vectors {
		mods, err := decodeMods(v.Modifications)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, m := range mods {
			seen[string(m.Type)] = true
		}
		for _, c := range v.Expect.Notes {
			seen[c] = true
		}
		msg := Split([]byte(v.Message))
		env := v.Envelope.toEnvelope()
		got := Apply(msg, env, mods)

		if *update {
			v.Expect.Envelope = fromEnvelope(got.Envelope)
			v.Expect.Notes = noteCodes(got.Notes)
			v.Expect.Raw = nil
			if got.Raw != nil {
				s := string(got.Raw)
				v.Expect.Raw = &s
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(v); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}

		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			t.Parallel()
			switch {
			case v.Expect.Raw == nil && got.Raw != nil:
				t.Errorf("raw: got %q, want nil (unchanged)", got.Raw)
			case v.Expect.Raw != nil && got.Raw == nil:
				t.Errorf("raw: got nil, want %q", *v.Expect.Raw)
			case v.Expect.Raw != nil && string(got.Raw) != *v.Expect.Raw:
				t.Errorf("raw:\n got %q\nwant %q", got.Raw, *v.Expect.Raw)
			}
			gotEnv, _ := json.Marshal(fromEnvelope(got.Envelope))
			want := v.Expect.Envelope
			if want.To == nil {
				want.To = []vecAddress{}
			}
			wantEnv, _ := json.Marshal(want)
			if !bytes.Equal(gotEnv, wantEnv) {
				t.Errorf("envelope:\n got %s\nwant %s", gotEnv, wantEnv)
			}
			if codes := noteCodes(got.Notes); !slices.Equal(codes, nonNil(v.Expect.Notes)) {
				t.Errorf("notes: got %q, want %q (%+v)", codes, v.Expect.Notes, got.Notes)
			}
			for _, n := range got.Notes {
				if n.Mod < 0 || n.Mod >= len(mods) || n.Text == "" {
					t.Errorf("bad note %+v", n)
				}
			}
			// The input envelope must not have been touched.
			if before, after := v.Envelope.toEnvelope(), env; !envEqual(before, after) {
				t.Errorf("input envelope modified: %+v", after)
			}
		})
	}
	if *update {
		return
	}
	// The vectors must cover every modification type and every note code.
	for _, want := range []string{
		"changeFrom", "addRecipient", "deleteRecipient", "replaceContents",
		"addHeader", "insertHeader", "changeHeader", "deleteHeader",
		NoteDeleteRecipientNoMatch, NoteDeleteRecipientCase, NoteAddRecipientNoAt,
		NoteAddRecipientDuplicate, NoteHeaderIndexZero, NoteHeaderIndexOutOfRange,
		NoteHeaderCRLF, NoteChangeHeaderAbsent, NoteReplaceContentsMultiple,
	} {
		if !seen[want] {
			t.Errorf("no vector covers %q", want)
		}
	}
	if len(vectors) < 20 {
		t.Errorf("only %d vectors, want at least 20", len(vectors))
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func envEqual(a, b Envelope) bool {
	if (a.From == nil) != (b.From == nil) || (a.From != nil && *a.From != *b.From) {
		return false
	}
	return slices.Equal(a.To, b.To)
}
