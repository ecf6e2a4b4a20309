// Package junit writes JUnit XML reports, the format CI systems (GitHub
// Actions, GitLab, Jenkins) read test results from, for hooksim replay
// and hooksim test.
package junit

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Suite is one <testsuite>: a group of cases, such as one replay or one
// directory of session scripts.
type Suite struct {
	Name string
	// Timestamp is when the suite started; zero leaves it out.
	Timestamp time.Time
	// Time is the suite's duration; zero means the sum of its cases.
	Time  time.Duration
	Cases []Case
}

// Case is one <testcase>: one session or one replayed run. At most one of
// Failure, Error and Skipped should be set; a case with none passed.
type Case struct {
	Name      string
	ClassName string // groups cases in CI views; the suite's name when empty
	Time      time.Duration
	Failure   *Failure // the case ran and found a difference
	Error     *Failure // the case could not run
	Skipped   *Skipped
	SystemOut string // extra output, such as the transcript
}

// Failure is a failure or an error: a one-line message, a type, and a
// body (the text diff).
type Failure struct {
	Message string
	Type    string
	Text    string
}

// Skipped marks a case that did not run.
type Skipped struct {
	Message string
}

// Counts are the numbers a suite or the whole report declares.
type Counts struct {
	Tests, Failures, Errors, Skipped int
	Time                             time.Duration
}

// Counts totals the suite's cases; Time is s.Time when set.
func (s *Suite) Counts() Counts {
	var c Counts
	for i := range s.Cases {
		k := &s.Cases[i]
		c.Tests++
		switch {
		case k.Error != nil:
			c.Errors++
		case k.Failure != nil:
			c.Failures++
		case k.Skipped != nil:
			c.Skipped++
		}
		c.Time += k.Time
	}
	if s.Time > 0 {
		c.Time = s.Time
	}
	return c
}

// Write writes suites as a JUnit XML document. Every string is escaped
// and characters XML cannot hold (control bytes, invalid UTF-8) are
// replaced, so the output is always well-formed.
func Write(w io.Writer, suites []Suite) error {
	doc := xmlSuites{}
	var total Counts
	for i := range suites {
		s := &suites[i]
		c := s.Counts()
		total.Tests += c.Tests
		total.Failures += c.Failures
		total.Errors += c.Errors
		total.Skipped += c.Skipped
		total.Time += c.Time
		xs := xmlSuite{
			Name: clean(s.Name), Tests: c.Tests, Failures: c.Failures, Errors: c.Errors,
			Skipped: c.Skipped, Time: seconds(c.Time),
		}
		if !s.Timestamp.IsZero() {
			xs.Timestamp = s.Timestamp.UTC().Format("2006-01-02T15:04:05")
		}
		for j := range s.Cases {
			xs.Cases = append(xs.Cases, convertCase(&s.Cases[j], s.Name))
		}
		doc.Suites = append(doc.Suites, xs)
	}
	doc.Tests, doc.Failures, doc.Errors, doc.Skipped = total.Tests, total.Failures, total.Errors, total.Skipped
	doc.Time = seconds(total.Time)

	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("junit: encode report: %w", err)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("junit: write report: %w", err)
	}
	out = append(out, '\n')
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("junit: write report: %w", err)
	}
	return nil
}

func convertCase(k *Case, suite string) xmlCase {
	class := k.ClassName
	if class == "" {
		class = suite
	}
	xc := xmlCase{Name: clean(k.Name), ClassName: clean(class), Time: seconds(k.Time)}
	if k.SystemOut != "" {
		xc.SystemOut = &xmlText{Text: cleanText(k.SystemOut)}
	}
	if k.Failure != nil {
		xc.Failure = convertFailure(k.Failure)
	}
	if k.Error != nil {
		xc.Error = convertFailure(k.Error)
	}
	if k.Skipped != nil {
		xc.Skipped = &xmlSkipped{Message: clean(k.Skipped.Message)}
	}
	return xc
}

func convertFailure(f *Failure) *xmlFailure {
	return &xmlFailure{Message: clean(f.Message), Type: clean(f.Type), Text: cleanText(f.Text)}
}

// seconds renders a duration the way JUnit readers expect: seconds with
// a decimal point.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}

type xmlSuites struct {
	XMLName  xml.Name   `xml:"testsuites"`
	Tests    int        `xml:"tests,attr"`
	Failures int        `xml:"failures,attr"`
	Errors   int        `xml:"errors,attr"`
	Skipped  int        `xml:"skipped,attr"`
	Time     string     `xml:"time,attr"`
	Suites   []xmlSuite `xml:"testsuite"`
}

type xmlSuite struct {
	Name      string    `xml:"name,attr"`
	Tests     int       `xml:"tests,attr"`
	Failures  int       `xml:"failures,attr"`
	Errors    int       `xml:"errors,attr"`
	Skipped   int       `xml:"skipped,attr"`
	Time      string    `xml:"time,attr"`
	Timestamp string    `xml:"timestamp,attr,omitempty"`
	Cases     []xmlCase `xml:"testcase"`
}

type xmlCase struct {
	Name      string      `xml:"name,attr"`
	ClassName string      `xml:"classname,attr"`
	Time      string      `xml:"time,attr"`
	Failure   *xmlFailure `xml:"failure,omitempty"`
	Error     *xmlFailure `xml:"error,omitempty"`
	Skipped   *xmlSkipped `xml:"skipped,omitempty"`
	SystemOut *xmlText    `xml:"system-out,omitempty"`
}

// xmlText is element content written as CDATA, so that diffs keep their
// line breaks and angle brackets readable in the raw file (encoding/xml
// splits any "]]>" inside).
type xmlText struct {
	Text string `xml:",cdata"`
}

type xmlFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",cdata"`
}

type xmlSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}
