package simulator

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hooksim/hooksim/sessions"
	"github.com/hooksim/hooksim/simulator/wire"
)

// MaxLineLength is smtp-proto's MAX_LINE_LENGTH (request/receiver.rs:11):
// a command line with this many bytes or more before its LF (the CR
// counts) is dropped and answered ReplyLineTooLong.
//
// Stalwart reads 8192 bytes at a time (spawn.rs:143) and smtp-proto
// checks the limit only on a line that does not end in the bytes of one
// read, so a longer line that arrives whole in one read is parsed
// (receiver.rs:57-95). hooksim plays the line as it comes over a network,
// split into segments, which is how the limit bites: any line of 4096
// bytes or more before its LF is refused.
const MaxLineLength = 4096

// lineTooLong reports a command line, sent without its CRLF, that
// Stalwart refuses: with the CR, MaxLineLength bytes or more before the LF.
func lineTooLong(line string) bool { return len(line)+len("\r") >= MaxLineLength }

// wireLine is the command line a step sends, as it goes on the wire
// (without the CRLF): what the transcript shows, but AUTH with its real
// initial response for its mechanism and the first BDAT line (they are
// all short).
func wireLine(step *sessions.Step) string {
	switch step.Kind {
	case sessions.StepAuth:
		mech := step.Mechanism
		if mech == "" {
			mech = "plain"
		}
		if mech == "login" || step.Prompted { // the responses follow on SASL lines
			return "AUTH " + strings.ToUpper(mech)
		}
		return "AUTH " + strings.ToUpper(mech) + " " + saslResponse(step)
	case sessions.StepBdat:
		return bdatCommands(step)[0]
	}
	return commandLine(step)
}

// saslResponse is the base64 response that carries an auth step's
// credentials for its mechanism (plain, xoauth2, oauthbearer), as the
// client sends it on the AUTH line or, prompted, on a line of its own.
func saslResponse(step *sessions.Step) string {
	b64 := base64.StdEncoding.EncodeToString
	switch step.Mechanism {
	case "xoauth2":
		return b64([]byte("user=" + step.Login + "\x01auth=Bearer " + step.Password + "\x01\x01"))
	case "oauthbearer":
		return b64([]byte("n,a=" + step.Login + ",\x01auth=Bearer " + step.Password + "\x01\x01"))
	}
	return b64([]byte("\x00" + step.Login + "\x00" + step.Password))
}

// mailLine parses a MAIL line as smtp-proto does and hands it to mail;
// a line it refuses is answered without more (session.rs:292-355).
func (p *player) mailLine(ctx context.Context, st *StepResult, line string) {
	m, err := ParseMail(line)
	if err != nil {
		st.Replies = append(st.Replies, lineReply(err))
		return
	}
	p.mail(ctx, st, &m)
}

// rcptLine parses a RCPT line as smtp-proto does and hands it to rcpt.
func (p *player) rcptLine(ctx context.Context, st *StepResult, line string) {
	r, err := ParseRcpt(line)
	if err != nil {
		st.Replies = append(st.Replies, lineReply(err))
		return
	}
	p.rcpt(ctx, st, &r)
}

func lineReply(err error) string {
	var le *LineError
	if errors.As(err, &le) {
		return le.Reply
	}
	return ReplyInvalidCommand
}

// maxDomainLen is smtp-proto's MAX_DOMAIN_LEN: the longest HELO/EHLO name.
const maxDomainLen = 255

// heloLine handles a HELO, EHLO or LHLO command whose argument is rest
// (the text after the verb's separator; hasArg false when the verb ends
// the line), parsed as smtp-proto 0.2 does (parser.rs HELO/EHLO/LHLO, its
// text()): the name runs to the next space and must be 1 to 255 bytes;
// otherwise the reply is the syntax error, except for EHLO when
// rejectNonFqdn is off, which Stalwart answers as "EHLO null"
// (session.rs:312-329). LHLO on an SMTP listener gets 502 5.5.1.
func (p *player) heloLine(ctx context.Context, st *StepResult, verb, rest string, hasArg bool) {
	host := smtpText(rest)
	ok := hasArg && len(host) >= 1 && len(host) <= maxDomainLen
	switch {
	case !ok && verb == "EHLO" && !p.rejectNonFqdn():
		p.ehlo(ctx, st, "null", true)
	case !ok:
		st.Replies = append(st.Replies, "501 5.5.2 Syntax error, expected: "+verb+" domain")
	case verb == "LHLO":
		st.Replies = append(st.Replies, ReplyEhloExpected)
	default:
		p.ehlo(ctx, st, host, verb == "EHLO")
	}
}

// smtpText is the value smtp-proto's text() reads from rest
// (request/parser.rs:543-560): up to the first space or LF, CRs dropped,
// invalid UTF-8 replaced as String::from_utf8_lossy does (so that its
// length, which the caller checks, is the replaced text's).
func smtpText(rest string) string {
	end := strings.IndexAny(rest, " \n")
	if end < 0 {
		end = len(rest)
	}
	return wire.LossyString([]byte(strings.ReplaceAll(rest[:end], "\r", "")))
}

// authLine handles a raw AUTH command whose argument is rest, read as
// smtp-proto does (parser.rs AUTH, mechanism(), text()): the mechanism
// runs to the next whitespace (none there: the syntax error), then the
// initial response runs from one byte after it to the next space. The
// mechanism must be one Stalwart knows and allows (503/554 as for an auth
// step). An initial response of PLAIN, XOAUTH2 or OAUTHBEARER
// authenticates as its login (a bad one is 500 5.5.6 Invalid challenge.,
// counted as a failure); without one, or with LOGIN (whose initial
// response is only the user name), the server waits for the rest of the
// SASL exchange, which a one-line raw step cannot send.
func (p *player) authLine(st *StepResult, rest string, hasArg bool) {
	mech, resp, ok := ParseAuth(rest)
	if !hasArg || !ok {
		st.Replies = append(st.Replies, ReplyAuthSyntax)
		return
	}
	if !slices.Contains(sessions.SaslMechanisms, mech) {
		// Known to smtp-proto but never allowed by Stalwart, or unknown.
		mech = "unsupported:" + mech
	}
	if !p.authCheck(st, mech) {
		return
	}
	if resp == "" || mech == "login" {
		switch {
		case mech != "login":
			st.Replies = append(st.Replies, ReplyAuthContinue)
		case resp == "":
			st.Replies = append(st.Replies, ReplyAuthLoginUser)
		default: // LOGIN's initial response is the user name
			st.Replies = append(st.Replies, ReplyAuthLoginPass)
		}
		p.cannotGoOn(st, "the server now waits for the rest of the SASL exchange, which a raw step cannot send; use an auth step")
		return
	}
	login, ok := plainLogin(mech, resp)
	if !ok {
		p.authFailed(st, ReplyInvalidChallenge)
		return
	}
	p.authAs, p.authAddresses = login, nil
	st.Replies = append(st.Replies, ReplyAuthOK)
}

// DecodeBase64 decodes a SASL response as Stalwart does, with
// mail-parser 0.11.6's base64_decode (decoders/base64.rs): blanks (space,
// tab, CR, LF) are skipped; a group of four characters gives three
// bytes; a "=" after one or two characters of a group gives one byte,
// after three two bytes; a last group without its "=" is dropped; a byte
// 0xFF ends the input; any other character is an error (ok false).
func DecodeBase64(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s)/4*3)
	var group [4]byte
	n := 0
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if v, ok := base64Value(ch); ok {
			group[n] = v
			n++
			if n == 4 {
				out = append(out, group[0]<<2|group[1]>>4, group[1]<<4|group[2]>>2, group[2]<<6|group[3])
				n = 0
			}
			continue
		}
		switch ch {
		case '=':
			switch n {
			case 1, 2:
				// The group so far, the characters missing taken as zero.
				if n == 1 {
					group[1] = 0
				}
				out = append(out, group[0]<<2|group[1]>>4)
				n = 0
			case 3:
				out = append(out, group[0]<<2|group[1]>>4, group[1]<<4|group[2]>>2)
				n = 0
			}
		case ' ', '\t', '\r', '\n':
		case 0xff:
			return out, true
		default:
			return nil, false
		}
	}
	return out, true
}

// base64Value is the value of a base64 character.
func base64Value(ch byte) (byte, bool) {
	switch {
	case ch >= 'A' && ch <= 'Z':
		return ch - 'A', true
	case ch >= 'a' && ch <= 'z':
		return ch - 'a' + 26, true
	case ch >= '0' && ch <= '9':
		return ch - '0' + 52, true
	case ch == '+':
		return 62, true
	case ch == '/':
		return 63, true
	}
	return 0, false
}

// ParseAuth reads the arguments of an AUTH line (rest: the text after
// the verb's separator) as smtp-proto does: the mechanism, lower case,
// up to the first space, tab, form feed or vertical tab; the initial
// response, the text after that one separator up to the next space
// ("" when there is none, or when a second space follows at once: the
// server then prompts); anything after it is ignored. ok is false
// without a mechanism (ReplyAuthSyntax).
func ParseAuth(rest string) (mech, initial string, ok bool) {
	end := strings.IndexAny(rest, " \t\f\v")
	if end < 0 {
		end = len(rest)
	}
	if end == 0 {
		return "", "", false
	}
	mech = strings.ToLower(rest[:end])
	if end < len(rest) {
		initial, _, _ = strings.Cut(rest[end+1:], " ")
	}
	return mech, initial, true
}

// plainLogin decodes an initial response into the login it
// authenticates: PLAIN (authzid NUL authcid NUL password: the authcid),
// XOAUTH2 (user=LOGIN ^A auth=Bearer TOKEN ^A ^A) or OAUTHBEARER
// (n,a=LOGIN, ^A auth=Bearer TOKEN ^A ^A), all base64. LOGIN's initial
// response is only the user name, so it never completes here.
func plainLogin(mech, resp string) (string, bool) {
	login, _, ok := DecodeSASL(mech, resp)
	return login, ok
}

// DecodeSASL reads a base64 SASL response of mech (plain, xoauth2,
// oauthbearer) into the login and the secret (password or token) it
// carries, as Stalwart's directory does (sasl.rs); ok is false for one it
// refuses (500 5.5.6 Invalid challenge): not base64, a field missing,
// "*" (the client gives up).
func DecodeSASL(mech, resp string) (login, secret string, ok bool) {
	b, ok := DecodeBase64(resp)
	if !ok {
		return "", "", false
	}
	switch mech {
	case "plain":
		// authzid NUL login NUL password; fields after the password are
		// ignored; both must be UTF-8 and not empty (directory sasl.rs
		// decode_sasl_challenge_plain).
		parts := strings.Split(string(b), "\x00")
		if len(parts) < 3 || parts[1] == "" || parts[2] == "" || !utf8.ValidString(parts[1]) || !utf8.ValidString(parts[2]) {
			return "", "", false
		}
		return parts[1], parts[2], true
	case "xoauth2", "oauthbearer":
		token, user, named, ok := oauthBearer(b)
		if !ok {
			return "", "", false
		}
		if user == "" {
			// Without a user Stalwart takes (an a= with "@", a JWT's
			// claim), it asks the token's issuer whose it is; hooksim's
			// directory answers with the a= given, or XOAUTH2's user=.
			user = named
			if mech == "xoauth2" {
				first, _, _ := strings.Cut(string(b), "\x01")
				user, _ = strings.CutPrefix(first, "user=")
			}
		}
		return user, token, user != "" && token != ""
	}
	return "", "", false
}

// oauthBearer reads an OAUTHBEARER or XOAUTH2 response as Stalwart's
// extract_oauth_bearer does (directory/src/core/sasl.rs:45-94): the
// token of the first field (fields end at \x01) starting with "auth=Bearer "
// in any case, and the user of a ",a=" before it (up to "," or \x01,
// which it takes: a \x01 ending it does not end a field), kept when it
// holds "@", else the JWT token's first claim holding "@" (email,
// preferred_username, upn, unique_name, sub). named is the last a=
// value, "@" or not. ok is false when no field carries a token.
func oauthBearer(b []byte) (token, user, named string, ok bool) {
	start, eof := 0, max(len(b)-1, 0)
	a := ""
	for pos := 0; pos < len(b); pos++ {
		ch := b[pos]
		if ch == ',' && pos+3 <= len(b) && strings.EqualFold(string(b[pos+1:pos+3]), "a=") {
			from := pos + 3
			to := from
			for pos = from; pos < len(b); pos++ {
				if b[pos] == ',' || b[pos] == 1 {
					to = pos
					break
				}
			}
			if to > from {
				named, a = string(b[from:to]), ""
				if utf8.Valid(b[from:to]) && strings.Contains(named, "@") {
					a = named
				}
			}
			continue
		}
		sep := ch == 1
		if sep || pos == eof {
			if start+12 <= len(b) && strings.EqualFold(string(b[start:start+12]), "auth=Bearer ") {
				end := len(b)
				if sep {
					end = pos
				}
				if !utf8.Valid(b[start+12 : end]) {
					return "", "", "", false
				}
				token = string(b[start+12 : end])
				if a == "" {
					a = jwtUser(token)
				}
				return token, a, named, true
			}
			start = pos + 1
		}
	}
	return "", "", "", false
}

// jwtUser is the first of a JWT's claims email, preferred_username, upn,
// unique_name and sub that holds "@" ("" when none, or not a JWT),
// as Stalwart's extract_email_from_jwt reads it.
func jwtUser(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) < 2 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var claims struct {
		Email             *string `json:"email"`
		PreferredUsername *string `json:"preferred_username"`
		UPN               *string `json:"upn"`
		UniqueName        *string `json:"unique_name"`
		Sub               *string `json:"sub"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	for _, c := range []*string{claims.Email, claims.PreferredUsername, claims.UPN, claims.UniqueName, claims.Sub} {
		if c != nil && strings.Contains(*c, "@") {
			return *c
		}
	}
	return ""
}

// cannotGoOn ends the play of a connection at a raw step that leaves the
// server waiting for something a one-line raw step cannot send (a
// message, a SASL response): the step fails saying why, and the steps up
// to the next connect are not sent.
func (p *player) cannotGoOn(st *StepResult, why string) {
	st.Failures = append(st.Failures, fmt.Sprintf("%s: %s", stepName(st), why))
	p.closed = true
	p.closedBy = "hooksim stopped playing it at " + stepName(st) + ": " + why
}

// ParseBdat reads the arguments of a BDAT line (rest: the text after the
// verb's separator, without the line ending) as smtp-proto's parser does
// (request/parser.rs: BDAT, size, hashed_value): spaces before the size
// skipped; its digits, saturating at 2^64-1, which is refused; then the
// end of the line, or a space, tab or other ASCII white space and a word:
// LAST, or none (the chunk is not the last); anything after that word is
// ignored, and a CR anywhere is skipped. ok is false for anything else
// (ReplyBdatSyntax). A word is a run of letters, digits and '-', of which
// smtp-proto keeps 8.
func ParseBdat(rest string) (size uint64, last, ok bool) {
	const none = ^uint64(0) // usize::MAX: no digits yet, or too big
	value, i := none, 0
	stop := byte('\n')
size:
	for ; i < len(rest); i++ {
		switch ch := rest[i]; {
		case ch >= '0' && ch <= '9':
			d := uint64(ch - '0')
			if value == none {
				value = d
			} else if value > (none-1-d)/10 {
				value = none // saturated
			} else {
				value = value*10 + d
			}
		case ch == '\r':
		case ch == ' ' && value == none:
		default:
			stop, i = ch, i+1
			break size
		}
	}
	if value == none || !isASCIISpace(stop) {
		return 0, false, false
	}
	if stop == '\n' {
		return value, false, true
	}
	var word []byte
	for ; i < len(rest); i++ {
		ch := rest[i]
		switch {
		case (ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-') && len(word) < 8:
			word = append(word, ch)
		case ch >= 'a' && ch <= 'z' && len(word) < 8:
			word = append(word, ch-'a'+'A')
		case ch == '\r':
		case ch == ' ' && len(word) == 0:
		default:
			i = len(rest)
		}
	}
	switch string(word) {
	case "LAST":
		return value, true, true
	case "":
		return value, false, true
	}
	return 0, false, false
}

// isASCIISpace is Rust's u8::is_ascii_whitespace: space, tab, LF, form
// feed, CR.
func isASCIISpace(ch byte) bool {
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\f' || ch == '\r'
}

// bdatLine plays one BDAT command, its chunk in chunk (the bytes the
// client sent after the line; nil when a script's raw step could not
// send them). As in Stalwart (session.rs:389-456), the chunks of a
// message add up across commands (player.bdatBuf) until the LAST one
// queues it; a refused chunk is read and dropped and empties what came
// before (MAIL and RCPT stay); a chunk that would make the message
// reach maxMessageSize is refused 552. A live server sends chunks of
// over maxMessageSize bytes as an empty chunk: they are refused on their
// size alone.
func (p *player) bdatLine(ctx context.Context, st *StepResult, rest string, chunk *sessions.Message) *TransactionResult {
	size, last, ok := ParseBdat(rest)
	if !ok {
		st.Replies = append(st.Replies, ReplyBdatSyntax)
		return nil
	}
	if size > 0 && chunk == nil {
		p.cannotGoOn(st, fmt.Sprintf("after BDAT %d the server reads %d bytes of data, which a raw step cannot send; use a bdat step", size, size))
		return nil
	}
	if r := p.canSendData(); r != "" {
		st.Replies, p.bdatBuf = append(st.Replies, r), nil
		return nil
	}
	if size >= uint64(p.maxMessageSize()) || int64(size)+int64(len(p.bdatBuf)) >= p.maxMessageSize() {
		st.Replies, p.bdatBuf = append(st.Replies, ReplyTooBig), nil
		return nil
	}
	if chunk != nil {
		p.bdatBuf = append(p.bdatBuf, chunk.Raw...)
		st.Message = fmt.Sprintf("<chunk, %d bytes, from %s>", len(chunk.Raw), chunk.Source)
	}
	if !last {
		st.Replies = append(st.Replies, ReplyChunkOK)
		return nil
	}
	buf := p.bdatBuf
	defer p.resetTx()
	return p.queue(ctx, st, buf)
}
