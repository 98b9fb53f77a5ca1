package data

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/vanguard/vanguard/app/search/internal/biz"
)

// filterToken is a token of Meilisearch's filter expressions.
type filterToken struct {
	kind string // "string" (quoted, unescaped), "word", "keyword" or "op"
	text string
}

func (t filterToken) String() string { return fmt.Sprintf("%s(%q)", t.kind, t.text) }

// filterKeywords are the reserved words of the grammar.
var filterKeywords = []string{"AND", "OR", "IN", "NOT", "TO", "EXISTS", "IS", "NULL", "EMPTY", "CONTAINS", "STARTS", "WITH"}

// lexFilter tokenises a filter expression following Meilisearch's grammar (filter-parser, the
// BNF at the top of its lib.rs, and value.rs):
//
//	value        = WS* ( word | singleQuoted | doubleQuoted ) WS+
//	word         = (alphanumeric | _ | - | .)+, a keyword when reserved (AND, OR, IN, NOT, …)
//	doubleQuoted = "\"" … "\"", a backslash taking the next character along
//	operators    = = != > >= < <= ( ) [ ] ,
//
// A quoted value is unescaped as the server does it: first \" becomes " (\' in single quotes),
// then the remaining escapes (\\ → \, \n, \t, …) are resolved; an escape the server would reject
// is an error here.
func lexFilter(s string) ([]filterToken, error) {
	var out []filterToken
	// Rust's char::is_alphanumeric, near enough: Unicode letters and numbers.
	isWord := func(r rune) bool {
		return r == '_' || r == '-' || r == '.' || unicode.IsLetter(r) || unicode.IsNumber(r)
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"' || c == '\'':
			val, next, err := lexQuoted(s, i)
			if err != nil {
				return nil, err
			}
			out = append(out, filterToken{"string", val})
			i = next
		case strings.HasPrefix(s[i:], "!=") || strings.HasPrefix(s[i:], ">=") || strings.HasPrefix(s[i:], "<="):
			out = append(out, filterToken{"op", s[i : i+2]})
			i += 2
		case strings.IndexByte("=<>()[],", c) >= 0:
			out = append(out, filterToken{"op", s[i : i+1]})
			i++
		default:
			j := i
			for j < len(s) {
				r, size := utf8.DecodeRuneInString(s[j:])
				if !isWord(r) {
					break
				}
				j += size
			}
			if j == i {
				return nil, fmt.Errorf("unexpected %q at %d", s[i:], i)
			}
			kind := "word"
			if slices.Contains(filterKeywords, s[i:j]) {
				kind = "keyword"
			}
			out = append(out, filterToken{kind, s[i:j]})
			i = j
		}
	}
	return out, nil
}

// lexQuoted reads the quoted value at s[i] (a quote) and returns it unescaped, and where it ends.
func lexQuoted(s string, i int) (string, int, error) {
	quote := s[i]
	escapedQuote := false
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case quote:
			raw := s[i+1 : j]
			if escapedQuote {
				raw = strings.ReplaceAll(raw, `\`+string(quote), string(quote))
			}
			val, err := unescapeFilter(raw)
			return val, j + 1, err
		case '\\':
			if j+1 == len(s) {
				return "", 0, fmt.Errorf("a backslash ends %q", s)
			}
			escapedQuote = escapedQuote || s[j+1] == quote
			j++
		}
	}
	return "", 0, fmt.Errorf("unterminated string in %q", s)
}

// unescapeFilter resolves the escapes that remain in a quoted value.
func unescapeFilter(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 == len(s) {
			return "", fmt.Errorf("an incomplete escape ends %q", s)
		}
		i++
		switch s[i] {
		case '\\', '"', '\'', '/':
			b.WriteByte(s[i])
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		default:
			return "", fmt.Errorf("an escape the adapter never writes, \\%c, in %q", s[i], s)
		}
	}
	return b.String(), nil
}

// wantFilterTokens is the structure meiliFilter should give q, written out token by token.
func wantFilterTokens(q biz.Query) []filterToken {
	op := func(s string) filterToken { return filterToken{"op", s} }
	kw := func(s string) filterToken { return filterToken{"keyword", s} }
	word := func(s string) filterToken { return filterToken{"word", s} }
	str := func(s string) filterToken { return filterToken{"string", s} }
	list := func(vs []string) []filterToken {
		out := []filterToken{op("[")}
		for i, v := range vs {
			if i > 0 {
				out = append(out, op(","))
			}
			out = append(out, str(v))
		}
		return append(out, op("]"))
	}
	var parts [][]filterToken
	if len(q.Scope.Paths) > 0 {
		p := append([]filterToken{op("("), word("paths"), kw("IN")}, list(q.Scope.Paths)...)
		parts = append(parts, append(p, kw("AND"), word("staff"), op("="), word("false"), op(")")))
	}
	for _, r := range []struct {
		subtrees []string
		reach    string
	}{{q.Scope.Authors, biz.ReachAuthors}, {q.Scope.Managers, biz.ReachManagers}} {
		if len(r.subtrees) > 0 {
			p := append([]filterToken{op("("), word("owner_tree"), kw("IN")}, list(r.subtrees)...)
			parts = append(parts, append(p, kw("AND"), word("reach"), op("="), str(r.reach), op(")")))
		}
	}
	var out []filterToken
	if len(parts) > 1 {
		out = append(out, op("("))
	}
	for i, p := range parts {
		if i > 0 {
			out = append(out, kw("OR"))
		}
		out = append(out, p...)
	}
	if len(parts) > 1 {
		out = append(out, op(")"))
	}
	if len(q.Kinds) > 0 {
		out = append(append(out, kw("AND"), word("kind"), kw("IN")), list(q.Kinds)...)
	}
	if q.Topic != "" {
		out = append(out, kw("AND"), word("topic"), op("="), str(q.Topic))
	}
	for _, t := range q.Tags {
		out = append(out, kw("AND"), word("tags"), op("="), str(t))
	}
	return out
}

// FuzzMeiliFilter: whatever the paths, kinds, topic and tags hold, the filter tokenises into
// exactly the intended structure: each value comes back unchanged as one string token, and no
// operator, keyword or word appears that the structure does not have.
func FuzzMeiliFilter(f *testing.F) {
	for _, s := range []string{
		`"`, `\`, `\"`, `\\"`, `"\`, `" OR staff = true`, `\" OR staff = true OR tags = \"`, `") OR (staff = true`,
		"a\nb", "\r\n", `\n`, `\u{41}`, `'`, `\'`, `[`, `]`, `,`, "党章党规", "发展\"党员\\", "\u2028", "\xff\xfe", "", " ", "AND", "NOT",
		`_geoRadius(1, 2, 3)`,
	} {
		f.Add(s, s, s, s, true)
	}
	f.Add("理论学习", "二十大", "/1/4/", "lesson", false)
	f.Fuzz(func(t *testing.T, topic, tag, path, kind string, authors bool) {
		q := biz.Query{
			Kinds: []string{kind, biz.KindNews},
			Topic: topic,
			Tags:  []string{tag, topic},
			Scope: biz.Scope{Paths: []string{"/1/", path}, Managers: []string{path}},
		}
		if authors {
			q.Scope.Authors = []string{biz.AllOrgs, path}
		}
		for _, q := range []biz.Query{q, {Topic: tag, Tags: []string{path}, Scope: biz.Scope{Paths: []string{topic}}}} {
			filter := meiliFilter(q)
			got, err := lexFilter(filter)
			if err != nil {
				t.Fatalf("filter %q: %v", filter, err)
			}
			if want := wantFilterTokens(q); !slices.Equal(got, want) {
				t.Fatalf("filter %q\n got %v\nwant %v", filter, got, want)
			}
		}
	})
}

var wellFormedID = regexp.MustCompile(`^[A-Za-z0-9_]+:[A-Za-z0-9_-]+$`)

// FuzzMeiliID: an id maps to a Meilisearch id exactly when it is well formed, and maps back.
func FuzzMeiliID(f *testing.F) {
	for _, s := range []string{"lesson:42", "news:a-b", "a-b:c", "lesson:", ":1", "x:y:z", "课程:1", "lesson:1 ", "lesson-42"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		key, err := meiliID(id)
		if ok := wellFormedID.MatchString(id) && len(id) <= meiliMaxKeyBytes; ok != (err == nil) {
			t.Fatalf("meiliID(%q) = %q, %v", id, key, err)
		}
		if err != nil {
			return
		}
		if !meiliKeyChars(key, true) {
			t.Fatalf("meiliID(%q) = %q: not a Meilisearch id", id, key)
		}
		if back, err := bizID(key); err != nil || back != id {
			t.Fatalf("bizID(meiliID(%q)) = %q, %v", id, back, err)
		}
	})
}
