package wire

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestParseArrayForms: the array forms serde accepts where Stalwart's
// response types expect a struct (visit_seq: fields in declaration order,
// defaulted fields may be left out at the end; Modification's tag first),
// and the action in serde_json's map form of a unit variant. Each was
// checked against serde 1.0.228 and serde_json 1.0.150 with Stalwart
// v0.16.18's types.
func TestParseArrayForms(t *testing.T) {
	t.Parallel()
	none := []Modification{}
	tests := []struct {
		name string
		body string
		want Response
	}{
		{"body of the action only", `["accept"]`, Response{Action: ActionAccept, Modifications: none}},
		{"body with null response", ` [ "discard" , null ] `, Response{Action: ActionDiscard, Modifications: none}},
		{"body of three elements", `["accept",null,[{"type":"addHeader","name":"X-A","value":"1"}]]`,
			Response{Action: ActionAccept, Modifications: []Modification{{Type: ModAddHeader, Name: "X-A", Value: "1"}}}},
		{"body with a response object", `["reject",{"status":550,"message":"no","enhancedStatus":"5.7.1"}]`,
			Response{Action: ActionReject, Reply: &SMTPResponse{Status: ptr(uint16(550)), Message: ptr("no")}, Modifications: none}},
		{"response array in full", `{"action":"reject","response":[550,"5.7.1","Go away",true]}`,
			Response{Action: ActionReject, Reply: &SMTPResponse{Status: ptr(uint16(550)), EnhancedStatus: ptr("5.7.1"), Message: ptr("Go away"), Disconnect: true}, Modifications: none}},
		{"response array cut short", `{"action":"reject","response":[451,null,"later"]}`,
			Response{Action: ActionReject, Reply: &SMTPResponse{Status: ptr(uint16(451)), Message: ptr("later")}, Modifications: none}},
		{"empty response array", `{"action":"reject","response":[]}`,
			Response{Action: ActionReject, Reply: &SMTPResponse{}, Modifications: none}},
		{"arrays all the way down", `["accept",[],[["addHeader","X-A","1"],["deleteHeader",2,"Received"]]]`,
			Response{Action: ActionAccept, Reply: &SMTPResponse{}, Modifications: []Modification{
				{Type: ModAddHeader, Name: "X-A", Value: "1"}, {Type: ModDeleteHeader, Name: "Received", Index: 2}}}},
		{"every modification as an array", `{"action":"accept","modifications":[
			["changeFrom","<a@b.c>",{"SIZE":"10","BODY":null}],
			["addRecipient","x@y.z"],
			["deleteRecipient","d@y.z"],
			["replaceContents","new body"],
			["addHeader","X-A","1"],
			["insertHeader",0,"X-B","2"],
			["changeHeader",4294967295,"Subject","s"],
			["deleteHeader",1,"X-C"]]}`,
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
		{"objects and arrays mixed", `{"action":"accept","modifications":[{"type":"addHeader","name":"A","value":"1"},["addHeader","B","2"]]}`,
			Response{Action: ActionAccept, Modifications: []Modification{{Type: ModAddHeader, Name: "A", Value: "1"}, {Type: ModAddHeader, Name: "B", Value: "2"}}}},
		{"empty parameters", `{"action":"accept","modifications":[["addRecipient","x@y.z",{}]]}`,
			Response{Action: ActionAccept, Modifications: []Modification{{Type: ModAddRecipient, Value: "x@y.z", Parameters: []Parameter{}}}}},
		{"action as an object", `{"action":{"quarantine":null}}`, Response{Action: ActionQuarantine, Modifications: none}},
		{"action as an object in a body array", `[{"accept":null},[550],[["addHeader","X","1"]]]`,
			Response{Action: ActionAccept, Reply: &SMTPResponse{Status: ptr(uint16(550))}, Modifications: []Modification{{Type: ModAddHeader, Name: "X", Value: "1"}}}},
		// The response object of a body array is a plain struct: its unknown
		// keys are skipped, unchecked, as in the object form.
		{"unknown key of a response object in a body array", "[\"reject\",{\"status\":550,\"x\":\"\\ud800\xff\",\"y\":" + strings.Repeat("[", 200) + strings.Repeat("]", 200) + "}]",
			Response{Action: ActionReject, Reply: &SMTPResponse{Status: ptr(uint16(550))}, Modifications: none}},
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

// TestParseArrayFormsInvalid: the array forms serde refuses, with
// hooksim's error and, for reference, serde_json's (what Stalwart logs,
// without the line and column).
func TestParseArrayFormsInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, want, serde string
	}{
		{"empty body array", `[]`,
			"missing element [0], action (want one of accept, discard, reject, quarantine): a response body given as an array lists action, response, modifications",
			"invalid length 0, expected struct Response with 3 elements"},
		{"body array too long", `["accept",null,[],1]`,
			"too many elements (4): a response body given as an array lists only action, response, modifications",
			"trailing characters"},
		{"unknown action in a body array", `["Accept"]`,
			`[0] (action): unknown action "Accept" (want one of accept, discard, reject, quarantine)`,
			"unknown variant `Accept`, expected one of `accept`, `discard`, `reject`, `quarantine`"},
		{"response string in a body array", `["reject","550 no"]`,
			`[1] (response): want an object or null, got "550 no"`,
			`invalid type: string "550 no", expected struct SmtpResponse`},
		{"modifications object in a body array", `["accept",null,{}]`,
			"[2] (modifications): want an array, got an object",
			"invalid type: map, expected a sequence"},
		{"response array too long", `{"action":"reject","response":[550,"5.7.1","no",false,1]}`,
			`response: too many elements (5): "response" given as an array lists only status, enhanced_status, message, disconnect`,
			"trailing characters"},
		{"null disconnect in a response array", `["reject",[550,null,"no",null]]`,
			"[1][3] (response.disconnect): want true or false, got null",
			"invalid type: null, expected a boolean"},
		{"string status in a response array", `{"action":"reject","response":["550"]}`,
			`response[0] (response.status): want an unsigned integer 0..65535, got "550"`,
			`invalid type: string "550", expected u16`},
		{"empty modification array", `{"action":"accept","modifications":[[]]}`,
			"modifications[0]: missing element [0], type (want one of changeFrom, addRecipient, deleteRecipient, replaceContents, addHeader, insertHeader, changeHeader, deleteHeader): a modification given as an array lists its type first, then its fields",
			"missing field `type`"},
		{"number as the type", `{"action":"accept","modifications":[[1,"X","y"]]}`,
			"modifications[0][0] (modifications[0].type): want a string, got 1",
			"invalid type: integer `1`, expected variant identifier"},
		{"docs' type in an array", `{"action":"accept","modifications":[["addRcpt","a@b"]]}`,
			`modifications[0][0] (modifications[0].type): unknown type "addRcpt" (want one of changeFrom, addRecipient, deleteRecipient, replaceContents, addHeader, insertHeader, changeHeader, deleteHeader); the docs' "addRcpt" does not exist: use "addRecipient"`,
			"unknown variant `addRcpt`, expected one of `changeFrom`, `addRecipient`, `deleteRecipient`, `replaceContents`, `addHeader`, `insertHeader`, `changeHeader`, `deleteHeader`"},
		{"modification array short of a field", `{"action":"accept","modifications":[["addHeader","X"]]}`,
			"modifications[0]: missing element [2], value (want a string): an addHeader modification given as an array lists type, name, value",
			"invalid length 1, expected struct variant Modification::AddHeader with 2 elements"},
		{"type alone", `["accept",null,[["deleteRecipient"]]]`,
			"[2][0] (modifications[0]): missing element [1], value (want a string): a deleteRecipient modification given as an array lists type, value",
			"invalid length 0, expected struct variant Modification::DeleteRecipient with 1 element"},
		{"index missing", `{"action":"accept","modifications":[["deleteHeader"]]}`,
			"modifications[0]: missing element [1], index (want an unsigned integer): a deleteHeader modification given as an array lists type, index, name",
			"invalid length 0, expected struct variant Modification::DeleteHeader with 2 elements"},
		{"modification array too long", `{"action":"accept","modifications":[["replaceContents","x",{}]]}`,
			"modifications[0]: too many elements (3): a replaceContents modification given as an array lists only type, value",
			"invalid length 2, expected 1 element in sequence"},
		{"element after parameters", `{"action":"accept","modifications":[["addRecipient","a@b",{},"x"]]}`,
			"modifications[0]: too many elements (4): an addRecipient modification given as an array lists only type, value, parameters",
			"invalid length 3, expected 2 elements in sequence"},
		{"a wrong field before a missing one", `{"action":"accept","modifications":[["insertHeader",-1]]}`,
			"modifications[0][1] (modifications[0].index): want an unsigned integer, got -1",
			"invalid value: integer `-1`, expected u32"},
		{"string index", `["accept",null,[["insertHeader","1","X","y"]]]`,
			`[2][0][1] (modifications[0].index): want an unsigned integer, got "1"`,
			`invalid type: string "1", expected u32`},
		{"negative zero index", `{"action":"accept","modifications":[["deleteHeader",-0,"X"]]}`,
			"modifications[0][1] (modifications[0].index): want an unsigned integer, got -0, which serde_json reads as the floating-point number -0.0",
			"invalid type: floating point `-0.0`, expected u32"},
		// Maps have no array form.
		{"null parameters", `{"action":"accept","modifications":[["changeFrom","a@b",null]]}`,
			"modifications[0][2] (modifications[0].parameters): want an object of string or null values, got null",
			"invalid type: null, expected a map"},
		{"parameters as pairs", `{"action":"accept","modifications":[["changeFrom","a@b",[["SIZE","1"]]]]}`,
			"modifications[0][2] (modifications[0].parameters): want an object of string or null values, got an array",
			"invalid type: sequence, expected a map"},
		{"number parameter", `["accept",null,[["changeFrom","a@b",{"SIZE":5}]]]`,
			"[2][0][2].SIZE (modifications[0].parameters.SIZE): want a string or null, got 5",
			"invalid type: integer `5`, expected a string"},
		// The action in its object form: one key, an action, with null.
		{"empty action object", `{"action":{}}`,
			`action: want a string, got an empty object (serde also takes an action as the key of a one-key object: {"accept": null})`,
			"expected value"},
		{"unknown action as a key", `[{"x":null}]`,
			`[0] (action): want a string, got an object whose first key "x" is no action (want one of accept, discard, reject, quarantine)`,
			"unknown variant `x`, expected one of `accept`, `discard`, `reject`, `quarantine`"},
		{"action object with a value", `{"action":{"accept":1}}`,
			`action.accept: want null (an action as an object is {"accept": null}), got 1`,
			"invalid type: integer `1`, expected unit"},
		{"action object with two keys", `{"action":{"discard":null,"discard":null}}`,
			"action: an action as an object has one key, got 2",
			"expected value"},
		// An element serde skips in the object form is checked in the array form.
		{"bad UTF-8 after a body array", "[\"accept\",null,[],\"\xff\"]",
			"invalid JSON at line 1, column 19: invalid UTF-8 in string",
			"trailing characters"},
		{"lone surrogate in an action object", `[{"\ud800":null}]`,
			`invalid JSON at line 1, column 4: lone surrogate \uD800 in a string`,
			"unexpected end of hex escape"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseResponse([]byte(tc.body))
			if err == nil {
				t.Fatalf("ParseResponse succeeded with %+v, want error %q (serde: %s)", got, tc.want, tc.serde)
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

// TestArrayFormsMeanTheObjects: every body of TestParseResponseValid,
// rewritten with array forms (all of them, and one level at a time),
// parses to the same Response.
func TestArrayFormsMeanTheObjects(t *testing.T) {
	t.Parallel()
	bodies := []string{
		`{"action":"accept"}`,
		`{"action":"discard","response":null}`,
		`{"action":"reject","response":{"status":550,"enhanced_status":"5.7.1","message":"Go away","disconnect":true}}`,
		`{"action":"reject","response":{"message":"no"}}`,
		`{"action":"accept","modifications":[
			{"type":"changeFrom","value":"<a@b.c>","parameters":{"SIZE":"10","BODY":null}},
			{"type":"addRecipient","value":"x@y.z"},
			{"type":"deleteRecipient","value":"d@y.z"},
			{"type":"replaceContents","value":"new body"},
			{"type":"addHeader","name":"X-A","value":"1"},
			{"value":"2","name":"X-B","index":0,"type":"insertHeader"},
			{"type":"changeHeader","index":4294967295,"name":"Subject","value":"s"},
			{"type":"deleteHeader","index":1,"name":"X-C"}]}`,
	}
	for _, b := range bodies {
		want, err := ParseResponse([]byte(b))
		if err != nil {
			t.Fatalf("ParseResponse(%s): %v", b, err)
		}
		for _, f := range []arrayForms{{body: true}, {reply: true}, {mods: true}, {body: true, reply: true, mods: true}, {actionObject: true}} {
			enc := encodeResponse(want, f)
			got, err := ParseResponse(enc)
			if err != nil {
				t.Errorf("ParseResponse(%s): %v", enc, err)
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s\n got %+v\nwant %+v", enc, got, want)
			}
		}
	}
}

// arrayForms says which parts encodeResponse writes in serde's other forms.
type arrayForms struct{ body, reply, mods, actionObject bool }

// encodeResponse writes r back as a body, in object or array forms.
func encodeResponse(r *Response, f arrayForms) []byte {
	str := func(s *string) string {
		if s == nil {
			return "null"
		}
		return quoteJSON(*s)
	}
	action := quoteJSON(string(r.Action))
	if f.actionObject {
		action = "{" + action + ":null}"
	}
	reply := "null"
	if p := r.Reply; p != nil {
		status := "null"
		if p.Status != nil {
			status = strconv.FormatUint(uint64(*p.Status), 10)
		}
		disconnect := "false"
		if p.Disconnect {
			disconnect = "true"
		}
		if f.reply {
			reply = "[" + strings.Join([]string{status, str(p.EnhancedStatus), str(p.Message), disconnect}, ",") + "]"
		} else {
			reply = `{"status":` + status + `,"enhanced_status":` + str(p.EnhancedStatus) + `,"message":` + str(p.Message) + `,"disconnect":` + disconnect + "}"
		}
	}
	mods := make([]string, len(r.Modifications))
	for i, m := range r.Modifications {
		keys, vals := []string{"type"}, []string{quoteJSON(string(m.Type))}
		for _, k := range modKeys[m.Type][1:] {
			keys = append(keys, k)
			switch k {
			case "value":
				vals = append(vals, quoteJSON(m.Value))
			case "name":
				vals = append(vals, quoteJSON(m.Name))
			case "index":
				vals = append(vals, strconv.FormatUint(uint64(m.Index), 10))
			case "parameters":
				ps := make([]string, len(m.Parameters))
				for j, p := range m.Parameters {
					ps[j] = quoteJSON(p.Key) + ":" + str(p.Value)
				}
				vals = append(vals, "{"+strings.Join(ps, ",")+"}")
			}
		}
		if m.Parameters == nil && (m.Type == ModChangeFrom || m.Type == ModAddRecipient) {
			keys, vals = keys[:len(keys)-1], vals[:len(vals)-1] // left out: the default
		}
		mods[i] = encodeStruct(keys, vals, f.mods)
	}
	return []byte(encodeStruct([]string{"action", "response", "modifications"},
		[]string{action, reply, "[" + strings.Join(mods, ",") + "]"}, f.body))
}

func encodeStruct(keys, vals []string, array bool) string {
	if array {
		return "[" + strings.Join(vals, ",") + "]"
	}
	kv := make([]string, len(keys))
	for i := range keys {
		kv[i] = quoteJSON(keys[i]) + ":" + vals[i]
	}
	return "{" + strings.Join(kv, ",") + "}"
}
