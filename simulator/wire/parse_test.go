package wire

import (
	"reflect"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

func TestParseResponseValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want Response
	}{
		{"minimal", `{"action":"accept"}`, Response{Action: ActionAccept, Modifications: []Modification{}}},
		{"white space around", " \r\n{\"action\" : \"reject\"}\n ", Response{Action: ActionReject, Modifications: []Modification{}}},
		{"null response", `{"action":"discard","response":null}`, Response{Action: ActionDiscard, Modifications: []Modification{}}},
		{"unknown keys ignored", `{"action":"accept","foo":1,"response":{"enhancedStatus":"5.7.1","bar":[1]}}`,
			Response{Action: ActionAccept, Reply: &SMTPResponse{}, Modifications: []Modification{}}},
		{"full reply", `{"action":"reject","response":{"status":550,"enhanced_status":"5.7.1","message":"Go away","disconnect":true}}`,
			Response{Action: ActionReject, Reply: &SMTPResponse{Status: ptr(uint16(550)), EnhancedStatus: ptr("5.7.1"), Message: ptr("Go away"), Disconnect: true}, Modifications: []Modification{}}},
		{"null reply fields", `{"action":"reject","response":{"status":null,"enhanced_status":null,"message":null}}`,
			Response{Action: ActionReject, Reply: &SMTPResponse{}, Modifications: []Modification{}}},
		{"status bounds", `{"action":"reject","response":{"status":65535}}`,
			Response{Action: ActionReject, Reply: &SMTPResponse{Status: ptr(uint16(65535))}, Modifications: []Modification{}}},
		{"every modification", `{"action":"accept","modifications":[
			{"type":"changeFrom","value":"<a@b.c>","parameters":{"SIZE":"10","BODY":null}},
			{"type":"addRecipient","value":"x@y.z"},
			{"type":"deleteRecipient","value":"d@y.z"},
			{"type":"replaceContents","value":"new body"},
			{"type":"addHeader","name":"X-A","value":"1"},
			{"value":"2","name":"X-B","index":0,"type":"insertHeader"},
			{"type":"changeHeader","index":4294967295,"name":"Subject","value":"s"},
			{"type":"deleteHeader","index":1,"name":"X-C","value":"ignored"}]}`,
			Response{Action: ActionAccept, Modifications: []Modification{
				{Type: ModChangeFrom, Value: "<a@b.c>", Parameters: []Parameter{{Key: "SIZE", Value: ptr("10")}, {Key: "BODY"}}},
				{Type: ModAddRecipient, Value: "x@y.z"},
				{Type: ModDeleteRecipient, Value: "d@y.z"},
				{Type: ModReplaceContents, Value: "new body"},
				{Type: ModAddHeader, Name: "X-A", Value: "1"},
				{Type: ModInsertHeader, Name: "X-B", Value: "2", Index: 0},
				{Type: ModChangeHeader, Name: "Subject", Value: "s", Index: 4294967295},
				{Type: ModDeleteHeader, Name: "X-C", Index: 1},
			}}},
		{"repeated parameter keeps last", `{"action":"accept","modifications":[{"type":"changeFrom","value":"a@b","parameters":{"K":"1","L":null,"K":"2"}}]}`,
			Response{Action: ActionAccept, Modifications: []Modification{{Type: ModChangeFrom, Value: "a@b", Parameters: []Parameter{{Key: "L"}, {Key: "K", Value: ptr("2")}}}}}},
		{"escapes decoded", `{"action":"accept","modifications":[{"type":"addHeader","name":"X","value":"a\r\n\u00e9\ud83d\ude00"}]}`,
			Response{Action: ActionAccept, Modifications: []Modification{{Type: ModAddHeader, Name: "X", Value: "a\r\né😀"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseResponse([]byte(tc.body))
			if err != nil {
				t.Fatalf("ParseResponse: %v", err)
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tc.want)
			}
		})
	}
}

func TestParseResponseInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, want string
	}{
		{"empty", ``, "empty body: a hook must answer with a JSON object"},
		{"blank", " \r\n", "empty body: a hook must answer with a JSON object"},
		{"not json", `OK`, "invalid JSON at line 1, column 1: unexpected 'O', expected a value"},
		{"truncated", `{"action":"acc`, "invalid JSON at line 1, column 11: unterminated string"},
		{"trailing", `{"action":"accept"} x`, "invalid JSON at line 1, column 21: unexpected 'x' after the top-level value"},
		{"deep nesting", `{"action":"accept","modifications":[` + strings.Repeat("[", 130), "invalid JSON at line 1, column 162: recursion limit exceeded: more than 127 nested arrays and objects"},
		{"two values", `{"action":"accept"}{}`, "invalid JSON at line 1, column 20: unexpected '{' after the top-level value"},
		{"invalid utf8", "{\"action\":\"accept\",\"response\":{\"message\":\"\xff\"}}", "invalid JSON at line 1, column 42: invalid UTF-8 in string"},
		{"lone surrogate", `{"action":"accept","modifications":[{"type":"addHeader","name":"a","value":"b","x":"\ud800"}]}`, `invalid JSON at line 1, column 85: lone surrogate \uD800 in a string`},
		{"string", `"accept"`, `want a JSON object, got "accept"`},
		{"missing action", `{"modifications":[]}`, "action: missing field (want one of accept, discard, reject, quarantine)"},
		{"capital action", `{"action":"Accept"}`, `action: unknown action "Accept" (want one of accept, discard, reject, quarantine)`},
		{"upper action", `{"action":"REJECT"}`, `action: unknown action "REJECT" (want one of accept, discard, reject, quarantine)`},
		{"action number", `{"action":1}`, "action: want a string, got 1"},
		{"duplicate action", `{"action":"accept","action":"reject"}`, "action: duplicate field"},
		{"response string", `{"action":"reject","response":"550 no"}`, `response: want an object or null, got "550 no"`},
		{"string status", `{"action":"reject","response":{"status":"550"}}`, `response.status: want an unsigned integer 0..65535, got "550"`},
		{"float status", `{"action":"reject","response":{"status":550.0}}`, "response.status: want an unsigned integer 0..65535, got the floating-point number 550.0"},
		{"big status", `{"action":"reject","response":{"status":70000}}`, "response.status: want an unsigned integer 0..65535, got 70000"},
		{"negative status", `{"action":"reject","response":{"status":-1}}`, "response.status: want an unsigned integer 0..65535, got -1"},
		{"null disconnect", `{"action":"reject","response":{"disconnect":null}}`, "response.disconnect: want true or false, got null"},
		{"string disconnect", `{"action":"reject","response":{"disconnect":"yes"}}`, `response.disconnect: want true or false, got "yes"`},
		{"message number", `{"action":"reject","response":{"message":5}}`, "response.message: want a string or null, got 5"},
		{"null modifications", `{"action":"accept","modifications":null}`, "modifications: want an array, got null"},
		{"object modifications", `{"action":"accept","modifications":{}}`, "modifications: want an array, got an object"},
		{"mod not object", `{"action":"accept","modifications":["addHeader"]}`, `modifications[0]: want an object, got "addHeader"`},
		{"missing type", `{"action":"accept","modifications":[{"name":"X","value":"1"}]}`, "modifications[0].type: missing field (want one of changeFrom, addRecipient, deleteRecipient, replaceContents, addHeader, insertHeader, changeHeader, deleteHeader)"},
		{"addRcpt", `{"action":"accept","modifications":[{"type":"addRcpt","value":"a@b"}]}`, `modifications[0].type: unknown type "addRcpt" (want one of changeFrom, addRecipient, deleteRecipient, replaceContents, addHeader, insertHeader, changeHeader, deleteHeader); the docs' "addRcpt" does not exist: use "addRecipient"`},
		{"deleteRcpt", `{"action":"accept","modifications":[{"type":"addHeader","name":"a","value":"b"},{"type":"deleteRcpt","value":"a@b"}]}`, `modifications[1].type: unknown type "deleteRcpt" (want one of changeFrom, addRecipient, deleteRecipient, replaceContents, addHeader, insertHeader, changeHeader, deleteHeader); the docs' "deleteRcpt" does not exist: use "deleteRecipient"`},
		{"wrong case type", `{"action":"accept","modifications":[{"type":"AddHeader","name":"a","value":"b"}]}`, `modifications[0].type: unknown type "AddHeader" (want one of changeFrom, addRecipient, deleteRecipient, replaceContents, addHeader, insertHeader, changeHeader, deleteHeader); types are case-sensitive: use "addHeader"`},
		{"negative index", `{"action":"accept","modifications":[{"type":"addHeader","name":"a","value":"b"},{"type":"addHeader","name":"a","value":"b"},{"type":"changeHeader","index":-1,"name":"X","value":"y"}]}`, "modifications[2].index: want an unsigned integer, got -1"},
		{"string index", `{"action":"accept","modifications":[{"type":"insertHeader","index":"1","name":"X","value":"y"}]}`, `modifications[0].index: want an unsigned integer, got "1"`},
		{"fractional index", `{"action":"accept","modifications":[{"type":"insertHeader","index":1.5,"name":"X","value":"y"}]}`, "modifications[0].index: want an unsigned integer, got the floating-point number 1.5"},
		// serde_json reads -0 as the float -0.0 (since 1.0.68): "invalid type: floating point `-0.0`, expected u32".
		{"negative zero index", `{"action":"accept","modifications":[{"type":"deleteHeader","index":-0,"name":"X"}]}`, "modifications[0].index: want an unsigned integer, got -0, which serde_json reads as the floating-point number -0.0"},
		{"negative zero status", `{"action":"reject","response":{"status":-0}}`, "response.status: want an unsigned integer 0..65535, got -0, which serde_json reads as the floating-point number -0.0"},
		{"index too big", `{"action":"accept","modifications":[{"type":"insertHeader","index":4294967296,"name":"X","value":"y"}]}`, "modifications[0].index: want an unsigned integer, got 4294967296"},
		{"missing index", `{"action":"accept","modifications":[{"type":"deleteHeader","name":"X"}]}`, "modifications[0].index: missing field (want an unsigned integer)"},
		{"missing value", `{"action":"accept","modifications":[{"type":"addHeader","name":"X"}]}`, "modifications[0].value: missing field (want a string)"},
		{"null value", `{"action":"accept","modifications":[{"type":"replaceContents","value":null}]}`, "modifications[0].value: want a string, got null"},
		{"number parameter", `{"action":"accept","modifications":[{"type":"changeFrom","value":"a@b","parameters":{"size":54321}}]}`, "modifications[0].parameters.size: want a string or null, got 54321"},
		{"null parameters", `{"action":"accept","modifications":[{"type":"addRecipient","value":"a@b","parameters":null}]}`, "modifications[0].parameters: want an object of string or null values, got null"},
		{"duplicate mod field", `{"action":"accept","modifications":[{"type":"addHeader","name":"a","name":"b","value":"c"}]}`, "modifications[0].name: duplicate field"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseResponse([]byte(tc.body))
			if err == nil {
				t.Fatalf("ParseResponse succeeded with %+v, want error %q", got, tc.want)
			}
			if _, ok := err.(*ParseError); !ok {
				t.Errorf("error type %T, want *ParseError", err)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got %q\nwant %q", err.Error(), tc.want)
			}
		})
	}
}

func FuzzParseResponse(f *testing.F) {
	seeds := []string{
		`{"action":"accept"}`,
		`{"action":"reject","response":{"status":550,"enhanced_status":"5.7.1","message":"no"}}`,
		`{"action":"accept","modifications":[{"type":"changeFrom","value":"a@b","parameters":{"A":null}},{"type":"insertHeader","index":2,"name":"X","value":"y"}]}`,
		`{"action":"accept","modifications":[{"type":"addRcpt","value":"x"}]}`,
		`{"action":"quarantine","response":{"enhancedStatus":"1","disconnect":true}}`,
		`{"action":"accept","x":"\ud83d\ude00\ud800"}`,
		``, `[]`, `null`, `{"action":"accept"}}`,
		`{"action":"accept","modifications":[{"type":"addHeader","name":"X A","value":"Gr\u00fc\r\nB: c\n\r \r\n"}]}`,
		`{"action":"reject","response":{"status":451}}`,
		`{"set":[{"path":"/action","value":"reject"},{"path":"/response/code","value":550}],"delete":[{"path":"/x"}]}`,
		`[{"op":"add","path":"/a"}]`,
		// serde_json's skipping and its limits (limits_test.go).
		"{\"action\":\"accept\",\"x\":\"a\xff\"}",
		"{\"action\":\"reject\",\"response\":{\"x\":[\"\\udc00\",{\"\xfe\":1e999}]}}",
		`{"action":"accept","x":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`,
		`{"action":"accept","modifications":[{"type":"addHeader","name":"a","value":"b","x":` + strings.Repeat("[", 125) + strings.Repeat("]", 125) + `}]}`,
		`{"action":"accept","modifications":[{"type":"deleteHeader","index":1,"name":"a","x":1e400}]}`,
		// serde's array forms (structform.go) and the action as an object.
		`["accept"]`,
		`["reject",[550,"5.7.1","no",true]]`,
		`[{"accept":null},[],[["addHeader","X","1"],{"type":"deleteRecipient","value":"a@b"}]]`,
		`{"action":"accept","modifications":[["changeFrom","a@b",{"SIZE":"1","BODY":null}],["insertHeader",1,"X","y"]]}`,
		`{"action":{"discard":null},"response":[250,null,"ok"]}`,
		`["accept",null,[],1]`,
		`{"action":"accept","modifications":[[],["addHeader","X"],["deleteHeader",-0,"X"],["changeFrom","a",[]]]}`,
		"[\"reject\",{\"x\":\"\xff\"},[[\"addHeader\",\"a\",\"\xff\"]]]",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseResponse(body)
		if (r == nil) == (err == nil) {
			t.Fatalf("want exactly one of response and error, got %v, %v", r, err)
		}
		if r != nil {
			if !r.Action.Valid() {
				t.Fatalf("parsed an invalid action %q", r.Action)
			}
			for _, m := range r.Modifications {
				if !m.Type.Valid() {
					t.Fatalf("parsed an invalid type %q", m.Type)
				}
			}
			// Whichever forms it came in, the response means the same
			// written as objects or as arrays.
			for _, f := range []arrayForms{{}, {body: true, reply: true, mods: true, actionObject: true}} {
				enc := encodeResponse(r, f)
				again, err := ParseResponse(enc)
				if err != nil || !reflect.DeepEqual(again, r) {
					t.Fatalf("%q parses to %+v; written as %s it parses to %+v, %v", body, r, enc, again, err)
				}
			}
		}
		for _, stage := range []Stage{StageRcpt, StageData} {
			for _, l := range LintResponse(body, stage) {
				if l.Code == "" || l.Message == "" {
					t.Fatalf("empty lint %+v", l)
				}
			}
		}
	})
}

// TestInspectAgrees: Inspect gives what ParseResponse and LintResponse give.
func TestInspectAgrees(t *testing.T) {
	t.Parallel()
	bodies := []string{
		`{"action":"accept"}`,
		`{"action":"reject","response":{"status":550,"enhancedStatus":"5.7.1","message":"no"}}`,
		`{"action":"accept","modifications":[{"type":"addRcpt","value":"a@b"}]}`,
		`not json`, ``,
	}
	for _, b := range bodies {
		resp, lints, err := Inspect([]byte(b), StageMail)
		wantResp, wantErr := ParseResponse([]byte(b))
		if !reflect.DeepEqual(resp, wantResp) || (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
			t.Errorf("Inspect(%q) = %v, %v; ParseResponse = %v, %v", b, resp, err, wantResp, wantErr)
		}
		if want := LintResponse([]byte(b), StageMail); !reflect.DeepEqual(lints, want) {
			t.Errorf("Inspect(%q) lints %v, LintResponse %v", b, lints, want)
		}
	}
}
