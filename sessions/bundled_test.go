package sessions

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestBundled(t *testing.T) {
	t.Parallel()
	names := BundledNames()
	if len(names) < 10 || !slices.IsSorted(names) {
		t.Fatalf("BundledNames() = %q", names)
	}
	all, err := Bundled()
	if err != nil {
		t.Fatalf("Bundled: %v", err)
	}
	if len(all) != len(names) {
		t.Fatalf("Bundled returned %d sessions for %d names", len(all), len(names))
	}
	for i, s := range all {
		if s.Name != names[i] || s.File != "bundled:"+names[i] || s.Description == "" {
			t.Errorf("session %d: name %q file %q description %q", i, s.Name, s.File, s.Description)
		}
		checkGolden(t, "bundled-"+s.Name, s)
		for _, st := range s.Steps {
			if st.Kind == StepData && st.Expect == nil {
				t.Errorf("%s:%d: data step without expect", s.Name, st.Line)
			}
			if st.Message != nil && len(st.Message.Warnings) > 0 {
				t.Errorf("%s:%d: MIME warnings %q", s.Name, st.Line, st.Message.Warnings)
			}
		}
		src, err := BundledSource(s.Name)
		if err != nil || !bytes.Contains(src, []byte("description:")) {
			t.Errorf("BundledSource(%q) = %d bytes, %v", s.Name, len(src), err)
		}
	}
}

func TestBundledUnknown(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"nope", "", "../sessions", "bundled/hello", "hello.yaml"} {
		_, err := BundledByName(name)
		var pe *Error
		if !errors.As(err, &pe) || !strings.Contains(pe.Msg, "no such bundled session") || !strings.Contains(pe.Msg, "hello") {
			t.Errorf("BundledByName(%q) err = %v", name, err)
		}
		if _, err := BundledSource(name); err == nil {
			t.Errorf("BundledSource(%q) succeeded", name)
		}
	}
}

// TestBundledCoverage checks that the examples, together, still cover
// every feature the demo relies on.
func TestBundledCoverage(t *testing.T) {
	t.Parallel()
	all, err := Bundled()
	if err != nil {
		t.Fatal(err)
	}
	has := func(what string, ok func(s *Session) bool) {
		t.Helper()
		if !slices.ContainsFunc(all, ok) {
			t.Errorf("no bundled session covers %s", what)
		}
	}
	hasStep := func(s *Session, f func(st Step) bool) bool { return slices.ContainsFunc(s.Steps, f) }
	explicit := func(k StepKind) func(st Step) bool {
		return func(st Step) bool { return st.Kind == k && !st.Implied && st.Expect != nil }
	}
	for _, k := range []StepKind{StepConnect, StepEhlo, StepMail, StepRcpt, StepData} {
		has("an expectation at "+string(k), func(s *Session) bool { return hasStep(s, explicit(k)) })
	}
	has("submission: port 587, starttls then auth", func(s *Session) bool {
		i := slices.IndexFunc(s.Steps, func(st Step) bool { return st.Kind == StepStartTLS })
		j := slices.IndexFunc(s.Steps, func(st Step) bool { return st.Kind == StepAuth })
		return s.Server.Port == 587 && i >= 0 && j > i
	})
	has("implicit TLS on 465", func(s *Session) bool {
		return s.Server.Port == 465 && s.Client.TLS != nil && s.Client.TLS.Implicit
	})
	has("a duplicate recipient answered without a hook call", func(s *Session) bool {
		seen := map[string]bool{}
		return hasStep(s, func(st Step) bool {
			dup := st.Kind == StepRcpt && seen[strings.ToLower(st.Arg)] && st.Expect != nil && st.Expect.Action == "none"
			seen[strings.ToLower(st.Arg)] = true
			return dup
		})
	})
	has("a rejected recipient", func(s *Session) bool {
		return hasStep(s, func(st Step) bool {
			return st.Kind == StepRcpt && st.Expect != nil && st.Expect.Reply == "550 5.1.1 No such user here"
		})
	})
	has("the null sender", func(s *Session) bool {
		return hasStep(s, func(st Step) bool { return st.Kind == StepMail && st.Arg == "" && !st.Implied })
	})
	has("a blocked sender", func(s *Session) bool {
		return hasStep(s, func(st Step) bool {
			return st.Kind == StepMail && st.Expect != nil && st.Expect.Reply == "550 5.7.1 Sender blocked by policy"
		})
	})
	has("folded headers", func(s *Session) bool {
		return hasStep(s, func(st Step) bool {
			if st.Message == nil {
				return false
			}
			head, _, _ := bytes.Cut(st.Message.Raw, []byte("\r\n\r\n"))
			return bytes.Contains(head, []byte("\r\n ")) || bytes.Contains(head, []byte("\r\n\t"))
		})
	})
	has("a multipart message with a base64 attachment", func(s *Session) bool {
		return hasStep(s, func(st Step) bool {
			return st.Message != nil && bytes.Contains(st.Message.Raw, []byte("multipart/mixed")) &&
				bytes.Contains(st.Message.Raw, []byte("Content-Transfer-Encoding: base64")) &&
				bytes.Contains(st.Message.Raw, []byte("Content-Disposition: attachment"))
		})
	})
	has("an 8-bit body that is not valid UTF-8", func(s *Session) bool {
		return hasStep(s, func(st Step) bool { return st.Message != nil && !utf8.Valid(st.Message.Raw) })
	})
	has("several transactions with rset between", func(s *Session) bool {
		data := 0
		for _, st := range s.Steps {
			if st.Kind == StepData {
				data++
			}
		}
		return data >= 2 && hasStep(s, func(st Step) bool { return st.Kind == StepRset })
	})
	has("a spam message tagged", func(s *Session) bool {
		return hasStep(s, func(st Step) bool {
			return st.Expect != nil && slices.ContainsFunc(st.Expect.Headers, func(h ExpectHeader) bool {
				return h.Name == "X-Spam-Flag" && slices.Equal(h.Values, []string{"YES"})
			})
		})
	})
	has("a spam message rejected", func(s *Session) bool {
		return hasStep(s, func(st Step) bool {
			return st.Kind == StepData && st.Expect != nil && st.Expect.Action == "reject"
		})
	})
}

// TestBundledSpamScores recomputes, for every bundled message, the
// example hook's spam score and checks it against the expectations that
// mention it, so that an edited message cannot silently break the demo.
func TestBundledSpamScores(t *testing.T) {
	t.Parallel()
	all, err := Bundled()
	if err != nil {
		t.Fatal(err)
	}
	rejected := regexp.MustCompile(`\(score ([0-9.]+)\)$`)
	for _, s := range all {
		for _, st := range s.Steps {
			if st.Message == nil || st.Expect == nil {
				continue
			}
			score, subject := exampleScore(st.Message.Raw)
			want := fmt.Sprintf("%.1f", score)
			at := fmt.Sprintf("%s:%d", s.Name, st.Line)
			if st.Expect.Action == "none" {
				continue // the message never reaches the hook
			}
			if score >= 10 {
				m := rejected.FindStringSubmatch(st.Expect.Reply)
				if st.Expect.Action != "reject" || m == nil || m[1] != want {
					t.Errorf("%s: score %s: want a reject naming it, got action %q reply %q", at, want, st.Expect.Action, st.Expect.Reply)
				}
				continue
			}
			if st.Expect.Action != "accept" {
				t.Errorf("%s: score %s: the example hook accepts, expect says %q", at, want, st.Expect.Action)
			}
			for _, h := range st.Expect.Headers {
				value := strings.Join(h.Values, ", ")
				switch h.Name {
				case "X-Spam-Score":
					if value != want {
						t.Errorf("%s: X-Spam-Score %q, computed %s", at, value, want)
					}
				case "X-Spam-Flag":
					if (score >= 5) == h.Absent {
						t.Errorf("%s: X-Spam-Flag absent=%v with score %s", at, h.Absent, want)
					}
				case "Subject":
					if score >= 5 && value != "[SPAM] "+subject {
						t.Errorf("%s: Subject %q, want %q", at, value, "[SPAM] "+subject)
					}
				}
			}
			for _, m := range st.Expect.Modifications {
				if m.Type == "addHeader" && m.Name == "X-Spam-Score" && m.Value != want {
					t.Errorf("%s: modification X-Spam-Score %q, computed %s", at, m.Value, want)
				}
			}
		}
	}
}

// exampleScore is the example hook's spam score (see docs/sessions.md),
// written independently of the hook, and the trimmed Subject.
func exampleScore(raw []byte) (float64, string) {
	head, body, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	body = bytes.TrimSuffix(body, []byte("\r\n"))
	headers := map[string]string{}
	var last string
	for _, line := range strings.Split(string(head), "\r\n") {
		if line != "" && (line[0] == ' ' || line[0] == '\t') {
			headers[last] += "\r\n" + line
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		last = strings.ToLower(name)
		if _, dup := headers[last]; !dup {
			headers[last] = value
		}
	}
	words := []string{"viagra", "lottery", "winner", "free money", "act now"}
	score := 0.0
	subject, hasSubject := headers["subject"]
	subject = strings.TrimSpace(subject)
	if hasSubject {
		lower := strings.ToLower(subject)
		letters, upper := 0, 0
		for _, r := range subject {
			if unicode.IsLetter(r) {
				letters++
				if unicode.IsUpper(r) {
					upper++
				}
			}
		}
		for _, w := range words {
			if strings.Contains(lower, w) {
				score += 3
			}
		}
		if letters >= 5 && letters == upper {
			score += 2
		}
	}
	contents := strings.ToLower(strings.ToValidUTF8(string(body), "\uFFFD"))
	for _, w := range words {
		if strings.Contains(contents, w) {
			score += 2
		}
	}
	if _, ok := headers["date"]; !ok {
		score++
	}
	if _, ok := headers["message-id"]; !ok {
		score++
	}
	return score, subject
}
