package biz

import (
	"bytes"
	"context"
	"fmt"

	"github.com/xuri/excelize/v2"
)

// ExportStats writes an exam's statistics as an .xlsx workbook for its managers: a summary sheet,
// the score distribution, pass rates by org, per-question statistics and every attempt.
func (uc *Usecase) ExportStats(ctx context.Context, examID int64) (string, []byte, error) {
	st, e, attempts, err := uc.examStats(ctx, examID)
	if err != nil {
		return "", nil, err
	}
	f := excelize.NewFile()
	defer f.Close()
	sheets := []struct {
		name string
		rows [][]any
	}{
		{"概况", [][]any{
			{"考试", e.Title}, {"参考人数", st.Participants}, {"作答次数", st.Attempts}, {"已评分", st.Graded},
			{"平均分", st.MeanScore}, {"满分", st.MaxScore}, {"及格分", e.PassMark}, {"及格率", st.PassRate},
		}},
		{"分数分布", append([][]any{{"得分率区间", "人数"}}, func() (rows [][]any) {
			for _, b := range st.Distribution {
				hi := b.FromPercent + 10
				rows = append(rows, []any{fmt.Sprintf("%d%%–%d%%", b.FromPercent, hi), b.Count})
			}
			return
		}()...)},
		{"各组织及格率", append([][]any{{"组织路径", "参考人数", "及格人数", "及格率"}}, func() (rows [][]any) {
			for _, o := range st.ByOrg {
				rows = append(rows, []any{o.OrgPath, o.Participants, o.Passed, o.PassRate})
			}
			return
		}()...)},
		{"试题分析", append([][]any{{"题目ID", "题干", "作答人数", "难度系数（得分率）", "区分度", "最常见错误选项", "次数"}}, func() (rows [][]any) {
			for _, q := range st.Questions {
				rows = append(rows, []any{q.QuestionID, q.StemHTML, q.Answered, q.Facility, q.Discrimination, q.TopWrongOption, q.TopWrongCount})
			}
			return
		}()...)},
		{"答卷", append([][]any{{"答卷ID", "用户ID", "第几次", "状态", "得分", "满分", "切屏次数", "待阅卷"}}, func() (rows [][]any) {
			for _, a := range attempts {
				score := any("")
				if a.Score != nil {
					score = *a.Score
				}
				rows = append(rows, []any{a.ID, a.UserID, a.Number, a.Status, score, a.MaxScore, a.FocusLosses, a.NeedsReview()})
			}
			return
		}()...)},
	}
	for i, sh := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sh.name); err != nil {
				return "", nil, err
			}
		} else if _, err := f.NewSheet(sh.name); err != nil {
			return "", nil, err
		}
		for r, row := range sh.rows {
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := f.SetSheetRow(sh.name, cell, &row); err != nil {
				return "", nil, err
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return "", nil, err
	}
	return fmt.Sprintf("exam-%d-stats.xlsx", examID), buf.Bytes(), nil
}
