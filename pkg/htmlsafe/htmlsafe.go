// Package htmlsafe holds the HTML policies for what users write: question stems, options and
// explanations in quiz, article lessons in course. The rules are domain rules (what may appear
// in a page every member opens); the policies themselves are bluemonday's, kept here so the biz
// packages stay free of the library.
package htmlsafe

import "github.com/microcosm-cc/bluemonday"

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
