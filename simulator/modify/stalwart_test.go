package modify

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/hooksim/hooksim/simulator/wire"
)

// sharedFixtureDir finds Stalwart's own fixture (message.eml and
// message.json) in $HOOKSIM_SHARED/vectors/stalwart, or in
// shared/vectors/stalwart of the package directory or one of its parents.
func sharedFixtureDir(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("HOOKSIM_SHARED"); dir != "" {
		return filepath.Join(dir, "vectors", "stalwart")
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		cand := filepath.Join(dir, "shared", "vectors", "stalwart")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

// fixtureMod is one entry of message.json: Stalwart's internal milter
// Modification enum in serde's externally tagged form.
type fixtureMod struct {
	AddHeader *struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"AddHeader"`
	ReplaceBody *struct {
		Value []int `json:"value"` // bytes, as a JSON array of numbers
	} `json:"ReplaceBody"`
	ChangeHeader *struct {
		Index uint32 `json:"index"`
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"ChangeHeader"`
	InsertHeader *struct {
		Index uint32 `json:"index"`
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"InsertHeader"`
	Quarantine *struct {
		Reason string `json:"reason"`
	} `json:"Quarantine"`
}

// toWire translates a fixture entry the way Stalwart's own test hook server
// does (see the fixture's README).
func (f fixtureMod) toWire(t *testing.T) wire.Modification {
	t.Helper()
	switch {
	case f.AddHeader != nil:
		return wire.Modification{Type: wire.ModAddHeader, Name: f.AddHeader.Name, Value: f.AddHeader.Value}
	case f.ReplaceBody != nil:
		b := make([]byte, len(f.ReplaceBody.Value))
		for i, c := range f.ReplaceBody.Value {
			b[i] = byte(c)
		}
		return wire.Modification{Type: wire.ModReplaceContents, Value: string(b)}
	case f.ChangeHeader != nil:
		c := f.ChangeHeader
		return wire.Modification{Type: wire.ModChangeHeader, Index: c.Index, Name: c.Name, Value: c.Value}
	case f.InsertHeader != nil:
		c := f.InsertHeader
		return wire.Modification{Type: wire.ModInsertHeader, Index: c.Index, Name: c.Name, Value: c.Value}
	case f.Quarantine != nil:
		return wire.Modification{Type: wire.ModAddHeader, Name: "X-Quarantine", Value: f.Quarantine.Reason}
	}
	t.Fatalf("unknown fixture modification %+v", f)
	return wire.Modification{}
}

// TestStalwartFixture checks Apply against the six results of Stalwart's
// own apply_milter_modifications test, byte for byte.
func TestStalwartFixture(t *testing.T) {
	t.Parallel()
	dir := sharedFixtureDir(t)
	if dir == "" {
		t.Skip("Stalwart fixture not found: set HOOKSIM_SHARED or keep shared/vectors/stalwart beside the repository")
	}
	eml, err := os.ReadFile(filepath.Join(dir, "message.eml"))
	if err != nil {
		t.Skipf("Stalwart fixture not readable: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "message.json"))
	if err != nil {
		t.Skipf("Stalwart fixture not readable: %v", err)
	}
	var entries []struct {
		Modifications []fixtureMod `json:"modifications"`
		Result        string       `json:"result"`
	}
	if err := json.Unmarshal(data, &entries); err != nil {
		t.Fatalf("message.json: %v", err)
	}
	if len(entries) != 6 {
		t.Fatalf("message.json has %d entries, want 6", len(entries))
	}
	msg := Split(eml)
	if !msg.Parsable() {
		t.Fatal("fixture message not parsable")
	}
	for i, e := range entries {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			mods := make([]wire.Modification, len(e.Modifications))
			for j, m := range e.Modifications {
				mods[j] = m.toWire(t)
			}
			got := Apply(msg, Envelope{}, mods)
			if string(got.Raw) != e.Result {
				t.Errorf("entry %d:\n got %q\nwant %q", i, got.Raw, e.Result)
			}
		})
	}
}
