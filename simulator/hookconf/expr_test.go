package hookconf

import (
	"errors"
	"strings"
	"testing"
)

func sessionVars() *ExprVars {
	return &ExprVars{
		Sender:          "john@example.org",
		SenderDomain:    "example.org",
		Recipients:      []string{"bill@foobar.org", "jane@example.net"},
		Rcpt:            "jane@example.net",
		RcptDomain:      "example.net",
		AuthenticatedAs: "john",
		Listener:        "smtp",
		RemoteIP:        "10.1.2.3",
		RemotePort:      51234,
		LocalIP:         "192.0.2.10",
		LocalPort:       25,
		Protocol:        "smtp",
		IsTLS:           true,
		Priority:        0,
		HeloDomain:      "mx.example.org",
		ASN:             64500,
		Country:         "ES",
	}
}

func TestExpressionTruth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		want bool
	}{
		// literals and Stalwart's truth rules
		{"true", true},
		{"false", false},
		{"1", true},
		{"0", false},
		{"0.0", false},
		{"2.5", true},
		{"'false'", true}, // a non-empty string is true, whatever it says
		{"'0'", true},
		{"''", false},
		{`""`, false},
		{"[]", false},
		{"['']", true},
		{"30s == 30000", true}, // durations are milliseconds
		{"1m > 59s", true},
		// variables
		{"sender == 'john@example.org'", true},
		{"sender_domain == 'example.com'", false},
		{"rcpt == 'jane@example.net'", true},
		{"rcpt_domain == 'example.net'", true},
		{"authenticated_as", true},
		{"listener == 'smtp'", true},
		{"remote_port == 51234", true},
		{"remote_port == '51234'", true}, // strings compare as numbers with numbers
		{"local_port < 100", true},
		{"local_ip == '192.0.2.10'", true},
		{"protocol == 'smtp'", true},
		{"is_tls", true},
		{"!is_tls", false},
		{"priority == 0", true},
		{"priority", true}, // priority is the string "0" in Stalwart: non-empty, so true
		{"helo_domain == 'mx.example.org'", true},
		{"asn == 64500", true},
		{"country == 'ES'", true},
		{"count(recipients) == 2", true},
		{"recipients", true},
		{"recipients[1] == 'jane@example.net'", true},
		{"recipients[5]", false},
		// operators and precedence
		{"1 + 2 * 3 == 7", true},
		{"(1 + 2) * 3 == 9", true},
		{"10 - 2 - 3 == 5", true}, // left associative
		{"7 / 2 == 3.5", true},
		{"1 / 0 == 0", true},
		{"true || false && false", true}, // && binds tighter than ||
		{"(true || false) && false", false},
		{"!false && false", false}, // ! binds tighter than &&
		{"!(false && false)", true},
		{"1 < 2 == true", true}, // comparison before equality
		{"1 ^ 1", false},
		{"1 & 1", true},
		{"0 | 1", true},
		{"1 != 2", true},
		{"2 >= 2 && 2 <= 2 && 3 > 2 && 2 < 3", true},
		{"'a' + 'b' == 'ab'", true},
		{"'port ' + remote_port == 'port 51234'", true},
		{"'' + 5 == 5", true},
		{"-5 + 10 == 5", true},
		{"'b' > 'a'", true},
		{"'abc' > 5", false}, // 'abc' reads as the number 0
		{"'' == 0", true},
		{"('x' || 0) == 'x'", true}, // || keeps the left value when it is true
		{"(0 && 'x') == 0", true},
		{"sender = 'john@example.org'", true}, // a single '=' compares
		{"sender_domain == 'example.org'}garbage", true},
		// functions
		{"contains(sender, '@example')", true},
		{"contains(recipients, 'bill@foobar.org')", true},
		{"contains(recipients, 'bill')", false},
		{"contains(['a', 'b'], rcpt_domain)", false},
		{"contains_ignore_case(sender, 'EXAMPLE')", true},
		{"eq_ignore_case(country, 'es')", true},
		{"starts_with(sender, 'john')", true},
		{"ends_with(rcpt, '.net')", true},
		{"is_ip_in_cidr(remote_ip, '10.0.0.0/8')", true},
		{"is_ip_in_cidr(remote_ip, '10.1.2.3')", true},
		{"is_ip_in_cidr(remote_ip, '192.168.0.0/16')", false},
		{"is_ip_in_cidr(remote_ip, '10.0.0.0/4')", false}, // prefixes under 8 are invalid
		{"is_ip_in_cidr('::ffff:10.1.2.3', '10.0.0.0/8')", true},
		{"is_ip_in_cidr('2001:db8::1', '2001:db8::/32')", true},
		{"is_ip_in_cidr('10.1.2.3', '::ffff:10.1.2.3')", true},
		{"matches('^john@', sender)", true},
		{"matches('^bill@', sender)", false},
		{"matches('^(\\w+)@', sender) && $1 == 'john'", true},
		{"to_lowercase('ABC') == 'abc'", true},
		{"to_uppercase(country) == 'ES'", true},
		{"trim('  x ') == 'x'", true},
		{"len(sender) == 16", true},
		{"is_empty('')", true},
		{"is_ip_addr(remote_ip)", true},
		{"is_ipv6_addr(remote_ip)", false},
		{"email_part(sender, 'domain') == 'example.org'", true},
		{"if_then(is_tls, 'yes', '') == 'yes'", true},
		{"is_intersect(recipients, ['x', 'bill@foobar.org'])", true},
		{"split(sender, '@')[1] == 'example.org'", true},
		{"$missing", false}, // globals are 0 in a session
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			e, err := ParseExpression(tt.expr)
			if err != nil {
				t.Fatalf("ParseExpression: %v", err)
			}
			if got := e.Enabled(sessionVars()); got != tt.want {
				t.Errorf("Enabled = %v, want %v", got, tt.want)
			}
			if e.String() != tt.expr {
				t.Errorf("String = %q, want %q", e.String(), tt.expr)
			}
		})
	}
}

func TestExpressionEmptySession(t *testing.T) {
	t.Parallel()
	// Before MAIL FROM every string variable is empty: false, not an error.
	for _, src := range []string{"sender", "rcpt", "recipients", "authenticated_as", "is_tls"} {
		e, err := ParseExpression(src)
		if err != nil {
			t.Fatal(err)
		}
		if e.Enabled(&ExprVars{}) {
			t.Errorf("%s on an empty session = true, want false", src)
		}
		if e.Enabled(nil) {
			t.Errorf("%s on nil vars = true, want false", src)
		}
	}
}

func TestStringEscapesLikeStalwart(t *testing.T) {
	t.Parallel()
	// Stalwart keeps the backslash of an escape: 'a\'b' is a\'b.
	e, err := ParseExpression(`len('a\'b') == 4 && 'a\'b' == "a\'b"`)
	if err != nil {
		t.Fatal(err)
	}
	if !e.Enabled(nil) {
		t.Error(`'a\'b' should be the four characters a\'b`)
	}
	n, err := compileExpr(`'x\ny'`)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := n.eval(&evalCtx{vars: &ExprVars{}})
	if v.str() != "x\\\ny" {
		t.Errorf(`'x\ny' = %q, want backslash then newline`, v.str())
	}
}

func TestEvaluationErrorIsFalse(t *testing.T) {
	t.Parallel()
	boom := callNode{fn: func([]value) (value, error) { return value{}, errors.New("store unavailable") }}
	tests := []struct {
		name string
		b    *ifBlock
	}{
		{"else", &ifBlock{elseExpr: notNode{boom}}},
		{"condition", &ifBlock{conds: [][2]node{{boom, litNode{intVal(1)}}}, elseExpr: litNode{intVal(1)}}},
		{"then", &ifBlock{conds: [][2]node{{litNode{intVal(1)}, boom}}, elseExpr: litNode{intVal(1)}}},
	}
	for _, tt := range tests {
		if tt.b.Enabled(sessionVars()) {
			t.Errorf("%s: an evaluation error must mean false", tt.name)
		}
	}
}

func TestIfBlock(t *testing.T) {
	t.Parallel()
	e, err := NewIfBlock([]Condition{
		{If: "remote_ip == '10.1.2.3'", Then: "false"},
		{If: "is_tls", Then: "'false'"},
	}, "true")
	if err != nil {
		t.Fatal(err)
	}
	v := sessionVars()
	if e.Enabled(v) {
		t.Error("first matching condition picks false")
	}
	v.RemoteIP = "10.9.9.9"
	if !e.Enabled(v) {
		t.Error("second condition picks the string 'false', which is true")
	}
	v.IsTLS = false
	if !e.Enabled(v) {
		t.Error("no condition: else is true")
	}
	want := `{"match":{"0":{"if":"remote_ip == '10.1.2.3'","then":"false"},"1":{"if":"is_tls","then":"'false'"}},"else":"true"}`
	if e.String() != want {
		t.Errorf("String = %s\nwant     %s", e.String(), want)
	}
	if _, err := NewIfBlock([]Condition{{If: "nope", Then: "true"}}, "true"); err == nil {
		t.Error("a bad condition must be refused")
	}
}

func TestConstExpression(t *testing.T) {
	t.Parallel()
	if !ConstExpression(true).Enabled(nil) || ConstExpression(false).Enabled(sessionVars()) {
		t.Error("ConstExpression ignores the session")
	}
	if ConstExpression(false).String() != "false" {
		t.Error("String of ConstExpression(false)")
	}
}

func TestExpressionRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr        string
		msg         string
		unsupported bool
	}{
		{"", "empty expression", false},
		{"sendr == 'x'", `invalid variable or constant "sendr"`, false},
		{"subject == 'x'", `variable "subject" is not allowed`, false},
		{"remote_ip.ptr", `variable "remote_ip.ptr" is not allowed`, false},
		{"lower(sender)", "use to_lowercase()", false},
		{"relaxed", `the constant "relaxed"`, false},
		{"is_local_domain(rcpt_domain)", "needs Stalwart's directory", true},
		{"key_get('x', 'y')", "needs Stalwart's directory", true},
		{"hash(sender, 'md5')", "hooksim does not implement it", true},
		{"system('hostname')", "server's own state", true},
		{"sender ==", "unexpected end of expression", false},
		{"(sender", "unmatched open parenthesis", false},
		{"sender)", "unmatched close parenthesis", false},
		{"'abc", "unterminated string", false},
		{"sender\t== 'x'", "invalid character '\\t'", false},
		{"sender # x", "invalid character '#'", false},
		{"contains(sender)", `function "contains" expects 2 argument(s), got 1`, false},
		{"contains", "expected '(' after the function name", false},
		{"1 2", "unexpected \"2\" after a complete expression", false},
		{"matches(sender, 'x')", "quoted regular expression first", false},
		{"matches('(', sender)", "invalid regular expression", false},
		{"matches('a', sender, rcpt)", "matches() takes a regular expression and one value", false},
		{"99999999999999999999", "invalid integer value", false},
		{"1.2.3", "invalid float value", false},
		{"'a'[0]", "after a complete expression", false},
		{strings.Repeat("(", 200) + "1" + strings.Repeat(")", 200), "nested too deeply", false},
		{strings.Repeat("!", 300) + "1", "nested too deeply", false},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			_, err := ParseExpression(tt.expr)
			var ee *ExprError
			if !errors.As(err, &ee) {
				t.Fatalf("err = %v, want *ExprError", err)
			}
			if !strings.Contains(ee.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", ee.Error(), tt.msg)
			}
			if ee.Unsupported != tt.unsupported {
				t.Errorf("Unsupported = %v, want %v", ee.Unsupported, tt.unsupported)
			}
		})
	}
}
