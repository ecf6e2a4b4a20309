package wire

import (
	"strings"
	"testing"
)

// TestLintsWithFixes: the lints a hook author needs, from the body alone,
// each with its code, path, the key words of its why and of its fix.
func TestLintsWithFixes(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 1000)
	tests := []struct {
		name     string
		body     string
		stage    Stage
		code     string
		path     string
		why, fix []string // substrings of Message and of Fix
	}{
		{"line break in a reply", `{"action":"reject","response":{"status":550,"message":"no\r\n250 OK"}}`, StageMail,
			LintReplyLineBreak, "response.message", []string{"another reply"}, []string{"one line"}},
		// Header names and values that break the header block.
		{"CRLF injects a header", `{"action":"accept","modifications":[{"type":"addHeader","name":"X-Spam","value":"yes\r\nBcc: victim@example.org"}]}`, StageData,
			LintHeaderLineBreak, "modifications[0].value", []string{`"Bcc: victim@example.org" becomes a header line of its own`}, []string{"fold it with a CRLF followed by a space"}},
		{"bare LF", `{"action":"accept","modifications":[{"type":"insertHeader","index":1,"name":"X-A","value":"one\ntwo"}]}`, StageData,
			LintHeaderLineBreak, "modifications[0].value", []string{"bare LF"}, []string{"CRLF line ends"}},
		{"bare LF at the end", `{"action":"accept","modifications":[{"type":"addHeader","name":"X-A","value":"one\n"}]}`, StageData,
			LintHeaderLineBreak, "modifications[0].value", []string{"bare LF"}, nil},
		{"bare CR", `{"action":"accept","modifications":[{"type":"changeHeader","index":1,"name":"Subject","value":"a\rb"}]}`, StageData,
			LintHeaderLineBreak, "modifications[0].value", []string{"bare CR"}, nil},
		{"blank line ends the header block", `{"action":"accept","modifications":[{"type":"addHeader","name":"X-A","value":"a\r\n\r\nbody"}]}`, StageData,
			LintHeaderLineBreak, "modifications[0].value", []string{"blank line", "becomes part of the body"}, nil},
		{"final CRLF then CRLF", `{"action":"accept","modifications":[{"type":"addHeader","name":"X-A","value":"a\r\n\r\n"}]}`, StageData,
			LintHeaderLineBreak, "modifications[0].value", []string{"blank line"}, nil},
		{"fold of white space only", `{"action":"accept","modifications":[{"type":"addHeader","name":"X-A","value":"a\r\n "}]}`, StageData,
			LintHeaderLineBreak, "modifications[0].value", []string{"nothing but white space"}, nil},
		{"empty name", `{"action":"accept","modifications":[{"type":"addHeader","name":"","value":"v"}]}`, StageData,
			LintHeaderName, "modifications[0].name", []string{`"" is empty`, "breaks the header block"}, []string{"printable ASCII"}},
		{"space in name", `{"action":"accept","modifications":[{"type":"addHeader","name":"X A","value":"v"}]}`, StageData,
			LintHeaderName, "modifications[0].name", []string{"has white space"}, nil},
		{"colon only", `{"action":"accept","modifications":[{"type":"insertHeader","index":0,"name":"X-A:b","value":"v"}]}`, StageData,
			LintHeaderName, "modifications[0].name", []string{"has a colon"}, nil},
		{"CRLF in name", `{"action":"accept","modifications":[{"type":"addHeader","name":"X-A\r\nBcc","value":"v"}]}`, StageData,
			LintHeaderName, "modifications[0].name", []string{"line break"}, nil},
		{"control in name", `{"action":"accept","modifications":[{"type":"addHeader","name":"X\u0001","value":"v"}]}`, StageData,
			LintHeaderName, "modifications[0].name", []string{"control character"}, nil},
		{"non-ASCII name", `{"action":"accept","modifications":[{"type":"addHeader","name":"X-Grüße","value":"v"}]}`, StageData,
			LintHeaderName, "modifications[0].name", []string{"non-ASCII"}, nil},
		{"deleteHeader of an impossible name", `{"action":"accept","modifications":[{"type":"deleteHeader","index":1,"name":"Subject:"}]}`, StageData,
			LintHeaderName, "modifications[0].name", []string{"deletes nothing"}, []string{"exact name"}},
		{"line over 998 octets", `{"action":"accept","modifications":[{"type":"addHeader","name":"X-Long","value":"` + long + `"}]}`, StageData,
			LintHeaderLineLength, "modifications[0].value", []string{"line 1 of this header would be 1008 octets", "998"}, []string{"fold the value"}},
		{"folded long second line", `{"action":"accept","modifications":[{"type":"addHeader","name":"X-Long","value":"a\r\n ` + long + `"}]}`, StageData,
			LintHeaderLineLength, "modifications[0].value", []string{"line 2 of this header would be 1001 octets"}, nil},
		{"non-ASCII value", `{"action":"accept","modifications":[{"type":"addHeader","name":"Subject","value":"Grüße"}]}`, StageData,
			LintHeaderNonASCII, "modifications[0].value", []string{"not RFC 2047-encoded"}, []string{`"=?UTF-8?B?R3LDvMOfZQ==?="`}},
		{"non-ASCII address header", `{"action":"accept","modifications":[{"type":"changeHeader","index":1,"name":"From","value":" Jürgen <j@example.org>"}]}`, StageData,
			LintHeaderNonASCII, "modifications[0].value", []string{"SMTPUTF8"}, []string{"display name only"}},

		// Incomplete custom replies: what the client hears instead.
		{"451 without message", `{"action":"reject","response":{"status":451,"enhanced_status":"4.7.1"}}`, StageRcpt,
			LintPartialReply, "response", []string{`the client hears "503 5.5.3 Message rejected."`, "a 451 meant as a soft reject becomes a permanent 503 5.5.3"},
			[]string{`"status": 451, "enhanced_status": "4.7.1", "message": "Try again later"`}},
		{"550 without message", `{"action":"reject","response":{"status":550}}`, StageMail,
			LintPartialReply, "response", []string{"the 550 becomes 503 5.5.3"}, []string{`"status": 550`}},
		{"discard with message only", `{"action":"discard","response":{"message":"bye"}}`, StageData,
			LintPartialReply, "response", []string{"without status", `"250 2.0.0 Message queued for delivery."`, "never sent"}, []string{`"message": "bye"`}},

		// Discard before data.
		{"discard at rcpt", `{"action":"discard"}`, StageRcpt,
			LintDiscardBeforeData, "action", []string{`the client hears "250 2.0.0 Message queued for delivery."`, "silently dropped from the envelope"}, []string{"reject with a 5xx", `"status":550`}},
		{"quarantine at rcpt with a 2xx reply", `{"action":"quarantine","response":{"status":250,"enhanced_status":"2.1.5","message":"OK"}}`, StageRcpt,
			LintDiscardBeforeData, "action", []string{`"250 2.1.5 OK"`, "silently dropped"}, nil},
		{"discard at mail", `{"action":"discard"}`, StageMail,
			LintDiscardBeforeData, "action", []string{"as if the sender were accepted", "503 5.5.1 MAIL is required first."}, nil},
		{"discard at connect", `{"action":"discard"}`, StageConnect,
			LintDiscardBeforeData, "action", []string{"instead of the greeting"}, nil},
		{"discard at ehlo", `{"action":"discard"}`, StageEhlo,
			LintDiscardBeforeData, "action", []string{"previous one is restored"}, nil},

		// The IETF draft's shape, and JSON Patch.
		{"draft body", `{"set":[{"path":"/action","value":"reject"},{"path":"/response","value":{"code":550,"enhancedCode":"5.7.1","message":"Policy"}}],"add":[{"path":"/message/headers","value":{"name":"X-Spam","value":"yes"}}]}`, StageData,
			LintDraftBody, "set", []string{"IETF MTA Hooks draft", "draft-degennaro-mta-hooks-01", "set/add", "v1 protocol", `no "action"`},
			[]string{`{"action": "reject", "response": {"status": 550, "enhanced_status": "5.7.1", "message": "Policy"}, "modifications": [{"type": "addHeader", "name": "X-Spam", "value": "yes"}]}`}},
		{"draft body with what v1 cannot say", `{"set":[{"path":"/rawMessage","value":"..."}],"delete":[{"path":"/message/headers","index":2}]}`, StageData,
			LintDraftBody, "set", []string{"set/delete"}, []string{`{"action": "accept"}`, "no v1 equivalent for set /rawMessage, delete /message/headers"}},
		{"draft operations beside an action", `{"action":"accept","add":[{"path":"/message/headers","value":{"name":"X","value":"y"}}]}`, StageData,
			LintDraftBody, "add", []string{"ignores add entirely"}, nil},
		{"JSON Patch", `[{"op":"add","path":"/headers/-","value":"X: y"}]`, StageData,
			LintJSONPatchBody, "", []string{"RFC 6902 JSON Patch"}, []string{`"action": "accept"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var found *Lint
			lints := LintResponse([]byte(tc.body), tc.stage)
			for i := range lints {
				if lints[i].Code == tc.code {
					found = &lints[i]
				}
			}
			if found == nil {
				t.Fatalf("no %s lint in %v", tc.code, lints)
			}
			if found.Path != tc.path {
				t.Errorf("path %q, want %q", found.Path, tc.path)
			}
			for _, w := range tc.why {
				if !strings.Contains(found.Message, w) {
					t.Errorf("message %q lacks %q", found.Message, w)
				}
			}
			if found.Fix == "" {
				t.Errorf("%s has no fix", tc.code)
			}
			for _, w := range tc.fix {
				if !strings.Contains(found.Fix, w) {
					t.Errorf("fix %q lacks %q", found.Fix, w)
				}
			}
			if strings.ContainsAny(found.String(), "\r\n") {
				t.Errorf("String() is not one line: %q", found.String())
			}
		})
	}
}

// TestLintsNotRaised: bodies that look close to a lint's case but are
// fine (or already explained by another lint) get none of these codes.
func TestLintsNotRaised(t *testing.T) {
	t.Parallel()
	headerCodes := []string{LintHeaderName, LintHeaderLineBreak, LintHeaderLineLength, LintHeaderNonASCII}
	tests := []struct {
		name  string
		body  string
		stage Stage
		not   []string
	}{
		{"proper fold and final CRLF", `{"action":"accept","modifications":[{"type":"addHeader","name":"X-Folded","value":"part one\r\n\tpart two\r\n"}]}`, StageData, headerCodes},
		{"value copied from the request", `{"action":"accept","modifications":[{"type":"changeHeader","index":1,"name":"Subject","value":" Saying Hello\r\n"}]}`, StageData, headerCodes},
		{"encoded word", `{"action":"accept","modifications":[{"type":"addHeader","name":"Subject","value":"=?UTF-8?B?R3LDvMOfZQ==?="}]}`, StageData, headerCodes},
		{"998 octets exactly", `{"action":"accept","modifications":[{"type":"addHeader","name":"X-A","value":"` + strings.Repeat("a", 998-len("X-A: ")) + `"}]}`, StageData, headerCodes},
		{"header mods before data are thrown away anyway", `{"action":"accept","modifications":[{"type":"addHeader","name":"X A","value":"a\nb"}]}`, StageRcpt, headerCodes},
		{"complete custom reply", `{"action":"reject","response":{"status":451,"enhanced_status":"4.7.1","message":"later"}}`, StageRcpt, []string{LintPartialReply}},
		{"discard at data", `{"action":"discard"}`, StageData, []string{LintDiscardBeforeData}},
		{"discard at rcpt with a 5xx reply refuses", `{"action":"discard","response":{"status":550,"message":"no"}}`, StageRcpt, []string{LintDiscardBeforeData}},
		{"reject at rcpt", `{"action":"reject"}`, StageRcpt, []string{LintDiscardBeforeData}},
		{"set as an ordinary unknown key", `{"action":"accept","set":{"path":"/action"}}`, StageData, []string{LintDraftBody}},
		{"array of numbers", `[1,2]`, StageData, []string{LintJSONPatchBody}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, l := range LintResponse([]byte(tc.body), tc.stage) {
				for _, c := range tc.not {
					if l.Code == c {
						t.Errorf("unexpected %s", l)
					}
				}
			}
		})
	}
}

// TestDraftKeysAreNotUnknownKeys: a draft-shaped body gets the draft lint
// instead of "unknown key" for set/add/delete.
func TestDraftKeysAreNotUnknownKeys(t *testing.T) {
	t.Parallel()
	lints := LintResponse([]byte(`{"set":[{"path":"/action","value":"accept"}],"other":1}`), StageData)
	var codes []string
	for _, l := range lints {
		codes = append(codes, l.Code+" "+l.Path)
	}
	want := []string{LintDraftBody + " set", LintUnknownKey + " other"}
	if strings.Join(codes, ",") != strings.Join(want, ",") {
		t.Errorf("lints %q, want %q", codes, want)
	}
}

func TestLintString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lint Lint
		want string
	}{
		{Lint{Code: "c", Path: "p", Message: "why"}, "[c] p: why"},
		{Lint{Code: "c", Message: "why"}, "[c] why"},
		{Lint{Code: "c", Path: "p", Message: "why", Fix: "do this"}, "[c] p: why. Fix: do this"},
		{Lint{Code: "c", Message: "why.", Fix: "do this"}, "[c] why. Fix: do this"},
	}
	for _, tc := range tests {
		if got := tc.lint.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

// TestDraftFixParses: the v1 body the ietf-draft-body lint suggests is one
// Stalwart parses, whatever the draft body said.
func TestDraftFixParses(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"set":[{"path":"/action","value":"continue"},{"path":"/response","value":{"code":"550","message":"x"}}]}`,
		`{"set":[{"path":"/action","value":"reject"},{"path":"/response/code","value":550.5}],"add":[{"path":"/message/headers","value":{"name":"X-A","value":"1"}}]}`,
		`{"set":[{"path":"/action","value":"tempfail"},{"path":"/response","value":{"code":451,"enhancedCode":"4.7.1","message":"later"}}]}`,
		`{"set":[{"path":"/action","value":"accept"},{"path":"/response","value":{"code":250,"message":"ok"}}]}`,
	} {
		var fix string
		for _, l := range LintResponse([]byte(body), StageData) {
			if l.Code == LintDraftBody {
				fix = l.Fix
			}
		}
		i := strings.Index(fix, "{")
		if i < 0 {
			t.Errorf("%s: no v1 body in the fix %q", body, fix)
			continue
		}
		v1 := fix[i:]
		if j := strings.LastIndex(v1, "}"); j >= 0 {
			v1 = v1[:j+1]
		}
		if _, err := ParseResponse([]byte(v1)); err != nil {
			t.Errorf("%s: the suggested %s does not parse: %v", body, v1, err)
		}
	}
}
