package junit

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/compare/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "..", "..", "..", "testdata", "compare", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s\nwant:\n%s", name, got, want)
	}
}

func sample() []Suite {
	return []Suite{
		{
			Name:      "hooksim replay",
			Timestamp: time.Date(2025, 3, 1, 12, 30, 0, 0, time.UTC),
			Cases: []Case{
				{Name: "run 12 hello", ClassName: "replay.resimulate", Time: 12 * time.Millisecond},
				{Name: "run 13 spam-tagged", ClassName: "replay.resimulate", Time: 1500 * time.Millisecond,
					Failure: &Failure{Message: "2 differences", Type: "regression",
						Text: "step 2: MAIL FROM:<john@example.org>\n  reply: \"250 2.1.0 OK\" → \"503 5.5.3 Message rejected.\"\n"}},
				{Name: "run 14", Error: &Failure{Message: "run 14: no such run", Type: "error"}},
				{Name: "run 15", Skipped: &Skipped{Message: "no hook URL"}},
			},
		},
		{Name: "empty"},
	}
}

func TestWriteGolden(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := Write(&b, sample()); err != nil {
		t.Fatal(err)
	}
	golden(t, "junit", b.Bytes())
}

// decoded mirrors the document for a round trip through encoding/xml.
type decoded struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Time     string   `xml:"time,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Time     string `xml:"time,attr"`
		Cases    []struct {
			Name      string `xml:"name,attr"`
			ClassName string `xml:"classname,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error   *struct{} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func roundTrip(t *testing.T, suites []Suite) *decoded {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, suites); err != nil {
		t.Fatal(err)
	}
	var d decoded
	dec := xml.NewDecoder(bytes.NewReader(b.Bytes()))
	dec.Strict = true
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("the report is not valid XML: %v\n%s", err, b.Bytes())
	}
	return &d
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	d := roundTrip(t, sample())
	if d.Tests != 4 || d.Failures != 1 || d.Errors != 1 || d.Skipped != 1 || d.Time != "1.512" {
		t.Errorf("totals %+v", d)
	}
	if len(d.Suites) != 2 || d.Suites[0].Tests != 4 || d.Suites[0].Failures != 1 || d.Suites[1].Tests != 0 {
		t.Fatalf("suites %+v", d.Suites)
	}
	c := d.Suites[0].Cases
	if c[1].Failure == nil || c[1].Failure.Message != "2 differences" || !strings.Contains(c[1].Failure.Text, `"503 5.5.3 Message rejected."`) {
		t.Errorf("failure %+v", c[1].Failure)
	}
	if c[2].Error == nil || c[2].ClassName != "hooksim replay" || c[3].Skipped == nil || c[3].Skipped.Message != "no hook URL" {
		t.Errorf("cases %+v", c)
	}
	if c[1].Time != "1.500" {
		t.Errorf("time %q", c[1].Time)
	}
}

func TestEscaping(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain <&> \"quotes\" 'and' ]]> end", "plain <&> \"quotes\" 'and' ]]> end"},
		{"nul\x00 esc\x1b[31m bell\x07", `nul\x00 esc\x1b[31m bell\x07`},
		{"bad utf8 \xff\xfe", `bad utf8 \xff\xfe`},
		{"nonchar \uFFFE \uFFFF", `nonchar \ufffe \uffff`},
		{"kept \t tab, é, \U0001F600, \uFFFD", "kept \t tab, é, \U0001F600, \uFFFD"},
		{"lines\nkept", "lines\nkept"},
	}
	// Element content: CRLF and CR become LF, as any XML reader makes them.
	d := roundTrip(t, []Suite{{Name: "s", Cases: []Case{{Name: "c", SystemOut: "a\r\nb\rc\x00", Failure: &Failure{Text: "x\r\ny"}}}}})
	if c := d.Suites[0].Cases[0]; c.SystemOut != "a\nb\nc\\x00" || c.Failure.Text != "x\ny" {
		t.Errorf("system-out %q, failure %q", c.SystemOut, c.Failure.Text)
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			d := roundTrip(t, []Suite{{Name: tc.in, Cases: []Case{{
				Name: tc.in, ClassName: tc.in, SystemOut: tc.in,
				Failure: &Failure{Message: tc.in, Type: tc.in, Text: tc.in},
			}}}})
			c := d.Suites[0].Cases[0]
			for what, got := range map[string]string{
				"suite name": d.Suites[0].Name, "case name": c.Name, "classname": c.ClassName,
				"message": c.Failure.Message, "type": c.Failure.Type, "body": c.Failure.Text, "system-out": c.SystemOut,
			} {
				if got != tc.want {
					t.Errorf("%s = %q, want %q", what, got, tc.want)
				}
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteError(t *testing.T) {
	t.Parallel()
	err := Write(failingWriter{}, sample())
	if err == nil || !strings.Contains(err.Error(), "junit: write report: disk full") {
		t.Errorf("Write to a failing writer: %v", err)
	}
}
