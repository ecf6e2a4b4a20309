package wire

import (
	"reflect"
	"strings"
	"testing"
)

// TestLintArrayForms: each array form serde accepts (and the action as an
// object) gets its lint, at its place in the body; the other lints see
// through the forms and name both the JSON path and the field; forms serde
// refuses (too few or too many elements, no valid tag) get no such lint,
// their parse error says why.
func TestLintArrayForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		body  string
		stage Stage
		want  []string // "code path", in order
	}{
		{"object body", `{"action":"accept","modifications":[{"type":"addHeader","name":"X","value":"1"}]}`, StageData, nil},
		{"body array", `["accept"]`, StageData, []string{"array-form "}},
		{"response array", `{"action":"reject","response":[550,"5.7.1","no"]}`, StageData, []string{"array-form response"}},
		{"modification array", `{"action":"accept","modifications":[{"type":"addHeader","name":"A","value":"1"},["addHeader","B","2"]]}`, StageData,
			[]string{"array-form modifications[1]"}},
		{"action object", `{"action":{"reject":null},"response":{"status":550,"message":"no"}}`, StageData, []string{"action-object-form action"}},
		{"all of them, and the lints inside", `[{"quarantine":null},[250,null,null,true],[["addHeader","X A","1"]]]`, StageRcpt, []string{
			"array-form ",
			"action-object-form [0] (action)",
			"array-form [1] (response)",
			"array-form [2][0] (modifications[0])",
			"quarantine-is-discard [0] (action)",
			"disconnect-ignored [1][3] (response.disconnect)",
			"partial-reply [1] (response)",
			"discard-before-data [0] (action)",
			"mods-before-data [2] (modifications)",
		}},
		{"lints inside objects inside a body array", `["reject",{"status":550,"enhancedStatus":"5.7.1","message":"no"},[{"type":"addHeader","name":"X","value":"a\nb"}]]`, StageData, []string{
			"array-form ",
			"enhanced-status-camel [1].enhancedStatus (response.enhancedStatus)",
			"header-value-line-break [2][0].value (modifications[0].value)",
		}},
		{"lints inside a modification array", `{"action":"accept","modifications":[["changeFrom","a@b",{"SIZE":5}],["insertHeader",1,"Subject","Grüße"]]}`, StageData, []string{
			"array-form modifications[0]",
			"array-form modifications[1]",
			"docs-parameters modifications[0][2] (modifications[0].parameters)",
			"header-value-non-ascii modifications[1][3] (modifications[1].value)",
		}},
		// serde refuses these; the parse error explains them.
		{"body array too long", `["accept",null,[],1]`, StageData, nil},
		{"body array without an action", `[1]`, StageData, nil},
		{"modification array short of a field", `{"action":"accept","modifications":[["addHeader","X"]]}`, StageData, nil},
		{"modification array too long", `{"action":"accept","modifications":[["deleteRecipient","a@b","c@d"]]}`, StageData, nil},
		{"docs' type in an array", `{"action":"accept","modifications":[["addRcpt","a@b"]]}`, StageData, nil},
		{"response array too long", `{"action":"reject","response":[550,"5.7.1","no",false,1]}`, StageData, nil},
		{"action object with a value", `{"action":{"accept":true}}`, StageData, nil},
		{"JSON Patch", `[{"op":"add","path":"/a","value":1}]`, StageData, []string{"json-patch-body "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, l := range LintResponse([]byte(tc.body), tc.stage) {
				got = append(got, l.Code+" "+l.Path)
				if l.Message == "" || l.Fix == "" && (l.Code == LintArrayForm || l.Code == LintActionObject) {
					t.Errorf("lint without why or fix: %+v", l)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("lints\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestLintArrayFormFix: the fix of array-form and action-object-form is
// the object serde reads; sent instead of the array, it parses to the same
// response and no longer gets the lint.
func TestLintArrayFormFix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		wrap       func(fix string) string // the body with the fix in place of the form
	}{
		{"modification", `{"action":"accept","modifications":[["insertHeader",2,"X-Spam","yes\r\n"]]}`,
			func(fix string) string { return `{"action":"accept","modifications":[` + fix + `]}` }},
		{"modification with parameters left out", `{"action":"accept","modifications":[["addRecipient","<a@b.c>"]]}`,
			func(fix string) string { return `{"action":"accept","modifications":[` + fix + `]}` }},
		{"response", `{"action":"reject","response":[451,"4.7.1","Try \"later\"",false]}`,
			func(fix string) string { return `{"action":"reject","response":` + fix + `}` }},
		{"body", `["discard",null,[]]`, func(fix string) string { return fix }},
		{"action", `{"action":{"reject":null}}`, func(fix string) string { return "{" + fix + "}" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want, err := ParseResponse([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			lints := LintResponse([]byte(tc.body), StageData)
			if len(lints) == 0 || (lints[0].Code != LintArrayForm && lints[0].Code != LintActionObject) {
				t.Fatalf("lints %v", lints)
			}
			fix := lints[0].Fix
			fix = strings.TrimPrefix(fix, "send an object with named keys: ")
			fix = strings.TrimPrefix(fix, "send ")
			fixed := tc.wrap(fix)
			got, err := ParseResponse([]byte(fixed))
			if err != nil {
				t.Fatalf("the fixed body %s: %v", fixed, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("the fixed body %s parses to %+v, want %+v", fixed, got, want)
			}
			for _, l := range LintResponse([]byte(fixed), StageData) {
				if l.Code == LintArrayForm || l.Code == LintActionObject {
					t.Errorf("the fixed body %s still gets %v", fixed, l)
				}
			}
		})
	}
}
