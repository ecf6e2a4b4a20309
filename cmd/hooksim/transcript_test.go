package main

import (
	"bytes"
	"testing"
)

// TestRecordedRanges: the run ids a run was recorded as are listed with
// consecutive ones as ranges, and show names the last.
func TestRecordedRanges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ids  []int64
		want string
	}{
		{[]int64{7}, "recorded as run #7 (hooksim show 7)\n"},
		{[]int64{3, 4}, "recorded as run #3, #4 (hooksim show 4)\n"},
		{[]int64{1, 2, 3, 4, 5, 9, 11, 12, 13}, "recorded as run #1-#5, #9, #11-#13 (hooksim show 13)\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		(&transcript{w: &b}).recorded(tt.ids, "")
		if b.String() != tt.want {
			t.Errorf("%v: %q, want %q", tt.ids, b.String(), tt.want)
		}
	}
	var b bytes.Buffer
	(&transcript{w: &b}).recorded(nil, "")
	if b.Len() != 0 {
		t.Errorf("no ids: %q", b.String())
	}
}
