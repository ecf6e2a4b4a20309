package hookconf

import (
	"fmt"
	"regexp"
	"strconv"
)

// node is one part of a compiled expression.
type node interface {
	eval(ec *evalCtx) (value, error)
}

// evalCtx carries the session variables and the regex captures, which
// Stalwart shares across the conditions of one enable block.
type evalCtx struct {
	vars     *ExprVars
	captures []string
}

type litNode struct{ v value }

func (n litNode) eval(*evalCtx) (value, error) { return n.v, nil }

type varNode struct {
	get func(*ExprVars) value
}

func (n varNode) eval(ec *evalCtx) (value, error) { return n.get(ec.vars), nil }

type captureNode struct{ idx int64 }

func (n captureNode) eval(ec *evalCtx) (value, error) {
	if n.idx >= 0 && n.idx < int64(len(ec.captures)) {
		return strVal(ec.captures[n.idx]), nil
	}
	return strVal(""), nil
}

type notNode struct{ x node }

func (n notNode) eval(ec *evalCtx) (value, error) {
	v, err := n.x.eval(ec)
	if err != nil {
		return value{}, err
	}
	return boolVal(!v.truthy()), nil
}

type negNode struct{ x node }

func (n negNode) eval(ec *evalCtx) (value, error) {
	v, err := n.x.eval(ec)
	if err != nil {
		return value{}, err
	}
	return negate(v), nil
}

type binNode struct {
	op   binOp
	l, r node
}

func (n binNode) eval(ec *evalCtx) (value, error) {
	l, err := n.l.eval(ec)
	if err != nil {
		return value{}, err
	}
	// Stalwart short-circuits && and || by jumping over the right operand
	// and the operator, so the left value itself is the result.
	if n.op == opAnd && !l.truthy() || n.op == opOr && l.truthy() {
		return l, nil
	}
	r, err := n.r.eval(ec)
	if err != nil {
		return value{}, err
	}
	ord := func(test func(int) bool) value {
		c, ok := compare(l, r)
		return boolVal(ok && test(c))
	}
	switch n.op {
	case opAdd:
		return add(l, r), nil
	case opSub:
		return subtract(l, r), nil
	case opMul:
		return multiply(l, r), nil
	case opDiv:
		return divide(l, r), nil
	case opAnd:
		return boolVal(l.truthy() && r.truthy()), nil
	case opOr:
		return boolVal(l.truthy() || r.truthy()), nil
	case opXor:
		return boolVal(l.truthy() != r.truthy()), nil
	case opEq:
		return boolVal(equal(l, r)), nil
	case opNe:
		return boolVal(!equal(l, r)), nil
	case opLt:
		return ord(func(c int) bool { return c < 0 }), nil
	case opLe:
		return ord(func(c int) bool { return c <= 0 }), nil
	case opGt:
		return ord(func(c int) bool { return c > 0 }), nil
	default:
		return ord(func(c int) bool { return c >= 0 }), nil
	}
}

type callNode struct {
	fn   func([]value) (value, error)
	args []node
}

func (n callNode) eval(ec *evalCtx) (value, error) {
	args := make([]value, len(n.args))
	for i, a := range n.args {
		v, err := a.eval(ec)
		if err != nil {
			return value{}, err
		}
		args[i] = v
	}
	return n.fn(args)
}

type regexNode struct {
	re  *regexp.Regexp
	arg node
}

func (n regexNode) eval(ec *evalCtx) (value, error) {
	v, err := n.arg.eval(ec)
	if err != nil {
		return value{}, err
	}
	ec.captures = ec.captures[:0]
	m := n.re.FindStringSubmatchIndex(v.str())
	if m == nil {
		return intVal(0), nil
	}
	s := v.str()
	for i := 0; i+1 < len(m); i += 2 {
		if m[i] < 0 {
			ec.captures = append(ec.captures, "")
		} else {
			ec.captures = append(ec.captures, s[m[i]:m[i+1]])
		}
	}
	return intVal(1), nil
}

type arrayNode struct{ items []node }

func (n arrayNode) eval(ec *evalCtx) (value, error) {
	out := make([]value, len(n.items))
	for i, it := range n.items {
		v, err := it.eval(ec)
		if err != nil {
			return value{}, err
		}
		out[i] = v
	}
	return arrVal(out), nil
}

type indexNode struct{ arr, idx node }

func (n indexNode) eval(ec *evalCtx) (value, error) {
	a, err := n.arr.eval(ec)
	if err != nil {
		return value{}, err
	}
	i, err := n.idx.eval(ec)
	if err != nil {
		return value{}, err
	}
	var idx uint64
	switch i.kind {
	case kInt:
		idx = uint64(i.i)
	case kFloat:
		if i.f > 0 {
			idx = uint64(i.f)
		}
	case kString:
		idx, _ = strconv.ParseUint(i.s, 10, 64) // unparsable: 0, as in Stalwart
	}
	items := a.array()
	if idx < uint64(len(items)) {
		return items[idx], nil
	}
	return strVal(""), nil
}

// maxExprDepth bounds nesting so hostile input cannot exhaust the stack.
const maxExprDepth = 100

// parser builds a tree from tokens with precedence climbing. It is
// stricter than Stalwart's shunting-yard parser, which silently accepts
// some malformed input (two values in a row, a dangling operator): those
// are refused here rather than given a meaning.
type parser struct {
	src   string
	toks  []token
	pos   int
	depth int
}

func compileExpr(src string) (node, error) {
	toks, err := lexExpr(src)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, &ExprError{Src: src, Pos: 0, Msg: "empty expression"}
	}
	p := &parser{src: src, toks: toks}
	n, err := p.expr(1)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errAt(t, "unexpected %s after a complete expression", t.describe())
	}
	return n, nil
}

func (p *parser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return token{kind: tEOF, pos: len(p.src)}
}

func (p *parser) next() token {
	t := p.peek()
	if p.pos < len(p.toks) {
		p.pos++
	}
	return t
}

func (p *parser) errAt(t token, format string, args ...any) *ExprError {
	return &ExprError{Src: p.src, Pos: t.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) expect(k tokKind, what string) error {
	if t := p.peek(); t.kind != k {
		return p.errAt(t, "expected %s, found %s", what, t.describe())
	}
	p.pos++
	return nil
}

func (p *parser) expr(minPrec int) (node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxExprDepth {
		return nil, p.errAt(p.peek(), "expression nested too deeply")
	}
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.kind != tBinOp || t.op.prec() < minPrec {
			return left, nil
		}
		p.pos++
		right, err := p.expr(t.op.prec() + 1)
		if err != nil {
			return nil, err
		}
		left = binNode{op: t.op, l: left, r: right}
	}
}

func (p *parser) unary() (node, error) {
	t := p.peek()
	switch t.kind {
	case tNot, tMinus:
		p.pos++
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxExprDepth {
			return nil, p.errAt(t, "expression nested too deeply")
		}
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		if t.kind == tNot {
			return notNode{x}, nil
		}
		return negNode{x}, nil
	}
	return p.postfix()
}

func (p *parser) postfix() (node, error) {
	t := p.peek()
	n, err := p.primary()
	if err != nil {
		return nil, err
	}
	// Stalwart reads '[' as an index only after a variable, a call or a
	// closing parenthesis or bracket.
	indexable := t.kind == tVar || t.kind == tFunc || t.kind == tRegex || t.kind == tLParen || t.kind == tLBracket
	for indexable && p.peek().kind == tLBracket {
		p.pos++
		idx, err := p.expr(1)
		if err != nil {
			return nil, err
		}
		if err := p.expect(tRBracket, "']'"); err != nil {
			return nil, err
		}
		n = indexNode{arr: n, idx: idx}
	}
	return n, nil
}

func (p *parser) primary() (node, error) {
	t := p.next()
	switch t.kind {
	case tInt, tFloat, tString:
		switch t.kind {
		case tInt:
			return litNode{intVal(t.i)}, nil
		case tFloat:
			return litNode{floatVal(t.f)}, nil
		}
		return litNode{strVal(t.s)}, nil
	case tVar:
		get, _ := lookupVariable(t.s)
		return varNode{get: get}, nil
	case tGlobal:
		// A session resolves every global to 0.
		return litNode{intVal(0)}, nil
	case tCapture:
		return captureNode{idx: t.i}, nil
	case tLParen:
		n, err := p.expr(1)
		if err != nil {
			return nil, err
		}
		return n, p.expect(tRParen, "')'")
	case tFunc:
		if err := p.expect(tLParen, fmt.Sprintf("'(' after the function name %q", t.s)); err != nil {
			return nil, err
		}
		var args []node
		if p.peek().kind != tRParen {
			for {
				a, err := p.expr(1)
				if err != nil {
					return nil, err
				}
				args = append(args, a)
				if p.peek().kind != tComma {
					break
				}
				p.pos++
			}
		}
		if err := p.expect(tRParen, "',' or ')'"); err != nil {
			return nil, err
		}
		if len(args) != t.fn.arity {
			return nil, p.errAt(t, "function %q expects %d argument(s), got %d", t.s, t.fn.arity, len(args))
		}
		call := t.fn.call
		return callNode{fn: func(a []value) (value, error) { return call(a), nil }, args: args}, nil
	case tRegex:
		if err := p.expect(tLParen, "'('"); err != nil {
			return nil, err
		}
		arg, err := p.expr(1)
		if err != nil {
			return nil, err
		}
		if err := p.expect(tRParen, "')' (matches() takes a regular expression and one value)"); err != nil {
			return nil, err
		}
		return regexNode{re: t.re, arg: arg}, nil
	case tLBracket:
		var items []node
		if p.peek().kind != tRBracket {
			for {
				it, err := p.expr(1)
				if err != nil {
					return nil, err
				}
				items = append(items, it)
				if p.peek().kind != tComma {
					break
				}
				p.pos++
			}
		}
		if err := p.expect(tRBracket, "',' or ']'"); err != nil {
			return nil, err
		}
		return arrayNode{items: items}, nil
	}
	return nil, p.errAt(t, "unexpected %s, expected a value", t.describe())
}
