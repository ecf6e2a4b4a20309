package wire

import (
	"strings"
	"testing"
)

// TestParseResponseSerdeLimits: the edges of serde_json as Stalwart uses
// it (serde_json::from_slice into Response). Unknown keys of the top-level
// object and of "response" (also as element [1] of a body array) are
// skipped by ignore_value: no UTF-8, surrogate or depth check there. Modifications are buffered whole as serde Content
// (#[serde(tag = "type")]), so their unknown keys are checked, with the
// recursion limit (127 levels from the top: body object, modifications
// array and modification object are levels 1 to 3).
func TestParseResponseSerdeLimits(t *testing.T) {
	t.Parallel()
	nest := func(n int, inner string) string {
		return strings.Repeat("[", n) + inner + strings.Repeat("]", n)
	}
	inMod := func(x string) string {
		return `{"action":"accept","modifications":[{"type":"addHeader","name":"a","value":"b","x":` + x + `}]}`
	}
	inReply := func(x string) string { return `{"action":"reject","response":{"status":550,"x":` + x + `}}` }
	tests := []struct {
		name string
		body string
		ok   bool
	}{
		// The small input: a raw 0xFF byte in an unknown key.
		{"0xFF in unknown key", "{\"action\":\"accept\",\"x\":\"a\xff\"}", true},
		{"0xFF in unknown key of response", inReply("\"a\xff\""), true},
		{"0xFF in nested unknown key", "{\"action\":\"accept\",\"x\":{\"\xff\":[\"\xff\"]}}", true},
		{"0xFF in unknown key name", "{\"action\":\"accept\",\"\xff\":1}", false},
		{"0xFF in action", "{\"action\":\"accept\xff\"}", false},
		{"0xFF in message", "{\"action\":\"reject\",\"response\":{\"message\":\"\xff\"}}", false},
		{"0xFF in modification value", "{\"action\":\"accept\",\"modifications\":[{\"type\":\"addHeader\",\"name\":\"a\",\"value\":\"\xff\"}]}", false},
		{"0xFF in unknown key of modification", inMod("\"\xff\""), false},
		{"lone surrogate in unknown key", `{"action":"accept","x":"\ud800"}`, true},
		{"lone low surrogate in unknown key", `{"action":"accept","x":"\udc00"}`, true},
		{"lone surrogate in unknown key of response", inReply(`"\udbff!"`), true},
		{"lone surrogate in unknown key name", `{"action":"accept","\ud800":1}`, false},
		{"lone surrogate in message", `{"action":"reject","response":{"message":"\ud800"}}`, false},
		{"lone surrogate in unknown key of modification", inMod(`"\ud800"`), false},
		{"paired surrogates in modification", inMod(`"\ud83d\ude00"`), true},
		{"bad escape in unknown key", `{"action":"accept","x":"\q"}`, false},
		{"short escape in unknown key", `{"action":"accept","x":"\u00"}`, false},
		{"control character in unknown key", "{\"action\":\"accept\",\"x\":\"\x01\"}", false},
		{"127 levels in unknown key", `{"action":"accept","x":` + nest(126, "1") + `}`, true},
		{"128 levels in unknown key", `{"action":"accept","x":` + nest(127, "1") + `}`, true},
		{"10000 levels in unknown key", `{"action":"accept","x":` + nest(10000, "{}") + `}`, true},
		{"10000 levels in unknown key of response", inReply(nest(10000, `{"a":"\ud800"}`)), true},
		{"unclosed deep unknown key", `{"action":"accept","x":` + strings.Repeat("[", 10000) + `}`, false},
		{"126 levels in modification", inMod(nest(123, "1")), true},
		{"127 levels in modification", inMod(nest(124, "1")), true},
		{"128 levels in modification", inMod(nest(125, "1")), false},
		{"huge number in unknown key", `{"action":"accept","x":1e400}`, true},
		{"huge number in modification", inMod(`1e400`), false},
		{"huge integer in modification", inMod(`1` + strings.Repeat("0", 400)), false},
		{"tiny number in modification", inMod(`1e-400`), true},
		{"big integer in modification", inMod(`123456789012345678901234567890`), true},
		{"leading zero in unknown key", `{"action":"accept","x":01}`, false},
		// A body array's response object (element [1]) is a plain struct:
		// its unknown keys are skipped too; nothing else in a body array is.
		{"0xFF in unknown key of response in a body array", "[\"reject\",{\"status\":550,\"x\":\"a\xff\"}]", true},
		{"10000 levels in unknown key of response in a body array", `["reject",{"x":` + nest(10000, `"\ud800"`) + `}]`, true},
		{"0xFF in a response array", "[\"reject\",[550,\"\xff\"]]", false},
		{"lone surrogate in the key of an action object", `[{"accept":null,"\ud800":1}]`, false},
		{"0xFF in a modification array", "[\"accept\",null,[[\"addHeader\",\"a\",\"\xff\"]]]", false},
		{"0xFF in an object at [2] of a body array", "[\"accept\",null,[{\"type\":\"addHeader\",\"name\":\"a\",\"value\":\"b\",\"x\":\"\xff\"}]]", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, err := ParseResponse([]byte(tc.body))
			if (err == nil) != tc.ok {
				t.Fatalf("ParseResponse: %v, want ok=%v", err, tc.ok)
			}
			if _, lints, ierr := Inspect([]byte(tc.body), StageData); (ierr == nil) != tc.ok {
				t.Errorf("Inspect: %v, want ok=%v", ierr, tc.ok)
			} else {
				for _, l := range lints {
					if l.Code == "" || l.Message == "" {
						t.Errorf("empty lint %+v", l)
					}
				}
			}
			if err == nil && !resp.Action.Valid() {
				t.Errorf("action %q", resp.Action)
			}
		})
	}
}
