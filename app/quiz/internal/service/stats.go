package service

// Exam statistics, their spreadsheet, and regrades with their audit trail.

import (
	"context"

	v1 "github.com/vanguard/vanguard/api/quiz/v1"
	"github.com/vanguard/vanguard/app/quiz/internal/biz"
)

// GetExamStats implements v1.QuizServer.
func (s *QuizService) GetExamStats(ctx context.Context, req *v1.IdRequest) (*v1.ExamStats, error) {
	st, err := s.stats.ExamStats(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.ExamStats{ExamId: st.ExamID, Participants: int32(st.Participants), Attempts: int32(st.Attempts), Graded: int32(st.Graded),
		MeanScore: st.MeanScore, MaxScore: st.MaxScore, PassRate: st.PassRate}
	for _, b := range st.Distribution {
		out.Distribution = append(out.Distribution, &v1.ScoreBucket{FromPercent: int32(b.FromPercent), Count: int32(b.Count)})
	}
	paths := make([]string, len(st.ByOrg))
	for i, o := range st.ByOrg {
		paths[i] = o.OrgPath
	}
	names := s.names(ctx, nil, paths)
	for _, o := range st.ByOrg {
		out.ByOrg = append(out.ByOrg, &v1.OrgPassRate{OrgPath: o.OrgPath, Participants: int32(o.Participants), Passed: int32(o.Passed),
			PassRate: o.PassRate, OrgName: names.Orgs[biz.OrgIDOfPath(o.OrgPath)]})
	}
	for _, q := range st.Questions {
		out.Questions = append(out.Questions, &v1.QuestionStat{QuestionId: q.QuestionID, StemHtml: q.StemHTML, Answered: int32(q.Answered),
			Facility: q.Facility, Discrimination: q.Discrimination, TopWrongOption: q.TopWrongOption, TopWrongCount: int32(q.TopWrongCount)})
	}
	return out, nil
}

// ExportExamStats implements v1.QuizServer.
func (s *QuizService) ExportExamStats(ctx context.Context, req *v1.IdRequest) (*v1.FileReply, error) {
	book, err := s.stats.ExportStats(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	return fileReply(book)
}

// RegradeExam implements v1.QuizServer.
func (s *QuizService) RegradeExam(ctx context.Context, req *v1.RegradeExamRequest) (*v1.RegradeExamReply, error) {
	res, err := s.regrade.Regrade(ctx, req.Id, req.Reason)
	if err != nil {
		return nil, toAPIError(err)
	}
	return &v1.RegradeExamReply{Checked: int32(res.Checked), Changed: int32(res.Changed)}, nil
}

// ListRegrades implements v1.QuizServer.
func (s *QuizService) ListRegrades(ctx context.Context, req *v1.IdRequest) (*v1.ListRegradesReply, error) {
	logs, err := s.regrade.Regrades(ctx, req.Id)
	if err != nil {
		return nil, toAPIError(err)
	}
	out := &v1.ListRegradesReply{}
	for _, l := range logs {
		out.Regrades = append(out.Regrades, &v1.Regrade{ActorId: l.ActorID, ActorName: l.ActorName, Reason: l.Reason,
			Checked: int32(l.Checked), Changed: int32(l.Changed), CreatedAt: ts(l.CreatedAt)})
	}
	return out, nil
}
