package simulator

import (
	"errors"
	"math"
	"unicode/utf8"

	"github.com/hooksim/hooksim/simulator/wire"
)

// MAIL FROM flags, numbered as smtp-proto 0.2.1 numbers them (lib.rs,
// MAIL_BODY_7BIT ... MAIL_BY_TRACE). BODY= and RET= may each set more than
// one: a repeated parameter adds its flag.
const (
	MailBody7Bit       uint64 = 1 << 0
	MailBody8BitMIME   uint64 = 1 << 1
	MailBodyBinaryMIME uint64 = 1 << 2
	MailRetFull        uint64 = 1 << 3
	MailRetHdrs        uint64 = 1 << 4
	MailSMTPUTF8       uint64 = 1 << 5
	MailRequireTLS     uint64 = 1 << 6
	MailConperm        uint64 = 1 << 7
	MailByNotify       uint64 = 1 << 8
	MailByReturn       uint64 = 1 << 9
	MailByTrace        uint64 = 1 << 10
)

// RCPT TO flags, numbered as smtp-proto 0.2.1 numbers them (lib.rs,
// RCPT_NOTIFY_SUCCESS ... RCPT_RRVS_CONTINUE).
const (
	RcptNotifySuccess uint64 = 1 << 0
	RcptNotifyFailure uint64 = 1 << 1
	RcptNotifyDelay   uint64 = 1 << 2
	RcptNotifyNever   uint64 = 1 << 3
	RcptConneg        uint64 = 1 << 4
	RcptRRVSReject    uint64 = 1 << 5
	RcptRRVSContinue  uint64 = 1 << 6

	// rcptNotifyAny are the NOTIFY= flags, which need DSN (rcpt.rs:60-70).
	rcptNotifyAny = RcptNotifySuccess | RcptNotifyFailure | RcptNotifyDelay | RcptNotifyNever
)

// maxAddressLen is smtp-proto's MAX_ADDRESS_LEN: the longest address, in
// bytes, that MAIL FROM and RCPT TO take, and the longest ORCPT= and AUTH=.
const maxAddressLen = 256

// MailFrom is a MAIL FROM command as smtp-proto 0.2.1 parses it (its
// MailFrom<T>): the address between the brackets and every parameter it
// knows. Stalwart checks SIZE, BY, MT-PRIORITY, HOLDFOR/HOLDUNTIL,
// REQUIRETLS and ENVID after the mail hook (mail.rs:274-464); the others
// are only stored. A repeated parameter keeps its last value.
type MailFrom struct {
	// Address as smtp-proto gives it: quotes and backslash escapes of a
	// quoted local part removed, a source route dropped, CRs removed,
	// invalid UTF-8 replaced by U+FFFD; "" for <> and <postmaster>.
	Address string
	Flags   uint64 // Mail* flags
	Size    uint64 // SIZE=, bytes; 0 when absent
	// By is the BY= time in seconds (RFC 2852), negative allowed;
	// Flags says N or R, and T.
	By         int64
	MtPriority int64  // MT-PRIORITY= (RFC 6710); 0 when absent
	HoldFor    uint64 // HOLDFOR= seconds (RFC 4865); 0 when absent
	HoldUntil  uint64 // HOLDUNTIL= as given, Unix seconds; 0 when absent
	// EnvID is ENVID= (RFC 3461) after xtext decoding; nil when absent.
	EnvID   *string
	TransID *string // TRANSID=<...> without its brackets
	Solicit *string // SOLICIT=
	Auth    *string // AUTH= after xtext decoding
	Mtrk    *Mtrk   // MTRK=
}

// Mtrk is a MTRK= parameter (RFC 3885): the certifier and the timeout in
// seconds (0 when not given).
type Mtrk struct {
	Certifier string
	Timeout   uint64
}

// RcptTo is a RCPT TO command as smtp-proto 0.2.1 parses it (its
// RcptTo<T>). Stalwart checks NOTIFY= and ORCPT= against DSN before the
// rcpt hook (rcpt.rs:60-70); RRVS and CONNEG are only stored.
type RcptTo struct {
	Address string // as for MailFrom.Address
	Flags   uint64 // Rcpt* flags
	// ORcpt is the address of ORCPT=rfc822;... after xtext decoding; nil
	// when absent.
	ORcpt *string
	// RRVS is the RRVS= time as smtp-proto computes it from the date
	// (Unix seconds), math.MaxInt64 when the date did not parse.
	RRVS int64
}

// LineError is a MAIL or RCPT line that smtp-proto 0.2.1 refuses: Stalwart
// sends Reply and runs no handler, so no EHLO, sender or hook check
// happens and the session's state does not change (session.rs:255-355).
type LineError struct {
	Reply string
	// Incomplete is set when the line ends where smtp-proto waits for
	// more ("MAIL FROM" or "RCPT TO" right before the CRLF): Stalwart would
	// read the next line as the rest of this command; hooksim answers the
	// syntax error at once instead.
	Incomplete bool
}

func (e *LineError) Error() string { return "simulator: command refused: " + e.Reply }

// errNeedsMore is smtp-proto's NeedsMoreData: the bytes ran out.
var errNeedsMore = errors.New("simulator: the command line ended early")

// ParseMail parses one MAIL command line, without its CRLF, exactly as
// smtp-proto 0.2.1's Request::parse does (request/parser.rs:50-72 and
// mail_from_parameters, 808-1024): the verb, FROM:, the address, then the
// parameters from left to right, stopping at the first error. The line
// should hold no LF: smtp-proto stops there. A refused line is a
// *LineError carrying Stalwart's reply: 500 when the verb is not MAIL,
// 501 5.5.2 for the syntax, 501 5.1.8 for the address, 501 5.5.4 Invalid
// parameter "NAME". for a known parameter with a bad value, 504 5.5.4
// Unsupported parameter "KEY=VALUE". (upper-cased) for any other.
func ParseMail(line string) (MailFrom, error) {
	p := newProtoParser(line)
	if verb, err := p.hashed(8); err != nil || verb != "MAIL" || !isSpace(p.stop) {
		return MailFrom{}, &LineError{Reply: ReplyInvalidCommand}
	}
	addr, err := p.path("FROM")
	if err != nil {
		return MailFrom{}, lineError(err, ReplyMailSyntax, ReplyBadSender)
	}
	m, err := p.mailParams(addr)
	if err != nil {
		return MailFrom{}, lineError(err, ReplyMailSyntax, ReplyBadSender)
	}
	return m, nil
}

// ParseRcpt parses one RCPT command line, without its CRLF, exactly as
// smtp-proto 0.2.1 does (parser.rs:28-49 and rcpt_to_parameters,
// 1026-1152); the errors are those of ParseMail, with 501 5.1.3 for the
// address and the RCPT syntax reply.
func ParseRcpt(line string) (RcptTo, error) {
	p := newProtoParser(line)
	if verb, err := p.hashed(8); err != nil || verb != "RCPT" || !isSpace(p.stop) {
		return RcptTo{}, &LineError{Reply: ReplyInvalidCommand}
	}
	addr, err := p.path("TO")
	if err != nil {
		return RcptTo{}, lineError(err, ReplyRcptSyntax, ReplyBadRcpt)
	}
	r, err := p.rcptParams(addr)
	if err != nil {
		return RcptTo{}, lineError(err, ReplyRcptSyntax, ReplyBadRcpt)
	}
	return r, nil
}

// parseFailure is a refusal found while parsing, before it is turned
// into the reply of MAIL or RCPT.
type parseFailure int

const (
	failSyntax  parseFailure = iota + 1 // SyntaxError
	failAddress                         // InvalidSenderAddress / InvalidRecipientAddress
)

func (f parseFailure) Error() string { return "simulator: parse failure" }

// paramFailure is InvalidParameter (invalid) or UnsupportedParameter.
type paramFailure struct {
	name        string
	unsupported bool
}

func (f *paramFailure) Error() string { return "simulator: parameter " + f.name }

// lineError turns a parse failure into Stalwart's reply for it.
func lineError(err error, syntax, address string) *LineError {
	var pf *paramFailure
	switch {
	case errors.As(err, &pf) && pf.unsupported:
		return &LineError{Reply: replyUnsupportedParam(pf.name)}
	case errors.As(err, &pf):
		return &LineError{Reply: replyInvalidParam(pf.name)}
	case errors.Is(err, failAddress):
		return &LineError{Reply: address}
	case errors.Is(err, errNeedsMore):
		return &LineError{Reply: syntax, Incomplete: true}
	}
	return &LineError{Reply: syntax}
}

// protoParser walks one command line as smtp-proto's Rfc5321Parser does:
// i is the next byte, stop the byte that ended the last token.
type protoParser struct {
	b    []byte
	i    int
	stop byte
}

func newProtoParser(line string) *protoParser {
	return &protoParser{b: []byte(line + "\r\n")}
}

func (p *protoParser) next() (byte, bool) {
	if p.i >= len(p.b) {
		return 0, false
	}
	c := p.b[p.i]
	p.i++
	return c, true
}

// isSpace is Rust's u8::is_ascii_whitespace: space, tab, LF, FF, CR.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// hashed reads a keyword as hashed_value (limit 8) or hashed_value_long
// (limit 16) do: letters (upper-cased), digits and '-', up to limit of
// them; leading spaces and every CR are skipped; any other byte, or one
// more keyword byte past the limit, stops it. "" is smtp-proto's 0.
func (p *protoParser) hashed(limit int) (string, error) {
	var v []byte
	for {
		ch, ok := p.next()
		if !ok {
			return "", errNeedsMore
		}
		switch {
		case len(v) < limit && (ch >= 'A' && ch <= 'Z' || isDigit(ch) || ch == '-'):
			v = append(v, ch)
		case len(v) < limit && ch >= 'a' && ch <= 'z':
			v = append(v, ch-'a'+'A')
		case ch == '\r':
		case ch == ' ':
			if len(v) > 0 {
				p.stop = ' '
				return string(v), nil
			}
		default:
			p.stop = ch
			return string(v), nil
		}
	}
}

// nextChar returns the next byte that is not a space or a CR.
func (p *protoParser) nextChar() (byte, error) {
	for {
		ch, ok := p.next()
		if !ok {
			return 0, errNeedsMore
		}
		if ch != ' ' && ch != '\r' {
			p.stop = ch
			return ch, nil
		}
	}
}

// seekLF skips to the end of the line, unless the last token ended there.
func (p *protoParser) seekLF() error {
	if p.stop == '\n' {
		return nil
	}
	for {
		ch, ok := p.next()
		if !ok {
			return errNeedsMore
		}
		if ch == '\n' {
			return nil
		}
	}
}

// fail skips to the end of the line and returns err, as smtp-proto does
// before every refusal ("self.seek_lf()?; return Err(...)").
func (p *protoParser) fail(err error) error {
	if e := p.seekLF(); e != nil {
		return e
	}
	return err
}

// path reads "FROM:<address>" (or "TO:<...>") up to the closing bracket
// (parser.rs:29-48, 51-71).
func (p *protoParser) path(keyword string) (string, error) {
	ok, err := p.pathOpen(keyword)
	if err != nil {
		return "", err
	}
	if ok {
		addr, valid, err := p.address()
		if err != nil {
			return "", err
		}
		if !valid {
			return "", p.fail(failAddress)
		}
		if p.stop == '>' {
			return addr, nil
		}
	}
	return "", p.fail(failSyntax)
}

// pathOpen reads up to the '<' of "FROM:<": the keyword, a colon (spaces
// allowed before it and after it) and the bracket.
func (p *protoParser) pathOpen(keyword string) (bool, error) {
	if p.stop == '\n' {
		return false, nil
	}
	kw, err := p.hashed(8)
	if err != nil || kw != keyword {
		return false, err
	}
	c := p.stop
	if c != ':' {
		if c, err = p.nextChar(); err != nil {
			return false, err
		}
	}
	if c != ':' {
		return false, nil
	}
	c, err = p.nextChar()
	return c == '<', err
}

// pending is smtp-proto's MaybeZeroCopy: the text taken so far (data) and
// where the bytes not yet taken begin (start).
type pending struct {
	start int
	data  []byte
}

func (p *protoParser) begin() pending { return pending{start: p.i} }

// take appends the bytes from v.start up to, not including, the byte just
// read (invalid UTF-8 replaced as String::from_utf8_lossy does), and moves
// start past that byte, which is so dropped (flush_excluding_current).
func (p *protoParser) take(v *pending) {
	v.data = append(v.data, wire.LossyString(p.b[v.start:p.i-1])...)
	v.start = p.i
}

// length is len_excluding_current: the text taken plus the bytes waiting.
func (p *protoParser) length(v *pending) int { return len(v.data) + p.i - 1 - v.start }

// firstIs reports whether first_excluding_current is c.
func (p *protoParser) firstIs(v *pending, c byte) bool {
	switch {
	case len(v.data) > 0:
		return v.data[0] == c
	case v.start < p.i-1:
		return p.b[v.start] == c
	}
	return false
}

// isAtext are the bytes an address takes as they are (parser.rs:392-414).
func isAtext(c byte) bool {
	switch {
	case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= 0x7f:
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '/', '=', '?', '^', '_', '`', '{', '|', '}', '~':
		return true
	}
	return false
}

// address reads an address up to '>', a space or the end of the line
// (parser.rs:383-499). valid is false for smtp-proto's None: an address
// it refuses (a dot first, after a dot or an '@'; a byte it does not
// take; not exactly one '@'; an empty local part; over 256 bytes).
func (p *protoParser) address() (addr string, valid bool, err error) {
	v := p.begin()
	var last byte
	inQuote := false
	atCount, lpLen := 0, 0
	for {
		ch, ok := p.next()
		if !ok {
			return "", false, errNeedsMore
		}
		switch {
		case isAtext(ch):
		case ch == '.' && !inQuote:
			if last == '.' || last == '@' || p.length(&v) == 0 {
				p.stop = ch
				return "", false, nil
			}
		case ch == '@' && !inQuote:
			atCount++
			lpLen = p.length(&v)
		case ch == '>' && !inQuote:
			p.stop = ch
			p.take(&v)
			s := string(v.data)
			switch {
			case len(s) >= 1 && len(s) <= maxAddressLen && atCount == 1 && lpLen > 0:
				return s, true, nil
			case len(s) == 10 && atCount == 0 && asciiEqualFold(s, "postmaster"), len(s) == 0:
				return "", true, nil
			}
			return "", false, nil
		case ch == '\r':
			p.take(&v)
		case ch == ':' && !inQuote && p.firstIs(&v, '@'):
			// A source route (@a,@b:) is dropped.
			v = p.begin()
			atCount, lpLen = 0, 0
		case ch == ',' && !inQuote && p.firstIs(&v, '@'):
		case ch == ' ' && !inQuote:
			p.take(&v)
			if len(v.data) > 0 {
				p.stop = ' '
				s := string(v.data)
				return s, len(s) <= maxAddressLen && atCount == 1 && lpLen > 0, nil
			}
		case ch == '\n':
			p.stop = '\n'
			p.take(&v)
			s := string(v.data)
			return s, s == "" || len(s) <= maxAddressLen && atCount == 1 && lpLen > 0, nil
		case ch == '"' && (!inQuote || last != '\\'):
			inQuote = !inQuote
			p.take(&v)
		case ch == '\\' && inQuote:
			if last == '\\' {
				last = 0 // an escaped backslash is kept, and escapes nothing
				continue
			}
			p.take(&v)
		case inQuote:
		default:
			p.stop = ch
			return "", false, nil
		}
		last = ch
	}
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i], b[i]
		if x >= 'A' && x <= 'Z' {
			x += 'a' - 'A'
		}
		if y >= 'A' && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// text reads up to a space or the end of the line, CRs dropped (text()).
func (p *protoParser) text() (string, error) {
	v := p.begin()
	for {
		ch, ok := p.next()
		if !ok {
			return "", errNeedsMore
		}
		switch ch {
		case '\n', ' ':
			p.take(&v)
			p.stop = ch
			return string(v.data), nil
		case '\r':
			p.take(&v)
		}
	}
}

// xtext reads an xtext value (RFC 3461 §4) up to a space or the end of
// the line, as smtp-proto does (parser.rs:564-606): "+XX" becomes the
// character U+00XX; a '+' not followed by two hex digits is dropped with
// the byte after it (even a space); CRs are dropped.
func (p *protoParser) xtext() (string, error) {
	v := p.begin()
	for {
		ch, ok := p.next()
		if !ok {
			return "", errNeedsMore
		}
		switch ch {
		case '\n', ' ':
			p.take(&v)
			p.stop = ch
			return string(v.data), nil
		case '+':
			p.take(&v)
			hi := -1
			for {
				c, ok := p.next()
				if !ok {
					break
				}
				if d, isHex := hexValue(c); isHex {
					if hi >= 0 {
						v.data = utf8.AppendRune(v.data, rune(hi<<4|d))
						break
					}
					hi = d
					continue
				}
				if c == '\n' {
					p.stop = '\n'
					return string(v.data), nil
				}
				break
			}
			v.start = p.i // drop_extra
		case '\r':
			p.take(&v)
		}
	}
}

func hexValue(c byte) (int, bool) {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0'), true
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10, true
	}
	return 0, false
}

// seekChar reads up to stop, a space after some text, or the end of the
// line, CRs dropped (seek_char()).
func (p *protoParser) seekChar(stop byte) (string, error) {
	v := p.begin()
	for {
		ch, ok := p.next()
		if !ok {
			return "", errNeedsMore
		}
		switch {
		case ch == '\n':
			p.take(&v)
			p.stop = '\n'
			return string(v.data), nil
		case ch == ' ':
			p.take(&v)
			if len(v.data) > 0 {
				p.stop = ' '
				return string(v.data), nil
			}
		case ch == '\r':
			p.take(&v)
		case ch == stop:
			p.take(&v)
			p.stop = ch
			return string(v.data), nil
		}
	}
}

// size reads a decimal number as smtp-proto's size() does: spaces before
// it and CRs skipped, saturating at math.MaxUint64, which means "no
// number" (and a digit after a saturated value starts afresh).
func (p *protoParser) size() (uint64, error) {
	const none = math.MaxUint64
	v := uint64(none)
	for {
		ch, ok := p.next()
		if !ok {
			return 0, errNeedsMore
		}
		switch {
		case isDigit(ch):
			d := uint64(ch - '0')
			if v == none {
				v = d
			} else {
				v = satAddU64(satMulU64(v, 10), d)
			}
		case ch == '\r':
		case ch == ' ':
			if v != none {
				p.stop = ' '
				return v, nil
			}
		default:
			p.stop = ch
			return v, nil
		}
	}
}

func satMulU64(a, b uint64) uint64 {
	if a != 0 && b > math.MaxUint64/a {
		return math.MaxUint64
	}
	return a * b
}

func satAddU64(a, b uint64) uint64 {
	if a > math.MaxUint64-b {
		return math.MaxUint64
	}
	return a + b
}

// integer reads a signed decimal as smtp-proto's integer() does: '-' or
// '+' before the digits, spaces before them and CRs skipped, saturating
// at math.MaxInt64, which means "no number".
func (p *protoParser) integer() (int64, error) {
	const none = math.MaxInt64
	v, sign := int64(none), int64(1)
	for {
		ch, ok := p.next()
		if !ok {
			return 0, errNeedsMore
		}
		switch {
		case isDigit(ch):
			d := int64(ch - '0')
			if v == none {
				v = d
			} else if v > (none-d)/10 {
				v = none
			} else {
				v = v*10 + d
			}
		case ch == ' ':
			if v != none {
				p.stop = ' '
				return v * sign, nil
			}
		case ch == '-' && v == none:
			sign = -1
		case ch == '+' && v == none:
		case ch == '\r':
		default:
			p.stop = ch
			if v != none {
				return v * sign, nil
			}
			return none, nil
		}
	}
}

// timestamp reads an RRVS date-time (RFC 3339) as smtp-proto's timestamp()
// does (parser.rs:749-806), to Unix seconds; math.MaxInt64 when fewer
// than the date and hour:minute were given.
func (p *protoParser) timestamp() (int64, error) {
	var dt [8]uint32
	zone := int64(1)
	pos := 0
	for {
		ch, ok := p.next()
		if !ok {
			return 0, errNeedsMore
		}
		switch {
		case isDigit(ch) && pos < 8:
			dt[pos] = satAddU32(satMulU32(dt[pos], 10), uint32(ch-'0'))
		case ch == '-' && (pos <= 1 || pos == 5):
			pos++
		case ch == '+' && pos == 5:
			zone = -1
			pos++
		case ch == 'T' && pos == 2, ch == ':' && (pos == 3 || pos == 4 || pos == 6):
			pos++
		case ch == 'Z' && pos == 5:
			pos = 8
		default:
			p.stop = ch
			if pos < 7 {
				return math.MaxInt64, nil
			}
			return civilSeconds(dt, zone), nil
		}
	}
}

// civilSeconds is the arithmetic of smtp-proto's timestamp() (itself
// upb's), with the same u32 wrap-arounds.
func civilSeconds(dt [8]uint32, zone int64) int64 {
	month := dt[1]
	mAdj := month - 3
	var carry int64
	var adjust uint32
	if mAdj > month {
		carry, adjust = 1, 12
	}
	yAdj := int64(dt[0]) + 4800 - carry
	monthDays := ((mAdj+adjust)*62719 + 769) / 2048
	leap := yAdj/4 - yAdj/100 + yAdj/400
	return (yAdj*365+leap+int64(monthDays)+(int64(dt[2])-1)-2472632)*86400 +
		int64(dt[3])*3600 + int64(dt[4])*60 + int64(dt[5]) +
		(int64(dt[6])*3600+int64(dt[7])*60)*zone
}

func satMulU32(a, b uint32) uint32 {
	if a != 0 && b > math.MaxUint32/a {
		return math.MaxUint32
	}
	return a * b
}

func satAddU32(a, b uint32) uint32 {
	if a > math.MaxUint32-b {
		return math.MaxUint32
	}
	return a + b
}

// invalid and unsupported build the two parameter refusals.
func (p *protoParser) invalid(name string) error {
	return p.fail(&paramFailure{name: name})
}

// unsupported rebuilds the whole token of an unknown parameter as
// smtp-proto does: the keyword read so far, then the byte that stopped
// it and every byte up to the next whitespace, ASCII upper-cased.
func (p *protoParser) unsupported(key string) error {
	tok := []byte(key)
	if !isSpace(p.stop) {
		tok = append(tok, asciiUpper(p.stop))
		for {
			ch, ok := p.next()
			if !ok {
				break
			}
			if isSpace(ch) {
				p.stop = ch
				break
			}
			tok = append(tok, asciiUpper(ch))
		}
	}
	return p.fail(&paramFailure{name: wire.LossyString(tok), unsupported: true})
}

func asciiUpper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// mailParams reads the parameters after MAIL FROM:<...>
// (mail_from_parameters, parser.rs:808-1024).
func (p *protoParser) mailParams(addr string) (MailFrom, error) {
	m := MailFrom{Address: addr}
	for p.stop != '\n' {
		key, err := p.hashed(16)
		if err != nil {
			return m, err
		}
		eq := p.stop == '='
		switch {
		case key == "SMTPUTF8" && isSpace(p.stop):
			m.Flags |= MailSMTPUTF8
		case key == "BODY" && eq:
			v, err := p.hashed(16)
			if err != nil {
				return m, err
			}
			switch {
			case v == "8BITMIME" && isSpace(p.stop):
				m.Flags |= MailBody8BitMIME
			case v == "BINARYMIME" && isSpace(p.stop):
				m.Flags |= MailBodyBinaryMIME
			case v == "7BIT" && isSpace(p.stop):
				m.Flags |= MailBody7Bit
			default:
				return m, p.invalid("BODY")
			}
		case key == "SIZE" && eq:
			n, err := p.size()
			if err != nil {
				return m, err
			}
			if n == math.MaxUint64 || !isSpace(p.stop) {
				return m, p.invalid("SIZE")
			}
			m.Size = n
		case key == "BY" && eq:
			t, err := p.integer()
			if err != nil {
				return m, err
			}
			if t == math.MaxInt64 || p.stop != ';' {
				return m, p.invalid("BY")
			}
			mode, err := p.hashed(8)
			if err != nil {
				return m, err
			}
			f := byMode(mode)
			if f == 0 || !isSpace(p.stop) {
				return m, p.invalid("BY")
			}
			m.Flags |= f
			m.By = t
		case (key == "HOLDUNTIL" || key == "HOLDFOR") && eq:
			n, err := p.size()
			if err != nil {
				return m, err
			}
			if n == math.MaxUint64 || !isSpace(p.stop) {
				return m, p.invalid(key)
			}
			if key == "HOLDFOR" {
				m.HoldFor = n
			} else {
				m.HoldUntil = n
			}
		case key == "RET" && eq:
			v, err := p.hashed(8)
			if err != nil {
				return m, err
			}
			switch {
			case v == "FULL" && isSpace(p.stop):
				m.Flags |= MailRetFull
			case v == "HDRS" && isSpace(p.stop):
				m.Flags |= MailRetHdrs
			default:
				return m, p.invalid("RET")
			}
		case key == "ENVID" && eq:
			v, err := p.xtext()
			if err != nil {
				return m, err
			}
			if !isSpace(p.stop) || len(v) < 1 || len(v) > 100 {
				return m, p.invalid("ENVID")
			}
			m.EnvID = &v
		case key == "REQUIRETLS" && isSpace(p.stop):
			m.Flags |= MailRequireTLS
		case key == "SOLICIT" && eq:
			v, err := p.text()
			if err != nil {
				return m, err
			}
			if v == "" || !isSpace(p.stop) {
				return m, p.invalid("SOLICIT")
			}
			m.Solicit = &v
		case key == "TRANSID" && eq:
			c, err := p.nextChar()
			if err != nil {
				return m, err
			}
			if c == '<' {
				v, err := p.seekChar('>')
				if err != nil {
					return m, err
				}
				if p.stop == '>' && v != "" {
					m.TransID = &v
					p.stop = ' '
					continue
				}
			}
			return m, p.invalid("TRANSID")
		case key == "MTRK" && eq:
			cert, err := p.seekChar(':')
			if err != nil {
				return m, err
			}
			var timeout uint64
			if p.stop == ':' {
				if timeout, err = p.size(); err != nil {
					return m, err
				}
			}
			if cert == "" || !isSpace(p.stop) || timeout == math.MaxUint64 {
				return m, p.invalid("MTRK")
			}
			m.Mtrk = &Mtrk{Certifier: cert, Timeout: timeout}
		case key == "AUTH" && eq:
			v, err := p.xtext()
			if err != nil {
				return m, err
			}
			if len(v) < 1 || len(v) > maxAddressLen || !isSpace(p.stop) {
				return m, p.invalid("AUTH")
			}
			m.Auth = &v
		case key == "MT-PRIORITY" && eq:
			n, err := p.integer()
			if err != nil {
				return m, err
			}
			if n == math.MaxInt64 || !isSpace(p.stop) {
				return m, p.invalid("MT-PRIORITY")
			}
			m.MtPriority = n
		case key == "CONPERM" && isSpace(p.stop):
			m.Flags |= MailConperm
		case key == "":
			// Only spacing between parameters is harmless; anything else
			// (a '>' too many, a '!') is a syntax error.
			if !isSpace(p.stop) {
				return m, p.fail(failSyntax)
			}
		default:
			return m, p.unsupported(key)
		}
	}
	return m, nil
}

// byMode is the flags of BY=time;MODE, 0 for an unknown mode.
func byMode(mode string) uint64 {
	switch mode {
	case "N":
		return MailByNotify
	case "NT":
		return MailByNotify | MailByTrace
	case "R":
		return MailByReturn
	case "RT":
		return MailByReturn | MailByTrace
	}
	return 0
}

// rcptParams reads the parameters after RCPT TO:<...>
// (rcpt_to_parameters, parser.rs:1026-1152).
func (p *protoParser) rcptParams(addr string) (RcptTo, error) {
	r := RcptTo{Address: addr}
	for p.stop != '\n' {
		key, err := p.hashed(16)
		if err != nil {
			return r, err
		}
		eq := p.stop == '='
		switch {
		case key == "NOTIFY" && eq:
			if err := p.notify(&r); err != nil {
				return r, err
			}
		case key == "ORCPT" && eq:
			kind, err := p.hashed(8)
			if err != nil {
				return r, err
			}
			if kind != "RFC822" || p.stop != ';' {
				return r, p.invalid("ORCPT")
			}
			v, err := p.xtext()
			if err != nil {
				return r, err
			}
			if !isSpace(p.stop) || len(v) < 1 || len(v) > maxAddressLen {
				return r, p.invalid("ORCPT")
			}
			r.ORcpt = &v
		case key == "RRVS" && eq:
			t, err := p.timestamp()
			if err != nil {
				return r, err
			}
			if !(t != math.MaxInt64 && isSpace(p.stop) || p.stop == ';') {
				return r, p.invalid("RRVS")
			}
			reject := true
			if p.stop == ';' {
				mode, err := p.hashed(8)
				if err != nil {
					return r, err
				}
				switch {
				case mode == "C" && isSpace(p.stop):
					reject = false
				case mode == "R" && isSpace(p.stop):
				default:
					return r, p.invalid("RRVS")
				}
			}
			r.RRVS = t
			if reject {
				r.Flags |= RcptRRVSReject
			} else {
				r.Flags |= RcptRRVSContinue
			}
		case key == "CONNEG" && isSpace(p.stop):
			r.Flags |= RcptConneg
		case key == "":
			if !isSpace(p.stop) {
				return r, p.fail(failSyntax)
			}
		default:
			return r, p.unsupported(key)
		}
	}
	return r, nil
}

// notify reads the comma-separated NOTIFY= list: NEVER only first (so
// NEVER,SUCCESS passes and SUCCESS,NEVER does not, as in smtp-proto).
func (p *protoParser) notify(r *RcptTo) error {
	for {
		v, err := p.hashed(16)
		if err != nil {
			return err
		}
		switch {
		case v == "NEVER" && r.Flags&rcptNotifyAny == 0:
			r.Flags |= RcptNotifyNever
		case v == "SUCCESS":
			r.Flags |= RcptNotifySuccess
		case v == "FAILURE":
			r.Flags |= RcptNotifyFailure
		case v == "DELAY":
			r.Flags |= RcptNotifyDelay
		default:
			return p.invalid("NOTIFY")
		}
		if isSpace(p.stop) {
			return nil
		}
		if p.stop != ',' {
			return p.invalid("NOTIFY")
		}
	}
}
