package hookconf

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ExprError is a problem in an enable expression. Unsupported is true when
// Stalwart would accept the expression but hooksim cannot evaluate it
// (a function needing Stalwart's stores, for example); otherwise Stalwart
// itself refuses it.
type ExprError struct {
	Src         string
	Pos         int // byte offset in Src
	Msg         string
	Unsupported bool
}

// Error names the column and the problem.
func (e *ExprError) Error() string {
	return fmt.Sprintf("expression %q: column %d: %s", e.Src, e.Pos+1, e.Msg)
}

type tokKind uint8

const (
	tEOF tokKind = iota
	tInt
	tFloat
	tString
	tVar
	tGlobal
	tCapture
	tFunc
	tRegex
	tBinOp
	tNot
	tMinus
	tLParen
	tRParen
	tLBracket
	tRBracket
	tComma
)

// binOp is a binary operator; its precedence follows Stalwart's parser.
type binOp uint8

const (
	opAdd binOp = iota
	opSub
	opMul
	opDiv
	opAnd
	opOr
	opXor
	opEq
	opNe
	opLt
	opLe
	opGt
	opGe
)

func (o binOp) prec() int {
	switch o {
	case opMul, opDiv:
		return 7
	case opAdd, opSub:
		return 6
	case opGt, opGe, opLt, opLe:
		return 5
	case opEq, opNe:
		return 4
	case opXor:
		return 3
	case opAnd:
		return 2
	default:
		return 1
	}
}

type token struct {
	kind tokKind
	pos  int
	text string // source text of the token, for messages
	i    int64
	f    float64
	s    string // string literal, variable, function name
	op   binOp
	fn   *exprFunc
	re   *regexp.Regexp
}

func (t token) describe() string {
	if t.kind == tEOF {
		return "end of expression"
	}
	return strconv.Quote(t.text)
}

// lexer splits an expression into tokens with the character rules of
// Stalwart's tokenizer, quirks included: only space, CR and LF separate
// tokens (a tab is an invalid character), '}' ends the expression, a lone
// '=' compares and swallows the character after it, '&' and '|' work
// single or doubled.
type lexer struct {
	src     string
	pos     int
	toks    []token
	depth   int
	isStart bool
}

func lexExpr(src string) ([]token, error) {
	lx := &lexer{src: src, isStart: true}
	if err := lx.run(); err != nil {
		return nil, err
	}
	return lx.toks, nil
}

func (lx *lexer) errAt(pos int, format string, args ...any) *ExprError {
	return &ExprError{Src: lx.src, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func isIdentStart(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_' || c == '$' || c >= '0' && c <= '9' || c == '.'
}

func (lx *lexer) emit(t token) {
	lx.toks = append(lx.toks, t)
	switch t.kind {
	case tLParen, tComma, tBinOp:
		lx.isStart = true
	default:
		lx.isStart = false
	}
}

func (lx *lexer) run() error {
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		if isIdentStart(c) {
			if err := lx.word(); err != nil {
				return err
			}
			continue
		}
		start := lx.pos
		lx.pos++
		op := func(o binOp) { lx.emit(token{kind: tBinOp, pos: start, op: o, text: lx.src[start:lx.pos]}) }
		switch c {
		case '}':
			lx.pos = len(lx.src) // Stalwart stops reading at '}'
		case ' ', '\r', '\n':
		case '&':
			if lx.peek() == '&' {
				lx.pos++
			}
			op(opAnd)
		case '|':
			if lx.peek() == '|' {
				lx.pos++
			}
			op(opOr)
		case '!':
			if lx.peek() == '=' {
				lx.pos++
				op(opNe)
			} else {
				lx.emit(token{kind: tNot, pos: start, text: "!"})
			}
		case '^':
			op(opXor)
		case '(':
			lx.depth++
			lx.emit(token{kind: tLParen, pos: start, text: "("})
		case ')':
			if lx.depth == 0 {
				return lx.errAt(start, "unmatched close parenthesis")
			}
			lx.depth--
			lx.emit(token{kind: tRParen, pos: start, text: ")"})
		case '+':
			op(opAdd)
		case '*':
			op(opMul)
		case '/':
			op(opDiv)
		case '-':
			if lx.isStart {
				lx.emit(token{kind: tMinus, pos: start, text: "-"})
			} else {
				op(opSub)
			}
		case '=':
			next := byte(0)
			if lx.pos < len(lx.src) {
				next = lx.src[lx.pos]
				lx.pos++ // consumed whatever it is, as Stalwart does
			}
			switch next {
			case '>':
				op(opGe)
			case '<':
				op(opLe)
			default:
				op(opEq)
			}
		case '>':
			if lx.peek() == '=' {
				lx.pos++
				op(opGe)
			} else {
				op(opGt)
			}
		case '<':
			if lx.peek() == '=' {
				lx.pos++
				op(opLe)
			} else {
				op(opLt)
			}
		case ',':
			lx.emit(token{kind: tComma, pos: start, text: ","})
		case '[':
			lx.emit(token{kind: tLBracket, pos: start, text: "["})
		case ']':
			lx.emit(token{kind: tRBracket, pos: start, text: "]"})
		case '"', '\'':
			s, err := lx.quoted(c, start)
			if err != nil {
				return err
			}
			lx.emit(token{kind: tString, pos: start, s: s, text: lx.src[start:lx.pos]})
		default:
			r, _ := utf8.DecodeRuneInString(lx.src[start:])
			return lx.errAt(start, "invalid character %q", r)
		}
	}
	if lx.depth > 0 {
		return lx.errAt(len(lx.src), "unmatched open parenthesis")
	}
	return nil
}

func (lx *lexer) peek() byte {
	if lx.pos < len(lx.src) {
		return lx.src[lx.pos]
	}
	return 0
}

// quoted reads a string literal after its opening quote. Stalwart keeps the
// backslash of an escape and adds the escaped character (so 'a\'b' is the
// four characters a\'b); \n, \r and \t add a newline, CR or tab after the
// backslash.
func (lx *lexer) quoted(stop byte, start int) (string, error) {
	var b strings.Builder
	last := byte(0)
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		lx.pos++
		if last != '\\' {
			if c == stop {
				return b.String(), nil
			}
			b.WriteByte(c)
		} else {
			switch c {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(c)
			}
		}
		last = c
	}
	return "", lx.errAt(start, "unterminated string")
}

// word reads a name or number and classifies it as Stalwart does.
func (lx *lexer) word() error {
	start := lx.pos
	hasNum, hasAlpha, hasDot := false, false, false
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		switch {
		case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_' || c == '$':
			hasAlpha = true
		case c >= '0' && c <= '9':
			hasNum = true
		case c == '.':
			hasDot = true
		case c == ':' && strings.Contains(lx.src[start:lx.pos], "."):
		case c == '*' && lx.pos > start && lx.src[lx.pos-1] == '.':
		default:
			goto done
		}
		lx.pos++
	}
done:
	w := lx.src[start:lx.pos]
	t := token{pos: start, text: w}
	// A name directly followed by '(' may be matches(), whose first
	// argument is a regular expression literal.
	if w == "matches" && lx.peek() == '(' {
		return lx.matches(start)
	}
	if (w == "metric" || w == "system") && lx.peek() == '(' {
		return &ExprError{Src: lx.src, Pos: start, Unsupported: true,
			Msg: fmt.Sprintf("%s() reads the server's own state; hooksim cannot evaluate it", w)}
	}
	switch {
	case hasNum && !hasAlpha:
		if hasDot {
			f, err := strconv.ParseFloat(w, 64)
			if err != nil || strings.Count(w, ".") > 1 {
				return lx.errAt(start, "invalid float value %s", w)
			}
			t.kind, t.f = tFloat, f
		} else {
			n, err := strconv.ParseInt(w, 10, 64)
			if err != nil {
				return lx.errAt(start, "invalid integer value %s", w)
			}
			t.kind, t.i = tInt, n
		}
	case !hasNum && !hasDot && w == "true":
		t.kind, t.i = tInt, 1
	case !hasNum && !hasDot && w == "false":
		t.kind, t.i = tInt, 0
	case strings.HasPrefix(w, "$") && len(w) > 1:
		name := w[1:]
		if n, err := strconv.ParseUint(name, 10, 32); err == nil && strings.Trim(name, "0123456789") == "" {
			t.kind, t.i = tCapture, int64(n)
		} else {
			t.kind, t.s = tGlobal, name
		}
	default:
		if fn, ok := lookupFunc(w); ok {
			if fn.unsupported != "" {
				return &ExprError{Src: lx.src, Pos: start, Unsupported: true, Msg: fn.unsupported}
			}
			t.kind, t.s, t.fn = tFunc, w, fn
			break
		}
		if _, ok := lookupVariable(w); ok {
			t.kind, t.s = tVar, w
			break
		}
		if msg := otherName(w); msg != "" {
			return lx.errAt(start, "%s", msg)
		}
		if d, err := parseDuration(w, false); err == nil || errors.Is(err, errZeroDuration) {
			t.kind, t.i = tInt, d.Milliseconds()
			break
		}
		return lx.errAt(start, "invalid variable or constant %q (an MTA hook can use %s)", w, variableList())
	}
	lx.emit(t)
	return nil
}

// matches reads `matches(` 'regex' `,` and emits the regex token and the
// opening parenthesis; the tested value follows as ordinary tokens.
func (lx *lexer) matches(start int) error {
	lx.pos++ // (
	lx.skipASCIISpace()
	if lx.pos >= len(lx.src) {
		return lx.errAt(lx.pos, "unexpected end of expression in matches()")
	}
	q := lx.src[lx.pos]
	if q != '"' && q != '\'' {
		return lx.errAt(lx.pos, "matches() takes a quoted regular expression first, as in matches('^a', sender)")
	}
	reStart := lx.pos
	lx.pos++
	src, err := lx.quoted(q, reStart)
	if err != nil {
		return err
	}
	re, rerr := regexp.Compile(src)
	if rerr != nil {
		return lx.errAt(reStart, "invalid regular expression %q: %v", src, rerr)
	}
	lx.skipASCIISpace()
	if lx.pos >= len(lx.src) || lx.src[lx.pos] != ',' {
		return lx.errAt(lx.pos, "expected ',' after the regular expression of matches()")
	}
	lx.pos++
	lx.emit(token{kind: tRegex, pos: start, text: "matches", re: re, s: src})
	lx.depth++
	lx.emit(token{kind: tLParen, pos: start + len("matches"), text: "("})
	return nil
}

func (lx *lexer) skipASCIISpace() {
	for lx.pos < len(lx.src) {
		switch lx.src[lx.pos] {
		case ' ', '\t', '\n', '\r', '\f':
			lx.pos++
		default:
			return
		}
	}
}
