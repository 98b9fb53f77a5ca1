package biz

import (
	"context"
	"fmt"

	"github.com/vanguard/vanguard/pkg/sheet"
)

// ExportStats lays out an exam's statistics as a workbook for its managers: a summary sheet, the
// score distribution, pass rates by org, per-question statistics and every attempt. The service
// layer renders it (pkg/sheet/xlsx writes the .xlsx).
func (uc *StatsUsecase) ExportStats(ctx context.Context, examID int64) (*sheet.Workbook, error) {
	st, e, attempts, err := uc.examStats(ctx, examID)
	if err != nil {
		return nil, err
	}
	summary := sheet.Sheet{Name: "概况", Rows: [][]any{
		{"考试", e.Title}, {"参考人数", st.Participants}, {"作答次数", st.Attempts}, {"已评分", st.Graded},
		{"平均分", st.MeanScore}, {"满分", st.MaxScore}, {"及格分", e.PassMark}, {"及格率", st.PassRate},
	}}
	distribution := sheet.Sheet{Name: "分数分布", Rows: [][]any{{"得分率区间", "人数"}}}
	for _, b := range st.Distribution {
		hi := b.FromPercent + 10
		distribution.Rows = append(distribution.Rows, []any{fmt.Sprintf("%d%%–%d%%", b.FromPercent, hi), b.Count})
	}
	byOrg := sheet.Sheet{Name: "各组织及格率", Rows: [][]any{{"组织路径", "参考人数", "及格人数", "及格率"}}}
	for _, o := range st.ByOrg {
		byOrg.Rows = append(byOrg.Rows, []any{o.OrgPath, o.Participants, o.Passed, o.PassRate})
	}
	questions := sheet.Sheet{Name: "试题分析", Rows: [][]any{{"题目ID", "题干", "作答人数", "难度系数（得分率）", "区分度", "最常见错误选项", "次数"}}}
	for _, q := range st.Questions {
		questions.Rows = append(questions.Rows, []any{q.QuestionID, q.StemHTML, q.Answered, q.Facility, q.Discrimination, q.TopWrongOption, q.TopWrongCount})
	}
	answers := sheet.Sheet{Name: "答卷", Rows: [][]any{{"答卷ID", "用户ID", "第几次", "状态", "得分", "满分", "切屏次数", "待阅卷"}}}
	for _, a := range attempts {
		score := any("")
		if a.Score != nil {
			score = *a.Score
		}
		answers.Rows = append(answers.Rows, []any{a.ID, a.UserID, a.Number, a.Status, score, a.MaxScore, a.FocusLosses, a.NeedsReview()})
	}
	return &sheet.Workbook{
		FileName: fmt.Sprintf("exam-%d-stats.xlsx", examID),
		Sheets:   []sheet.Sheet{summary, distribution, byOrg, questions, answers},
	}, nil
}
