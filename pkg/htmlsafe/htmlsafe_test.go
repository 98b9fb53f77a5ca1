package htmlsafe_test

import (
	"testing"

	"github.com/vanguard/vanguard/pkg/htmlsafe"
)

func TestPolicies(t *testing.T) {
	tests := []struct {
		name, in     string
		ugc, article string
	}{
		{"formatting kept", "<p>党的<strong>根本宗旨</strong>是？</p><ul><li>甲</li></ul>",
			"<p>党的<strong>根本宗旨</strong>是？</p><ul><li>甲</li></ul>", "<p>党的<strong>根本宗旨</strong>是？</p><ul><li>甲</li></ul>"},
		{"script removed", "<p>题</p><script>alert(1)</script>", "<p>题</p>", "<p>题</p>"},
		{"event handler removed", `<img src="https://x.test/a.png" onerror="alert(1)">`,
			`<img src="https://x.test/a.png">`, `<img src="https://x.test/a.png">`},
		{"javascript URL removed", `<a href="javascript:alert(1)">点我</a>`, "点我", "点我"},
		{"iframe and style removed", `<iframe src="https://x.test"></iframe><p style="color:red">字</p>`, "<p>字</p>", "<p>字</p>"},
		{"external link", `<a href="https://www.12371.cn/">共产党员网</a>`,
			`<a href="https://www.12371.cn/" rel="nofollow">共产党员网</a>`,
			`<a href="https://www.12371.cn/" rel="nofollow noopener" target="_blank">共产党员网</a>`},
		{"plain text untouched", "1921年", "1921年", "1921年"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := htmlsafe.UGC(tt.in); got != tt.ugc {
				t.Errorf("UGC(%q) = %q, want %q", tt.in, got, tt.ugc)
			}
			if got := htmlsafe.Article(tt.in); got != tt.article {
				t.Errorf("Article(%q) = %q, want %q", tt.in, got, tt.article)
			}
		})
	}
}
