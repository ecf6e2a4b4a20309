package sessions

import (
	"testing"
	"time"
)

// TestStalwartDuration: durations as Stalwart's registry reads them
// (digits, then d, h, m, s, ms or nothing for milliseconds, any case),
// and written back in the largest unit that divides them.
func TestStalwartDuration(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
		out  string
	}{
		{"15d", 15 * 24 * time.Hour, true, "15d"},
		{"12H", 12 * time.Hour, true, "12h"},
		{"90s", 90 * time.Second, true, "90s"},
		{"90 m", 90 * time.Minute, true, "90m"},
		{"1500", 1500 * time.Millisecond, true, "1500ms"},
		{"2000ms", 2 * time.Second, true, "2s"},
		{"36500d", 36500 * 24 * time.Hour, true, "36500d"},
		{"36501d", 0, false, ""},
		{"2w", 0, false, ""},
		{"d", 0, false, ""},
		{"1d2h", 0, false, ""},
		{"", 0, false, ""},
	} {
		got, ok := parseStalwartDuration(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("parseStalwartDuration(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if ok {
			if out := formatStalwartDuration(got); out != tt.out {
				t.Errorf("formatStalwartDuration(%v) = %q, want %q", got, out, tt.out)
			}
		}
	}
}
