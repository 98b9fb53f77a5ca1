package biz

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func snapSingle() SnapQuestion {
	return SnapQuestion{No: 1, Type: Single, Points: 2, AnswerKeys: []string{"B"},
		Options: []Option{{Key: "A", HTML: "甲"}, {Key: "B", HTML: "乙"}, {Key: "C", HTML: "丙"}}}
}

func snapTrueFalse() SnapQuestion {
	return SnapQuestion{No: 2, Type: TrueFalse, Points: 1, AnswerKeys: []string{"false"},
		Options: []Option{{Key: "true", HTML: "正确"}, {Key: "false", HTML: "错误"}}}
}

func snapMultiple() SnapQuestion {
	return SnapQuestion{No: 3, Type: Multiple, Points: 4, AnswerKeys: []string{"A", "C"},
		Options: []Option{{Key: "A", HTML: "甲"}, {Key: "B", HTML: "乙"}, {Key: "C", HTML: "丙"}, {Key: "D", HTML: "丁"}}}
}

func snapFill() SnapQuestion {
	return SnapQuestion{No: 4, Type: FillBlank, Points: 3,
		Blanks: [][]string{{"ABC123", "一二三"}, {"Hello World"}}}
}

func TestGradeQuestion(t *testing.T) {
	tests := []struct {
		name    string
		q       SnapQuestion
		a       Answer
		partial bool
		want    QScore // No and Max are filled in from q
	}{
		{"single right", snapSingle(), choices("B"), false, QScore{Score: 2, Correct: true}},
		{"single wrong", snapSingle(), choices("A"), false, QScore{}},
		{"single unanswered", snapSingle(), Answer{}, false, QScore{}},
		{"single two picks", snapSingle(), choices("B", "A"), false, QScore{}},
		{"single partial credit does not apply", snapSingle(), choices("A"), true, QScore{}},
		{"true/false right", snapTrueFalse(), choices("false"), false, QScore{Score: 1, Correct: true}},
		{"true/false wrong", snapTrueFalse(), choices("true"), false, QScore{}},
		{"true/false label is case sensitive", snapTrueFalse(), choices("FALSE"), false, QScore{}},

		{"multiple exact", snapMultiple(), choices("A", "C"), false, QScore{Score: 4, Correct: true}},
		{"multiple exact any order", snapMultiple(), choices("C", "A"), false, QScore{Score: 4, Correct: true}},
		{"multiple duplicates ignored", snapMultiple(), choices("A", "C", "A"), false, QScore{Score: 4, Correct: true}},
		{"multiple one of two, all-or-nothing", snapMultiple(), choices("A"), false, QScore{}},
		{"multiple extra pick, all-or-nothing", snapMultiple(), choices("A", "B", "C"), false, QScore{}},
		{"multiple exact with partial credit", snapMultiple(), choices("A", "C"), true, QScore{Score: 4, Correct: true}},
		{"partial: one right pick is half", snapMultiple(), choices("A"), true, QScore{Score: 2}},
		{"partial: duplicate right pick counts once", snapMultiple(), choices("A", "A"), true, QScore{Score: 2}},
		{"partial: right minus wrong is zero", snapMultiple(), choices("A", "B"), true, QScore{}},
		{"partial: both right plus one wrong", snapMultiple(), choices("A", "B", "C"), true, QScore{Score: 2}},
		{"partial: floored at zero", snapMultiple(), choices("B", "D"), true, QScore{}},
		{"partial: all options", snapMultiple(), choices("A", "B", "C", "D"), true, QScore{}},
		{"partial: nothing picked", snapMultiple(), Answer{}, true, QScore{}},

		{"fill exact", snapFill(), choices("ABC123", "Hello World"), false, QScore{Score: 3, Correct: true}},
		{"fill alternative", snapFill(), choices("一二三", "hello world"), false, QScore{Score: 3, Correct: true}},
		{"fill full-width, case and spaces", snapFill(), choices("ａｂｃ１２３", "　HELLO　　 world "), false, QScore{Score: 3, Correct: true}},
		{"fill full-width capitals", snapFill(), choices("ＡＢＣ１２３", "Hello\tWorld"), false, QScore{Score: 3, Correct: true}},
		{"fill inner space matters", snapFill(), choices("ABC 123", "Hello World"), false, QScore{}},
		{"fill one blank wrong", snapFill(), choices("ABC123", "Hello"), false, QScore{}},
		{"fill too few blanks", snapFill(), choices("ABC123"), false, QScore{}},
		{"fill empty", snapFill(), choices("", ""), false, QScore{}},
		{"fill blank of spaces", snapFill(), choices("　", " "), false, QScore{}},
		{"fill unanswered", snapFill(), Answer{}, false, QScore{}},

		{"essay pending", SnapQuestion{No: 5, Type: Essay, Points: 10}, Answer{Text: "很长的回答"}, false, QScore{PendingReview: true}},
		{"essay unanswered still pending", SnapQuestion{No: 5, Type: Essay, Points: 10}, Answer{}, true, QScore{PendingReview: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			want.No, want.Max = tt.q.No, tt.q.Points
			if diff := cmp.Diff(want, gradeQuestion(tt.q, tt.a, tt.partial)); diff != "" {
				t.Errorf("gradeQuestion (-want +got):\n%s", diff)
			}
		})
	}
}

// An empty accepted answer must not make an empty answer right, even if a bad key slipped in.
func TestGradeFillEmptyKeyNeverMatches(t *testing.T) {
	q := SnapQuestion{No: 1, Type: FillBlank, Points: 1, Blanks: [][]string{{"", "　"}}}
	for _, a := range []Answer{choices(""), choices("  "), choices("　")} {
		if s := gradeQuestion(q, a, false); s.Correct || s.Score != 0 {
			t.Errorf("answer %q scored %+v against an empty key", a.Choices, s)
		}
	}
}

// Partial credit with three keys rounds each share to two places.
func TestGradePartialCreditRounding(t *testing.T) {
	q := SnapQuestion{No: 1, Type: Multiple, Points: 1, AnswerKeys: []string{"A", "B", "C"},
		Options: []Option{{Key: "A"}, {Key: "B"}, {Key: "C"}, {Key: "D"}}}
	for picks, want := range map[string]float64{"A": 0.33, "AB": 0.67, "ABD": 0.33, "ABC": 1, "ABCD": 0.67} {
		got := gradeQuestion(q, choices(strings.Split(picks, "")...), true)
		if got.Score != want {
			t.Errorf("picks %s: score %v, want %v", picks, got.Score, want)
		}
	}
}

func TestGradeAttemptTotal(t *testing.T) {
	qs := []SnapQuestion{snapSingle(), snapTrueFalse(), snapMultiple(), snapFill()}
	a := &Attempt{Questions: qs, Answers: map[int]Answer{
		1: choices("B"), 2: choices("true"), 3: choices("A"), 4: choices("abc123", "hello world"),
	}}
	gradeAttempt(a, true)
	if a.Score == nil || *a.Score != 2+0+2+3 {
		t.Fatalf("total = %v, want 7", a.Score)
	}
	wantScores := []float64{2, 0, 2, 3}
	for i, s := range a.Scores {
		if s.No != qs[i].No || s.Score != wantScores[i] {
			t.Errorf("score[%d] = %+v, want no %d score %v", i, s, qs[i].No, wantScores[i])
		}
	}

	// With an essay, no total until it is scored.
	a.Questions = append(a.Questions, SnapQuestion{No: 5, Type: Essay, Points: 10})
	gradeAttempt(a, true)
	if a.Score != nil || !a.NeedsReview() {
		t.Fatalf("with an essay: total %v, needs review %v; want nil, true", a.Score, a.NeedsReview())
	}
}

func TestNormaliseBlank(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{"　", ""}, // ideographic space
		{"ＡＢＣ１２３", "abc123"},
		{"ａｂｃ", "abc"},
		{"  Hello   World  ", "hello world"},
		{"Hello\t\n World", "hello world"},
		{"遵义　会议", "遵义 会议"},
		{"　中国　共产党　", "中国 共产党"},
		{"１９２１年", "1921年"},
		{"ＣＰＣ\u00a0Party", "cpc party"}, // no-break space is a space too
		{"Ｈｅｌｌｏ，Ｗｏｒｌｄ", "hello,world"},
	}
	for _, tt := range tests {
		if got := NormaliseBlank(tt.in); got != tt.want {
			t.Errorf("NormaliseBlank(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// checkNormalised checks the invariants of NormaliseBlank's output for input s.
func checkNormalised(t *testing.T, s string) {
	t.Helper()
	n := NormaliseBlank(s)
	if again := NormaliseBlank(n); again != n {
		t.Fatalf("not idempotent: %q → %q → %q", s, n, again)
	}
	if n == "" {
		return
	}
	first, _ := utf8.DecodeRuneInString(n)
	last, _ := utf8.DecodeLastRuneInString(n)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		t.Fatalf("%q → %q has leading or trailing space", s, n)
	}
	if strings.Contains(n, "  ") {
		t.Fatalf("%q → %q has a run of spaces", s, n)
	}
}

// Every rune, exhaustively (in batches, each rune between letters and doubled): idempotence must
// not hinge on fuzzing luck.
func TestNormaliseBlankEveryRune(t *testing.T) {
	if testing.Short() {
		t.Skip("1.1 million runes")
	}
	var b strings.Builder
	for r := rune(0); r <= unicode.MaxRune; r++ {
		b.WriteString(" x")
		b.WriteRune(r)
		b.WriteString("Y ")
		b.WriteRune(r)
		if r%4096 == 4095 || r == unicode.MaxRune {
			checkNormalised(t, b.String())
			b.Reset()
		}
	}
}

func FuzzNormaliseBlank(f *testing.F) {
	for _, s := range []string{"", " ", "　", "ＡＢＣ１２３", "  Hello   World  ", "遵义　会议", "ｶﾞｷﾞ", "\xff\xfe", "İSTANBUL", "ǅ", "\u0085x\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkNormalised(t, s)
	})
}

func TestFinalScore(t *testing.T) {
	graded := func(s float64) *Attempt { return &Attempt{Status: AttemptGraded, Score: &s} }
	pending := &Attempt{Status: AttemptGraded} // essay waiting
	inProgress := &Attempt{Status: AttemptInProgress}
	submitted := &Attempt{Status: AttemptSubmitted}
	series := []*Attempt{graded(6), pending, graded(9), graded(4.5), inProgress}
	tests := []struct {
		method   string
		attempts []*Attempt
		want     float64
		ok       bool
	}{
		{GradeHighest, series, 9, true},
		{GradeLast, series, 4.5, true},
		{GradeFirst, series, 6, true},
		{GradeAverage, series, 6.5, true},
		{"", series, 9, true}, // unknown: highest
		{GradeAverage, []*Attempt{graded(1), graded(1), graded(2)}, 1.33, true},
		{GradeFirst, []*Attempt{pending, graded(3)}, 3, true},
		{GradeHighest, []*Attempt{pending, inProgress, submitted}, 0, false},
		{GradeLast, nil, 0, false},
	}
	for _, tt := range tests {
		got, ok := finalScore(tt.method, tt.attempts)
		if got != tt.want || ok != tt.ok {
			t.Errorf("finalScore(%q, %d attempts) = %v, %v; want %v, %v", tt.method, len(tt.attempts), got, ok, tt.want, tt.ok)
		}
	}
}
