// Package htmlsafe holds the HTML policies for what users write: question stems, options and
// explanations in quiz, article lessons in course. The rules are domain rules (what may appear
// in a page every member opens); the policies themselves are bluemonday's, kept here so the biz
// packages stay free of the library.
package htmlsafe

import (
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
)

// Policies are safe for concurrent use once built, so each is built once.
var (
	ugc     = bluemonday.UGCPolicy()
	article = func() *bluemonday.Policy {
		p := bluemonday.UGCPolicy()
		p.AddTargetBlankToFullyQualifiedLinks(true)
		return p
	}()
)

// UGC returns html reduced to user-generated-content formatting: text styles, lists, tables,
// images and links, nothing that runs (scripts, event handlers, javascript: URLs, iframes,
// styles). Quiz question text goes through it.
func UGC(html string) string { return ugc.Sanitize(html) }

// Article is UGC for course articles, with links to other sites opening in a new tab (and
// rel="noopener" so the opened page cannot reach back).
func Article(html string) string { return article.Sanitize(html) }

// Text returns the readable text of an HTML fragment: tags dropped, entities decoded,
// whitespace collapsed to single spaces (a block element's edges count as whitespace, inline
// ones such as <b> do not), and nothing of script, style or template content. It is for
// excerpts and search documents, which are shown or indexed as plain text, never as HTML.
func Text(fragment string) string {
	z := html.NewTokenizer(strings.NewReader(fragment))
	var b strings.Builder
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return strings.Join(strings.Fields(b.String()), " ")
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			if opaque[tag] {
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
			}
			if !inline[tag] {
				b.WriteByte(' ')
			}
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		}
	}
}

// opaque elements hold no readable text.
var opaque = map[string]bool{"script": true, "style": true, "template": true, "noscript": true, "iframe": true, "object": true, "svg": true}

// inline elements continue the text around them.
var inline = map[string]bool{"a": true, "abbr": true, "b": true, "bdi": true, "bdo": true, "cite": true, "code": true,
	"del": true, "dfn": true, "em": true, "i": true, "ins": true, "kbd": true, "mark": true, "q": true, "s": true,
	"samp": true, "small": true, "span": true, "strong": true, "sub": true, "sup": true, "time": true, "u": true, "var": true}

// Excerpt returns Text(fragment) cut to at most n characters (runes), with "…" when cut.
func Excerpt(fragment string, n int) string {
	t := []rune(Text(fragment))
	if len(t) <= n {
		return string(t)
	}
	return strings.TrimSpace(string(t[:n-1])) + "…"
}
