package service

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"strconv"
	"time"

	"github.com/vanguard/vanguard/app/growth/internal/biz"
)

//go:embed templates/file.html
var templates embed.FS

var china = func() *time.Location {
	if l, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return l
	}
	return time.FixedZone("CST", 8*3600)
}()

var page = template.Must(template.New("file.html").Funcs(template.FuncMap{
	"hours": func(s int64) string { return strconv.FormatFloat(float64(s)/3600, 'f', 1, 64) + " 学时" },
	"score": func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) },
	"day":   func(t time.Time) string { return t.In(china).Format("2006年01月02日") },
	"decision": func(d string) string {
		if d == biz.StatusApproved {
			return "审核通过"
		}
		return "退回"
	},
}).ParseFS(templates, "templates/file.html"))

var statusNames = map[string]string{biz.StatusPending: "待审核", biz.StatusApproved: "已审核通过", biz.StatusReturned: "已退回"}

// Print renders a version of a file as a print-ready A4 page in Chinese (the sections of a
// 全程纪实表). Its status line speaks of the version shown: approved only if it is the version
// staff signed off.
func Print(v *biz.FileView) ([]byte, error) {
	status := statusNames[v.File.Status]
	switch {
	case v.Version.No == v.File.Approved:
		status = statusNames[biz.StatusApproved]
	case v.Version.No != v.File.Latest:
		status = "历史版本"
	}
	var b bytes.Buffer
	err := page.Execute(&b, struct {
		C       biz.Content
		V       *biz.Version
		Reviews []*biz.Review
		Status  string
	}{v.Content, v.Version, v.Reviews, status})
	if err != nil {
		return nil, fmt.Errorf("print growth file: %w", err)
	}
	return b.Bytes(), nil
}
