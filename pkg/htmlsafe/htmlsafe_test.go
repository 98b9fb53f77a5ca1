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

func TestText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<p>党的<strong>根本宗旨</strong>是</p><p>为人民服务</p>", "党的根本宗旨是 为人民服务"},
		{"<p>A &amp; B &lt;tag&gt;</p>", "A & B <tag>"},
		{"<p>一</p><script>alert('x')</script><style>p{}</style><p>二</p>", "一 二"},
		{"  多个\n\t空白  <br>换行 ", "多个 空白 换行"},
		{"", ""},
		{"<ul><li>甲</li><li>乙</li></ul>", "甲 乙"},
	}
	for _, tt := range tests {
		if got := htmlsafe.Text(tt.in); got != tt.want {
			t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := htmlsafe.Excerpt("<p>一二三四五六</p>", 4); got != "一二三…" {
		t.Errorf("Excerpt cut = %q", got)
	}
	if got := htmlsafe.Excerpt("<p>一二三</p>", 3); got != "一二三" {
		t.Errorf("Excerpt whole = %q", got)
	}
}
