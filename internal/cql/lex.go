package cql

import (
	"fmt"
	"strings"
)

// tokenKind classifies a token.
type tokenKind int

const (
	tokEOF    tokenKind = iota
	tokWord             // a bare word: subject, keyword or value
	tokString           // a quoted value, without its quotes
	tokSymbol           // an operator or punctuation: == != > >= < <= =~ !~ ! && || ( ) [ ] ,
)

// token is one lexical element of an expression.
type token struct {
	kind tokenKind
	text string
	pos  int // byte offset of the token in the expression
}

// describe names the token for an error message.
func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of expression"
	case tokString:
		return fmt.Sprintf("quoted value %q", t.text)
	default:
		return fmt.Sprintf("%q", t.text)
	}
}

// is reports whether the token is the given symbol or, ignoring case, the
// given bare keyword.
func (t token) is(s string) bool {
	switch t.kind {
	case tokSymbol:
		return t.text == s
	case tokWord:
		return strings.EqualFold(t.text, s)
	}
	return false
}

// wordBreak lists the bytes that end a bare word besides white space.
const wordBreak = "()[],'\"=!<>~&|"

// lex splits an expression into tokens, ending with a tokEOF token.
func lex(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isSpace(c):
			i++
		case c == '\'' || c == '"':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				return nil, &SyntaxError{Offset: i, Msg: "unterminated quoted value"}
			}
			toks = append(toks, token{kind: tokString, text: s[i+1 : i+1+end], pos: i})
			i += end + 2
		case strings.IndexByte(wordBreak, c) >= 0:
			n, err := symbolLen(s, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tokSymbol, text: s[i : i+n], pos: i})
			i += n
		default:
			j := i
			for j < len(s) && !isSpace(s[j]) && strings.IndexByte(wordBreak, s[j]) < 0 {
				j++
			}
			toks = append(toks, token{kind: tokWord, text: s[i:j], pos: i})
			i = j
		}
	}
	return append(toks, token{kind: tokEOF, pos: len(s)}), nil
}

// symbolLen returns the length of the symbol that starts at s[i].
func symbolLen(s string, i int) (int, error) {
	next := byte(0)
	if i+1 < len(s) {
		next = s[i+1]
	}
	switch s[i] {
	case '(', ')', '[', ']', ',':
		return 1, nil
	case '=':
		if next == '=' || next == '~' {
			return 2, nil
		}
	case '!':
		if next == '=' || next == '~' {
			return 2, nil
		}
		return 1, nil
	case '<', '>':
		if next == '=' {
			return 2, nil
		}
		return 1, nil
	case '&', '|':
		if next == s[i] {
			return 2, nil
		}
	}
	return 0, &SyntaxError{Offset: i, Msg: fmt.Sprintf("unexpected character %q", s[i])}
}

// isSpace reports whether c is ASCII white space.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}
