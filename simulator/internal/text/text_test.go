package text

import "testing"

func TestEqualFoldASCII(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want bool
	}{
		{"Subject", "subject", true},
		{"X-SPAM", "x-spam", true},
		{"", "", true},
		{"From", "Fro", false},
		{"k", "\u212a", false}, // Kelvin sign: strings.EqualFold says true, Rust says false
		{"é", "É", false},      // non-ASCII letters are not folded
		{"a-b", "a_b", false},
	}
	for _, tc := range tests {
		if got := EqualFoldASCII(tc.a, tc.b); got != tc.want {
			t.Errorf("EqualFoldASCII(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got := EqualFoldASCII([]byte(tc.a), tc.b); got != tc.want {
			t.Errorf("EqualFoldASCII([]byte(%q), %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"action", "action", 0}, {"actoin", "action", 2}, {"stauts", "status", 2},
		{"", "abc", 3}, {"kitten", "sitting", 3}, {"héllo", "hello", 1},
	}
	for _, tc := range tests {
		if got := EditDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
