package hookconf

import (
	"math"
	"strconv"
	"strings"
)

// valueKind is the type of an expression value. Stalwart's evaluator has
// strings, 64-bit integers, floats and arrays; booleans are integers 1/0.
type valueKind uint8

const (
	kString valueKind = iota
	kInt
	kFloat
	kArray
)

// value is one expression value. The zero value is the empty string,
// which is also Stalwart's default for anything missing.
type value struct {
	kind valueKind
	s    string
	i    int64
	f    float64
	a    []value
}

func strVal(s string) value    { return value{kind: kString, s: s} }
func intVal(i int64) value     { return value{kind: kInt, i: i} }
func floatVal(f float64) value { return value{kind: kFloat, f: f} }
func arrVal(a []value) value   { return value{kind: kArray, a: a} }

func boolVal(b bool) value {
	if b {
		return intVal(1)
	}
	return intVal(0)
}

// truthy applies Stalwart's truth rules: non-zero numbers, non-empty
// strings (so 'false' is true) and non-empty arrays are true.
func (v value) truthy() bool {
	switch v.kind {
	case kInt:
		return v.i != 0
	case kFloat:
		return v.f != 0
	case kArray:
		return len(v.a) > 0
	default:
		return v.s != ""
	}
}

// formatFloat writes a float as Rust's Display does.
func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// str converts to a string as Stalwart's to_string does: arrays join
// their scalar items with CRLF (nested arrays are skipped).
func (v value) str() string {
	switch v.kind {
	case kInt:
		return strconv.FormatInt(v.i, 10)
	case kFloat:
		return formatFloat(v.f)
	case kArray:
		var b strings.Builder
		for _, it := range v.a {
			if b.Len() > 0 {
				b.WriteString("\r\n")
			}
			if it.kind != kArray {
				b.WriteString(it.str())
			}
		}
		return b.String()
	default:
		return v.s
	}
}

// display is Rust's Display for a value (used by +): arrays join with LF.
func (v value) display() string {
	if v.kind != kArray {
		return v.str()
	}
	parts := make([]string, len(v.a))
	for i, it := range v.a {
		parts[i] = it.display()
	}
	return strings.Join(parts, "\n")
}

// isEmptyStr is Stalwart's is_empty: only the empty string is empty.
func (v value) isEmptyStr() bool { return v.kind == kString && v.s == "" }

// array converts to a list: arrays as they are, the empty string to none,
// anything else to a list of one.
func (v value) array() []value {
	switch {
	case v.kind == kArray:
		return v.a
	case v.isEmptyStr():
		return nil
	default:
		return []value{v}
	}
}

// parseRustFloat accepts what Rust's f64::from_str accepts (no hex, no
// underscores).
func parseRustFloat(s string) (float64, bool) {
	t := strings.TrimLeft(s, "+-")
	if t == "" || strings.ContainsAny(t, "_xXpP") && !isInfNaN(t) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, true
		}
		return 0, false
	}
	return f, true
}

func isInfNaN(t string) bool {
	switch strings.ToLower(t) {
	case "inf", "infinity", "nan":
		return true
	}
	return false
}

// number is Stalwart's parse_number: strings that read as numbers become
// numbers, other strings 0, an array 1 if empty else 0.
func (v value) number() value {
	switch v.kind {
	case kInt, kFloat:
		return v
	case kArray:
		return boolVal(len(v.a) == 0)
	}
	if v.s == "" {
		return intVal(0)
	}
	if n, err := strconv.ParseInt(v.s, 10, 64); err == nil {
		return intVal(n)
	}
	if f, ok := parseRustFloat(v.s); ok {
		return floatVal(f)
	}
	return intVal(0)
}

// equal is Stalwart's == between values.
func equal(a, b value) bool {
	switch {
	case a.kind == kInt && b.kind == kInt:
		return a.i == b.i
	case a.kind == kFloat && b.kind == kFloat:
		return a.f == b.f
	case a.kind == kInt && b.kind == kFloat:
		return float64(a.i) == b.f
	case a.kind == kFloat && b.kind == kInt:
		return a.f == float64(b.i)
	case a.kind == kString && b.kind == kString:
		return a.s == b.s
	case a.kind == kString && (b.kind == kInt || b.kind == kFloat):
		return equal(a.number(), b)
	case (a.kind == kInt || a.kind == kFloat) && b.kind == kString:
		return equal(a, b.number())
	case a.kind == kArray && b.kind == kArray:
		if len(a.a) != len(b.a) {
			return false
		}
		for i := range a.a {
			if !equal(a.a[i], b.a[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// compare is Stalwart's partial ordering: -1, 0, 1, or ok=false when the
// values are unordered (NaN).
func compare(a, b value) (int, bool) {
	cmpF := func(x, y float64) (int, bool) {
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		case x == y:
			return 0, true
		}
		return 0, false
	}
	isNum := func(v value) bool { return v.kind == kInt || v.kind == kFloat }
	switch {
	case a.kind == kInt && b.kind == kInt:
		switch {
		case a.i < b.i:
			return -1, true
		case a.i > b.i:
			return 1, true
		}
		return 0, true
	case a.kind == kFloat && b.kind == kFloat:
		return cmpF(a.f, b.f)
	case a.kind == kInt && b.kind == kFloat:
		return cmpF(float64(a.i), b.f)
	case a.kind == kFloat && b.kind == kInt:
		return cmpF(a.f, float64(b.i))
	case a.kind == kString && b.kind == kString:
		return strings.Compare(a.s, b.s), true
	case a.kind == kString && isNum(b):
		return compare(a.number(), b)
	case isNum(a) && b.kind == kString:
		return compare(a, b.number())
	case a.kind == kArray && b.kind == kArray:
		for i := 0; i < len(a.a) && i < len(b.a); i++ {
			c, ok := compare(a.a[i], b.a[i])
			if !ok || c != 0 {
				return c, ok
			}
		}
		switch {
		case len(a.a) < len(b.a):
			return -1, true
		case len(a.a) > len(b.a):
			return 1, true
		}
		return 0, true
	case a.kind == kArray || a.kind == kString:
		return 1, true
	}
	return -1, true // a number against an array
}

func add(a, b value) value {
	switch {
	case a.kind == kInt && b.kind == kInt:
		return intVal(satAdd(a.i, b.i))
	case a.kind == kFloat && b.kind == kFloat:
		return floatVal(a.f + b.f)
	case a.kind == kInt && b.kind == kFloat:
		return floatVal(float64(a.i) + b.f)
	case a.kind == kFloat && b.kind == kInt:
		return floatVal(a.f + float64(b.i))
	case a.kind == kArray && b.kind == kArray:
		return arrVal(append(append([]value{}, a.a...), b.a...))
	case a.kind == kArray:
		return arrVal(append(append([]value{}, a.a...), b))
	case b.kind == kArray:
		return arrVal(append([]value{a}, b.a...))
	case a.kind == kString:
		if a.s != "" {
			return strVal(a.s + b.display())
		}
		return b
	default: // b is a string
		if b.s != "" {
			return strVal(a.display() + b.s)
		}
		return a
	}
}

func subtract(a, b value) value {
	switch {
	case a.kind == kInt && b.kind == kInt:
		return intVal(satSub(a.i, b.i))
	case a.kind == kFloat && b.kind == kFloat:
		return floatVal(a.f - b.f)
	case a.kind == kInt && b.kind == kFloat:
		return floatVal(float64(a.i) - b.f)
	case a.kind == kFloat && b.kind == kInt:
		return floatVal(a.f - float64(b.i))
	case a.kind == kArray || b.kind == kArray:
		arr, other := a, b
		if a.kind != kArray {
			arr, other = b, a
		}
		var out []value
		for _, it := range arr.a {
			if !equal(it, other) {
				out = append(out, it)
			}
		}
		return arrVal(out)
	}
	return subtract(a.number(), b.number())
}

func multiply(a, b value) value {
	switch {
	case a.kind == kInt && b.kind == kInt:
		return intVal(satMul(a.i, b.i))
	case a.kind == kFloat && b.kind == kFloat:
		return floatVal(a.f * b.f)
	case a.kind == kInt && b.kind == kFloat:
		return floatVal(float64(a.i) * b.f)
	case a.kind == kFloat && b.kind == kInt:
		return floatVal(a.f * float64(b.i))
	}
	return multiply(a.number(), b.number())
}

func divide(a, b value) value {
	toF := func(v value) (float64, bool) {
		switch v.kind {
		case kInt:
			return float64(v.i), true
		case kFloat:
			return v.f, true
		}
		return 0, false
	}
	x, okx := toF(a)
	y, oky := toF(b)
	if !okx || !oky {
		return divide(a.number(), b.number())
	}
	if y == 0 {
		return floatVal(0)
	}
	return floatVal(x / y)
}

func negate(v value) value {
	switch v.kind {
	case kInt:
		return intVal(-v.i) // wraps at MinInt64, as a release build of Stalwart does
	case kFloat:
		return floatVal(-v.f)
	}
	return negate(v.number())
}

func satAdd(a, b int64) int64 {
	c := a + b
	if (c > a) == (b > 0) {
		return c
	}
	if b > 0 {
		return math.MaxInt64
	}
	return math.MinInt64
}

func satSub(a, b int64) int64 {
	c := a - b
	if (c < a) == (b > 0) {
		return c
	}
	if b > 0 {
		return math.MinInt64
	}
	return math.MaxInt64
}

func satMul(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	c := a * b
	if c/b == a && !(a == -1 && b == math.MinInt64) && !(b == -1 && a == math.MinInt64) {
		return c
	}
	if (a > 0) == (b > 0) {
		return math.MaxInt64
	}
	return math.MinInt64
}
