package hookconf

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Condition is one "if"/"then" pair of an enable block.
type Condition struct {
	If   string
	Then string
}

// ParseExpression compiles one expression of Stalwart's expression
// language (for example "sender_domain == 'example.org'"). The result is
// the expression's truth under Stalwart's rules. Errors are *ExprError.
func ParseExpression(src string) (Expression, error) {
	n, err := compileExpr(src)
	if err != nil {
		return nil, err
	}
	return &ifBlock{elseExpr: n, src: src}, nil
}

// NewIfBlock compiles the block form {"match": {"0": {"if": ..., "then":
// ...}}, "else": ...}: the first condition whose "if" is true picks its
// "then", otherwise "else" decides. Errors are *ExprError.
func NewIfBlock(conds []Condition, elseSrc string) (Expression, error) {
	b := &ifBlock{}
	for _, c := range conds {
		cond, err := compileExpr(c.If)
		if err != nil {
			return nil, err
		}
		then, err := compileExpr(c.Then)
		if err != nil {
			return nil, err
		}
		b.conds = append(b.conds, [2]node{cond, then})
	}
	n, err := compileExpr(elseSrc)
	if err != nil {
		return nil, err
	}
	b.elseExpr = n
	b.src = blockString(conds, elseSrc)
	return b, nil
}

// ConstExpression is an enable expression that is always v.
func ConstExpression(v bool) Expression {
	return constExpr(v)
}

type constExpr bool

func (c constExpr) Enabled(*ExprVars) bool { return bool(c) }

func (c constExpr) String() string { return strconv.FormatBool(bool(c)) }

// ifBlock is a compiled enable expression or block.
type ifBlock struct {
	conds    [][2]node
	elseExpr node
	src      string
}

// Enabled evaluates the block against the session. An evaluation error
// counts as false, as in Stalwart (it logs the error and skips the hook).
func (b *ifBlock) Enabled(vars *ExprVars) bool {
	v, err := b.eval(vars)
	return err == nil && v.truthy()
}

func (b *ifBlock) eval(vars *ExprVars) (value, error) {
	if vars == nil {
		vars = &ExprVars{}
	}
	ec := &evalCtx{vars: vars}
	for _, c := range b.conds {
		ok, err := c[0].eval(ec)
		if err != nil {
			return value{}, err
		}
		if ok.truthy() {
			return c[1].eval(ec)
		}
	}
	return b.elseExpr.eval(ec)
}

func (b *ifBlock) String() string { return b.src }

// blockString renders a block compactly in the server's JSON form, or just
// the else expression when there are no conditions.
func blockString(conds []Condition, elseSrc string) string {
	if len(conds) == 0 {
		return elseSrc
	}
	var b strings.Builder
	b.WriteString(`{"match":{`)
	for i, c := range conds {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"%d":{"if":%s,"then":%s}`, i, jsonQuote(c.If), jsonQuote(c.Then))
	}
	b.WriteString(`},"else":`)
	b.WriteString(jsonQuote(elseSrc))
	b.WriteByte('}')
	return b.String()
}

func jsonQuote(s string) string {
	out, err := json.Marshal(s)
	if err != nil {
		return strconv.Quote(s)
	}
	return string(out)
}
