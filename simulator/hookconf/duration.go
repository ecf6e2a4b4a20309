package hookconf

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// errZeroDuration is returned for a zero duration, which Stalwart's API
// refuses for a timeout (an expression may still use "0s" as the number 0).
var errZeroDuration = errors.New("a duration must be greater than zero")

// parseDuration reads a duration the way Stalwart's registry does
// ("30s", "1500ms", "2m", "1h", "1d"; a bare number is milliseconds; case
// and blanks are ignored; no fractions and no compound forms like "1m30s").
// lax selects the 0.15 parser, which collected every digit and every
// non-digit separately, so "1m30s" read as 130 with an unknown unit.
// Zero is refused, as Stalwart's API refuses it.
func parseDuration(s string, lax bool) (time.Duration, error) {
	var digits, unit strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			if unit.Len() > 0 && !lax {
				return 0, fmt.Errorf("invalid duration %q (use one number and one unit: ms, s, m, h, d)", s)
			}
			digits.WriteRune(r)
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f':
		default:
			unit.WriteString(strings.ToLower(string(r)))
		}
	}
	var mult uint64
	switch unit.String() {
	case "d":
		mult = 24 * 60 * 60 * 1000
	case "h":
		mult = 60 * 60 * 1000
	case "m":
		mult = 60 * 1000
	case "s":
		mult = 1000
	case "ms", "":
		mult = 1
	default:
		return 0, fmt.Errorf("invalid duration %q (unknown unit %q; use ms, s, m, h or d)", s, unit.String())
	}
	n, err := strconv.ParseUint(digits.String(), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	if n == 0 {
		return 0, errZeroDuration
	}
	if n > math.MaxInt64/uint64(time.Millisecond)/mult {
		return 0, fmt.Errorf("invalid duration %q (too large)", s)
	}
	return time.Duration(n*mult) * time.Millisecond, nil
}

// durationFromMillis converts a millisecond count, refusing zero and
// values time.Duration cannot hold.
func durationFromMillis(ms uint64) (time.Duration, error) {
	if ms == 0 {
		return 0, fmt.Errorf("must be greater than zero (Stalwart refuses a zero duration)")
	}
	if ms > math.MaxInt64/uint64(time.Millisecond) {
		return 0, fmt.Errorf("%d milliseconds is too large", ms)
	}
	return time.Duration(ms) * time.Millisecond, nil
}
