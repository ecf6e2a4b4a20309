package examplehook

import (
	"strconv"
	"strings"
	"unicode"
)

// spamWords are the phrases the filter looks for, in lower case.
var spamWords = [...]string{"viagra", "lottery", "winner", "free money", "act now"}

// The points each rule adds, in tenths so that sums stay exact.
const (
	pointsSubjectWord   score = 30 // per spam phrase found in the Subject
	pointsBodyWord      score = 20 // per spam phrase found in the body
	pointsNoDate        score = 10 // no Date header
	pointsNoMessageID   score = 10 // no Message-ID header
	pointsShoutySubject score = 20 // Subject of 5+ letters, all upper case
	minShoutyLetters          = 5

	// flagThreshold is the score from which a message is tagged as spam.
	flagThreshold score = 50
	// rejectThreshold is the score from which a message is refused.
	rejectThreshold score = 100
)

// score is a spam score in tenths of a point.
type score int

// String formats s with one decimal, like "6.0".
func (s score) String() string {
	return strconv.Itoa(int(s)/10) + "." + strconv.Itoa(int(s)%10)
}

// spamScore rates m. It looks at the raw body as Stalwart sends it, not
// transfer-decoded: a real filter would decode base64 and
// quoted-printable parts first, this one stays small.
func spamScore(m *message) score {
	var s score
	subject, hasSubject := m.header("Subject")
	if hasSubject {
		lower := strings.ToLower(subject)
		for _, w := range spamWords {
			if strings.Contains(lower, w) {
				s += pointsSubjectWord
			}
		}
		if isShouting(subject) {
			s += pointsShoutySubject
		}
	}
	body := strings.ToLower(m.Contents)
	for _, w := range spamWords {
		if strings.Contains(body, w) {
			s += pointsBodyWord
		}
	}
	if _, ok := m.header("Date"); !ok {
		s += pointsNoDate
	}
	if _, ok := m.header("Message-ID"); !ok {
		s += pointsNoMessageID
	}
	return s
}

// isShouting reports whether text has at least minShoutyLetters letters
// and every one of them is upper case.
func isShouting(text string) bool {
	letters := 0
	for _, r := range text {
		if !unicode.IsLetter(r) {
			continue
		}
		if !unicode.IsUpper(r) {
			return false
		}
		letters++
	}
	return letters >= minShoutyLetters
}

// header returns the unfolded, trimmed value of the first header called
// name (case-insensitive) and whether there is one.
func (m *message) header(name string) (string, bool) {
	raw, ok := m.rawHeader(name)
	if !ok {
		return "", false
	}
	return unfold(raw), true
}

// rawHeader returns the value of the first header called name
// (case-insensitive) as Stalwart sent it: leading space, folds and
// trailing CRLF included.
func (m *message) rawHeader(name string) (string, bool) {
	for _, h := range m.Headers {
		if strings.EqualFold(h[0], name) {
			return h[1], true
		}
	}
	return "", false
}

// unfold joins folded lines (a line break followed by white space
// continues the header) and trims the surrounding white space, so
// " Hello\r\n world\r\n" becomes "Hello world".
func unfold(raw string) string {
	raw = strings.ReplaceAll(raw, "\r\n", "")
	raw = strings.ReplaceAll(raw, "\n", "")
	return strings.TrimSpace(raw)
}
