package main

import (
	"strings"
	"testing"
)

// TestLiteralCut: -v cuts long JSON strings without splitting an escape,
// a surrogate pair or a UTF-8 character.
func TestLiteralCut(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lit   string
		limit int
		want  int
	}{
		{"abcdef", 4, 4},
		{`ab\n`, 3, 2},
		{`ab\u00e9cd`, 5, 2},
		{`ab\u00e9cd`, 8, 8},
		{`a\ud83d\ude00b`, 7, 1},
		{`a\ud83d\ude00b`, 13, 13},
		{`a\\b`, 2, 1},
		{"aé", 2, 1},
	}
	for _, tt := range tests {
		if got := literalCut(tt.lit, tt.limit); got != tt.want {
			t.Errorf("literalCut(%q, %d) = %d, want %d", tt.lit, tt.limit, got, tt.want)
		}
	}
	doc := `{"contents": "` + strings.Repeat("x", 300) + `", "n": 1}`
	got := shortenStrings(doc, 10)
	if !strings.Contains(got, `"xxxxxxxxxx"... (290 more bytes; -vv shows all)`) || !strings.Contains(got, `"n": 1`) {
		t.Errorf("shortenStrings: %s", got)
	}
}
