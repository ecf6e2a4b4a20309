package examplehook

import (
	"testing"
)

func TestSpamScore(t *testing.T) {
	t.Parallel()
	dated := [][2]string{{"Date", " Mon, 24 Nov 2025 10:00:00 +0000\r\n"}, {"Message-ID", " <x@example.org>\r\n"}}
	with := func(extra ...[2]string) [][2]string { return append(append([][2]string{}, dated...), extra...) }
	tests := []struct {
		name string
		msg  message
		want string
	}{
		{"clean", message{Headers: with([2]string{"Subject", " Hello\r\n"}), Contents: "Hi."}, "0.0"},
		{"no headers at all", message{}, "2.0"},
		{"no date", message{Headers: [][2]string{{"Message-ID", " <x@y>\r\n"}}}, "1.0"},
		{"no message-id", message{Headers: [][2]string{{"Date", " today\r\n"}}}, "1.0"},
		{"header names case-insensitive", message{Headers: [][2]string{{"DATE", " today\r\n"}, {"message-id", " <x@y>\r\n"}}}, "0.0"},
		{"every subject word", message{Headers: with([2]string{"Subject", " viagra lottery winner free money act now\r\n"})}, "15.0"},
		{"subject word counted once", message{Headers: with([2]string{"Subject", " winner winner winner\r\n"})}, "3.0"},
		{"subject case-insensitive", message{Headers: with([2]string{"Subject", " Free Money\r\n"})}, "3.0"},
		{"only the first subject", message{Headers: with([2]string{"Subject", " hi\r\n"}, [2]string{"Subject", " viagra\r\n"})}, "0.0"},
		{"every body word", message{Headers: with(), Contents: "VIAGRA, Lottery, winner, free money, act now"}, "10.0"},
		{"body word split by line break not found", message{Headers: with(), Contents: "free\r\nmoney"}, "0.0"},
		{"shouting", message{Headers: with([2]string{"Subject", " HELLO\r\n"})}, "2.0"},
		{"shouting needs five letters", message{Headers: with([2]string{"Subject", " HI 12345!\r\n"})}, "0.0"},
		{"shouting with digits and punctuation", message{Headers: with([2]string{"Subject", " 50% OFF NOW!!\r\n"})}, "2.0"},
		{"one lower-case letter is not shouting", message{Headers: with([2]string{"Subject", " HELLo THERE\r\n"})}, "0.0"},
		{"non-ASCII shouting", message{Headers: with([2]string{"Subject", " ÉCOUTEZ\r\n"})}, "2.0"},
		{"shouting spam subject", message{Headers: with([2]string{"Subject", " WINNER\r\n"})}, "5.0"},
		{"folded subject", message{Headers: with([2]string{"Subject", " act\r\n now\r\n"})}, "3.0"},
		{"everything", message{
			Headers:  [][2]string{{"Subject", " VIAGRA LOTTERY WINNER FREE MONEY ACT NOW\r\n"}},
			Contents: "viagra lottery winner free money act now",
		}, "29.0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := spamScore(&tc.msg).String(); got != tc.want {
				t.Errorf("score %s, want %s", got, tc.want)
			}
		})
	}
}

func TestScoreString(t *testing.T) {
	t.Parallel()
	for s, want := range map[score]string{0: "0.0", 5: "0.5", 10: "1.0", 95: "9.5", 110: "11.0", 290: "29.0"} {
		if got := s.String(); got != want {
			t.Errorf("score(%d) = %q, want %q", int(s), got, want)
		}
	}
}

func TestUnfold(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		" Saying Hello\r\n":        "Saying Hello",
		" Hello\r\n world\r\n":     "Hello world",
		" Hello\r\n\tworld\r\n":    "Hello\tworld",
		"\r\n":                     "",
		"no-space-no-crlf":         "no-space-no-crlf",
		" bare\n lf\n":             "bare lf",
		"  lots of space \t\r\n  ": "lots of space",
	}
	for in, want := range tests {
		if got := unfold(in); got != want {
			t.Errorf("unfold(%q) = %q, want %q", in, got, want)
		}
	}
}
