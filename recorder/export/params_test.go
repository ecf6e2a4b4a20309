package export

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/hookconf"
)

// withParameters answers data with a changeFrom carrying RET and ENVID and
// an addRecipient carrying NOTIFY and ORCPT, as a DSN-aware archiving hook
// does; withoutParameters is the same hook once it stopped sending them.
const (
	withParameters = `{"action":"accept","modifications":[` +
		`{"type":"changeFrom","value":"bounces@example.org","parameters":{"RET":"HDRS","ENVID":"QQ314159","X-FLAG":null}},` +
		`{"type":"addRecipient","value":"Archive@Example.org","parameters":{"NOTIFY":"SUCCESS,FAILURE","ORCPT":"rfc822;archive@example.org"}},` +
		`{"type":"addRecipient","value":"plain@example.org"}]}`
	withoutParameters = `{"action":"accept","modifications":[` +
		`{"type":"changeFrom","value":"bounces@example.org"},` +
		`{"type":"addRecipient","value":"Archive@Example.org"},` +
		`{"type":"addRecipient","value":"plain@example.org"}]}`
)

// TestExportedParameters: a recorded run's changeFrom and addRecipient
// parameters are exported, sorted, as the script format writes them; the
// export passes against the same hook and fails, naming each parameter,
// against the hook once it sends none (which, as Stalwart ignores
// nothing of it, changes the DSN the archive copy gets).
func TestExportedParameters(t *testing.T) {
	t.Parallel()
	var answer atomic.Value
	answer.Store(withParameters)
	url := stageHook(t, func(stage string) string {
		if stage == "data" {
			return answer.Load().(string)
		}
		return `{"action":"accept"}`
	})
	hooks := []*hookconf.Hook{hookAt(t, url, "data")}
	l := record(t, openStore(t), hooks, standard())
	yaml, err := Session(l, SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`- {type: changeFrom, value: bounces@example.org, parameters: {ENVID: QQ314159, RET: HDRS, X-FLAG: null}}`,
		`- {type: addRecipient, value: Archive@Example.org, parameters: {NOTIFY: 'SUCCESS,FAILURE', ORCPT: rfc822;archive@example.org}}`,
		`- {type: addRecipient, value: plain@example.org}`,
	} {
		if !strings.Contains(string(yaml), want) {
			t.Errorf("export lacks\n%s\nin\n%s", want, yaml)
		}
	}
	exported, err := sessions.Parse("captured.yaml", yaml, nil)
	if err != nil {
		t.Fatalf("the export does not parse: %v\n%s", err, yaml)
	}
	hdrs, notify, orcpt, envid := "HDRS", "SUCCESS,FAILURE", "rfc822;archive@example.org", "QQ314159"
	wantMods := []sessions.ExpectModification{
		{Type: "changeFrom", Value: "bounces@example.org", Parameters: map[string]*string{"RET": &hdrs, "ENVID": &envid, "X-FLAG": nil}},
		{Type: "addRecipient", Value: "Archive@Example.org", Parameters: map[string]*string{"NOTIFY": &notify, "ORCPT": &orcpt}},
		{Type: "addRecipient", Value: "plain@example.org"},
	}
	if got := exported.Steps[4].Expect.Modifications; !reflect.DeepEqual(got, wantMods) {
		t.Fatalf("exported modifications %s, want %s", jsonText(got), jsonText(wantMods))
	}
	if again := play(t, hooks, exported); !again.Passed() {
		t.Fatalf("the export fails against the same hook: %v", failures(again))
	}
	answer.Store(withoutParameters)
	msgs := failures(play(t, hooks, exported))
	wantBoth := []string{
		`modification changeFrom "bounces@example.org" returned with other parameters: ENVID="QQ314159" not sent, RET="HDRS" not sent, X-FLAG (no value) not sent;`,
		`modification addRecipient "Archive@Example.org" returned with other parameters: NOTIFY="SUCCESS,FAILURE" not sent, ORCPT="rfc822;archive@example.org" not sent;`,
	}
	for _, want := range wantBoth {
		if !slices.ContainsFunc(msgs, func(m string) bool { return strings.Contains(m, want) }) {
			t.Errorf("failures %q, want one containing %q", msgs, want)
		}
	}
	if len(msgs) != len(wantBoth) {
		t.Errorf("failures %q, want one for each modification that lost its parameters", msgs)
	}
	// Only the addRecipient lost its parameters: that one fails.
	answer.Store(strings.Replace(withParameters, `"parameters":{"NOTIFY":"SUCCESS,FAILURE","ORCPT":"rfc822;archive@example.org"}`, `"parameters":{"NOTIFY":"NEVER"}`, 1))
	msgs = failures(play(t, hooks, exported))
	want := `modification addRecipient "Archive@Example.org" returned with other parameters: NOTIFY="NEVER", want NOTIFY="SUCCESS,FAILURE", ORCPT="rfc822;archive@example.org" not sent;`
	if len(msgs) != 1 || !strings.Contains(msgs[0], want) {
		t.Errorf("failures %q, want one containing %q", msgs, want)
	}
}

// TestExportedParametersCaseCollision: keywords differing only in case
// cannot both stand in a script (keywords compare case-insensitively), so
// that modification's parameters are left unchecked and the export still
// parses and passes.
func TestExportedParametersCaseCollision(t *testing.T) {
	t.Parallel()
	url := stageHook(t, func(stage string) string {
		if stage == "data" {
			return `{"action":"accept","modifications":[{"type":"addRecipient","value":"a@example.org","parameters":{"NOTIFY":"NEVER","notify":"SUCCESS"}},` +
				`{"type":"addRecipient","value":"b@example.org","parameters":{"NOTIFY":"NEVER"}}]}`
		}
		return `{"action":"accept"}`
	})
	hooks := []*hookconf.Hook{hookAt(t, url, "data")}
	c := capture(t, hooks, standard(), SessionOptions{})
	mods := c.exported.Steps[4].Expect.Modifications
	if len(mods) != 2 || mods[0].Parameters != nil || len(mods[1].Parameters) != 1 {
		t.Fatalf("exported modifications %s", jsonText(mods))
	}
	if again := play(t, hooks, c.exported); !again.Passed() {
		t.Fatalf("the export fails against the same hook: %v", failures(again))
	}
}

// jsonText renders v for failure messages.
func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
