package biz

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/sheet"
)

// RowError and ImportError are the shared row report of imports (pkg/sheet).
type (
	RowError    = sheet.RowError
	ImportError = sheet.ImportError
)

// ImportResult says what an import did (or would do, for a dry run).
type ImportResult struct {
	Rows, Created int
	DryRun        bool
}

var optionLetters = []string{"A", "B", "C", "D", "E", "F"}

var questionColumns = func() []sheet.Column {
	cols := []sheet.Column{
		{Key: "type", Header: "题型", Aliases: []string{"type"}, Required: true, Example: "单选", Note: "单选、多选、判断、填空 或 简答"},
		{Key: "stem", Header: "题干", Aliases: []string{"stem"}, Required: true, Example: "中国共产党成立于哪一年？", Note: "可含简单 HTML"},
	}
	examples := []string{"1919年", "1921年", "1927年", "1949年", "", ""}
	for i, l := range optionLetters {
		cols = append(cols, sheet.Column{Key: "option_" + l, Header: "选项" + l, Example: examples[i], Note: "选择题的选项，依次填写，至少两个"})
	}
	return append(cols,
		sheet.Column{Key: "answer", Header: "答案", Aliases: []string{"answer"}, Example: "B",
			Note: "单选填一个字母；多选填多个字母如 AC；判断填 对 或 错；填空各空用 ; 分隔、同一空的多个答案用 | 分隔，如 1921;中国共产党|中共；简答填参考答案"},
		sheet.Column{Key: "explanation", Header: "解析", Example: "1921年7月中共一大召开。"},
		sheet.Column{Key: "difficulty", Header: "难度", Example: "2", Note: "1（易）到 5（难），留空为 3"},
		sheet.Column{Key: "tags", Header: "标签", Example: "党史,建党", Note: "多个用逗号分隔"},
		sheet.Column{Key: "points", Header: "分值", Example: "2", Note: "默认分值，留空为 1"},
	)
}()

// QuestionTemplate is the downloadable template for question imports.
// Its example rows show one question of each type, so a trainer sees how every answer column is
// written; the template imports as it is.
func QuestionTemplate() sheet.Template {
	t := sheet.TemplateOf("题目导入", questionColumns)
	for _, ex := range []map[string]string{
		{"type": "多选", "stem": "下列属于“四个意识”的有？", "option_A": "政治意识", "option_B": "大局意识", "option_C": "市场意识", "option_D": "核心意识",
			"answer": "ABD", "explanation": "四个意识：政治意识、大局意识、核心意识、看齐意识。", "difficulty": "3", "tags": "党的建设", "points": "2"},
		{"type": "判断", "stem": "党的最高领导机关是党的全国代表大会和它所产生的中央委员会。", "answer": "对", "difficulty": "1", "tags": "党章", "points": "1"},
		{"type": "填空", "stem": "____年，____成立。", "answer": "1921;中国共产党|中共", "difficulty": "2", "tags": "党史", "points": "2"},
		{"type": "简答", "stem": "谈谈你对党史学习教育的体会。", "answer": "学史明理、学史增信、学史崇德、学史力行。", "difficulty": "4", "points": "10"},
	} {
		t.MoreExamples = append(t.MoreExamples, sheet.ExampleRow(questionColumns, ex))
	}
	return t
}

var typeNames = map[string]QType{
	"单选": Single, "单选题": Single, "single": Single, "多选": Multiple, "多选题": Multiple, "multiple": Multiple,
	"判断": TrueFalse, "判断题": TrueFalse, "true_false": TrueFalse, "填空": FillBlank, "填空题": FillBlank, "fill_blank": FillBlank,
	"简答": Essay, "简答题": Essay, "论述": Essay, "essay": Essay,
}

var typeLabels = map[QType]string{Single: "单选", Multiple: "多选", TrueFalse: "判断", FillBlank: "填空", Essay: "简答"}

// fieldColumns maps validateQuestion's field names to template columns for the row report.
var fieldColumns = map[string]string{
	"stem_html": "stem", "options": "option_A", "answer_keys": "answer", "blanks": "answer", "default_points": "points", "type": "type",
}

// questionFromRow parses one row into a question; problems are added to ie.
func questionFromRow(ci sheet.Columns, row []string, n int, bankID int64, ie *ImportError) *Question {
	before := ie.Total
	q := &Question{BankID: bankID, StemHTML: ci.Get(row, "stem"), Explanation: ci.Get(row, "explanation"), Points: 1, Difficulty: 3}
	typ, ok := typeNames[strings.ToLower(ci.Get(row, "type"))]
	if !ok {
		ie.Add(n, ci.Header("type"), "应为 单选、多选、判断、填空 或 简答")
	}
	q.Type = typ
	answer := ci.Get(row, "answer")
	switch typ {
	case Single, Multiple:
		for _, l := range optionLetters {
			if v := ci.Get(row, "option_"+l); v != "" {
				q.Options = append(q.Options, Option{Key: l, HTML: v})
			}
		}
		for _, r := range strings.ToUpper(strings.NewReplacer(",", "", "，", "", "、", "", " ", "").Replace(answer)) {
			q.AnswerKeys = append(q.AnswerKeys, string(r))
		}
	case TrueFalse:
		switch strings.ToLower(answer) {
		case "对", "正确", "是", "true", "t", "√":
			q.AnswerKeys = []string{"true"}
		case "错", "错误", "否", "false", "f", "×":
			q.AnswerKeys = []string{"false"}
		default:
			ie.Add(n, ci.Header("answer"), "判断题答案应为 对 或 错")
		}
	case FillBlank:
		for _, blank := range strings.FieldsFunc(answer, func(r rune) bool { return r == ';' || r == '；' }) {
			q.Blanks = append(q.Blanks, strings.FieldsFunc(blank, func(r rune) bool { return r == '|' || r == '｜' }))
		}
	case Essay:
		q.Reference = answer
	}
	if d := ci.Get(row, "difficulty"); d != "" {
		v, err := strconv.Atoi(d)
		if err != nil || v < 1 || v > 5 {
			ie.Add(n, ci.Header("difficulty"), "难度应为 1 到 5 的整数")
		}
		q.Difficulty = v
	}
	if p := ci.Get(row, "points"); p != "" {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || v <= 0 || v > 100 {
			ie.Add(n, ci.Header("points"), "分值应为 0 到 100 之间的数")
		}
		q.Points = v
	}
	for _, t := range strings.FieldsFunc(ci.Get(row, "tags"), func(r rune) bool { return strings.ContainsRune(",，、;；", r) }) {
		if t = strings.TrimSpace(t); t != "" {
			q.Tags = append(q.Tags, t)
		}
	}
	if ie.Total > before {
		return nil
	}
	return q
}

// ImportQuestions validates every row of a question file and, if all are valid, adds the
// questions to the bank in one transaction. Otherwise nothing is written and an *ImportError
// lists every problem by row and column.
func (uc *AuthoringUsecase) ImportQuestions(ctx context.Context, bankID int64, t *sheet.Table, dryRun bool) (*ImportResult, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	bank, err := uc.managedBank(ctx, p, bankID)
	if err != nil {
		return nil, err
	}
	ie := &ImportError{}
	ci, missing := sheet.Resolve(t.Header, questionColumns)
	for _, h := range missing {
		ie.Add(1, h, "缺少必填列“%s”", h)
	}
	if ie.Total > 0 {
		return nil, ie
	}
	var qs []*Question
	for i, row := range t.Rows {
		n := i + 2
		q := questionFromRow(ci, row, n, bankID, ie)
		if q == nil {
			continue
		}
		if err := uc.validateQuestion(q); err != nil {
			if fe, ok := errors.AsType[*FieldError](err); ok {
				col := fieldColumns[fe.Field]
				if col == "" {
					col = "type"
				}
				ie.Add(n, ci.Header(col), "%s", fe.Reason)
				continue
			}
			return nil, err
		}
		qs = append(qs, q)
	}
	if ie.Total > 0 {
		return nil, ie
	}
	res := &ImportResult{Rows: len(t.Rows), DryRun: dryRun}
	if dryRun {
		return res, nil
	}
	err = uc.tx.InTx(ctx, func(ctx context.Context) error {
		for _, q := range qs {
			created, err := uc.banks.CreateQuestion(ctx, q)
			if err != nil {
				return err
			}
			if err := uc.questionChanged(ctx, created, bank); err != nil {
				return err
			}
			res.Created++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// ExportQuestions lays out a managed bank as a workbook in the import template's layout, so an
// export can be edited and imported into another bank. The service layer renders it (pkg/sheet/xlsx
// writes the .xlsx).
func (uc *AuthoringUsecase) ExportQuestions(ctx context.Context, bankID int64) (*sheet.Workbook, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	b, err := uc.managedBank(ctx, p, bankID)
	if err != nil {
		return nil, err
	}
	qs, err := uc.banks.ListQuestions(ctx, bankID)
	if err != nil {
		return nil, err
	}
	header := make([]any, len(questionColumns))
	for i, c := range questionColumns {
		header[i] = c.Header
	}
	rows := [][]any{header}
	for _, q := range qs {
		rows = append(rows, exportRow(q))
	}
	return &sheet.Workbook{
		FileName: fmt.Sprintf("bank-%d-%s.xlsx", b.ID, b.Name),
		Sheets:   []sheet.Sheet{{Name: "题目", Rows: rows}},
	}, nil
}

func exportRow(q *Question) []any {
	row := []any{typeLabels[q.Type], q.StemHTML}
	for i := range optionLetters {
		if q.Type != TrueFalse && i < len(q.Options) {
			row = append(row, q.Options[i].HTML)
		} else {
			row = append(row, "")
		}
	}
	answer := ""
	switch q.Type {
	case Single, Multiple:
		answer = strings.Join(q.AnswerKeys, "")
	case TrueFalse:
		answer = map[string]string{"true": "对", "false": "错"}[q.AnswerKeys[0]]
	case FillBlank:
		parts := make([]string, len(q.Blanks))
		for i, b := range q.Blanks {
			parts[i] = strings.Join(b, "|")
		}
		answer = strings.Join(parts, ";")
	case Essay:
		answer = q.Reference
	}
	return append(row, answer, q.Explanation, strconv.Itoa(q.Difficulty), strings.Join(q.Tags, ","), strconv.FormatFloat(q.Points, 'f', -1, 64))
}
