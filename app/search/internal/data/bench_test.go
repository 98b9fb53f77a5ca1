package data

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vanguard/vanguard/app/search/internal/biz"
)

// benchWords are the vocabulary of the generated lessons: Party terms and everyday words.
var benchWords = strings.Fields(`党员 发展党员 入党申请 积极分子 发展对象 预备党员 转正 党支部 党小组 组织生活 三会一课
主题党日 民主评议 批评与自我批评 理论学习 学习强国 党章 党规 党纪 廉洁自律 八项规定 中央 精神 作风建设 基层治理
乡村振兴 农业 农村 农民 中国农业发展银行 金融 服务 实体经济 科技创新 高质量发展 新发展理念 共同富裕 人民 群众 路线
初心 使命 不忘初心 牢记使命 二十大 报告 全会 决定 意见 通知 待处理 办理 流程 时限 一个月 谈话 考察 培养 教育 管理
监督 纪律 处分 警告 严重 开除 党籍 表彰 奖励 先进 模范 优秀 共产党员 书记 委员 选举 换届 大会 代表 会议 记录
档案 材料 审核 审查 政治 思想 历史 百年 奋斗 经验 伟大 建党 精神谱系 红船 井冈山 长征 延安 西柏坡 抗战 胜利 改革
开放 新时代 中国特色社会主义 习近平 思想 马克思主义 毛泽东思想 邓小平理论 三个代表 科学发展观 实践 理论 创新 Go 语言
数字党建 2024年 2025年 第一季度 专题 培训 讲座 研讨 心得 体会 笔记 考试 题库 试卷 答题 成绩`)

func benchText(r *rand.Rand, words int) string {
	var b strings.Builder
	for i := range words {
		b.WriteString(benchWords[r.IntN(len(benchWords))])
		if i%7 == 6 {
			b.WriteString("。")
		} else if r.IntN(3) == 0 {
			b.WriteString("，")
		}
	}
	return b.String()
}

// benchLesson is lesson i: assigned to one of 50 branches under 5 committees, owned by its
// committee, with a title of 4 words and an article of 120.
func benchLesson(r *rand.Rand, i int) biz.Document {
	c, br := i%5+1, i%50+10
	path := fmt.Sprintf("/1/%d/%d/", c, br)
	return biz.Document{ID: fmt.Sprintf("lesson:%d", i), Kind: biz.KindLesson, Title: benchText(r, 4), Summary: benchText(r, 8),
		Body: benchText(r, 120), Topic: fmt.Sprintf("专题%d", i%12), Tags: []string{fmt.Sprintf("标签%d", i%30)}, Paths: []string{path},
		Owner: fmt.Sprintf("/1/%d/", c), Reach: []string{biz.ReachAuthors, biz.ReachManagers}, Parent: fmt.Sprintf("course:%d", i/10),
		UpdatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)}
}

func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// BenchmarkBleve100k indexes 100,000 lessons (about 600 Chinese characters each) in batches of
// 500 and reports the rate; then runs 400 member queries (one to three words, a scope of a
// branch and its ancestors, the first page with facets and snippets) three times: with no
// writes (idle_*), while syncs write 10 lessons every 100 ms (syncing_*, the pace of events),
// and while a rebuild writes batches of 100 back to back (rebuilding_*). The physical
// baseline, in the same run, is the scan a store without an index would do: strings.Contains of
// the query's first word over every lesson's text in memory.
func BenchmarkBleve100k(b *testing.B) {
	const batch, queries = 500, 400
	lessons := 100_000 // VANGUARD_BENCH_SEARCH_LESSONS sets another count
	if v, err := strconv.Atoi(os.Getenv("VANGUARD_BENCH_SEARCH_LESSONS")); err == nil && v > 1000 {
		lessons = v
	}
	r := rand.New(rand.NewPCG(1, 2))
	docs := make([]biz.Document, lessons)
	for i := range docs {
		docs[i] = benchLesson(r, i)
	}
	e, err := OpenBleve(filepath.Join(b.TempDir(), "index"))
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	ctx := b.Context()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < lessons; i += batch {
		if err := e.Upsert(ctx, docs[i:min(i+batch, lessons)]...); err != nil {
			b.Fatal(err)
		}
	}
	indexing := time.Since(start)

	qs := make([]biz.Query, queries)
	for i := range qs {
		words := make([]string, 1+r.IntN(3))
		for j := range words {
			words[j] = benchWords[r.IntN(len(benchWords))]
		}
		c, br := r.IntN(5)+1, r.IntN(50)+10
		qs[i] = biz.Query{Text: strings.Join(words, " "), Scope: biz.Scope{Paths: []string{"/1/", fmt.Sprintf("/1/%d/", c), fmt.Sprintf("/1/%d/%d/", c, br)}}}
	}
	// phase runs the queries while write (nil: nothing) keeps writing lessons, and returns their
	// latencies, the hits and the lessons written per second meanwhile.
	phase := func(pace time.Duration) ([]time.Duration, int, float64) {
		var stop atomic.Bool
		var written atomic.Int64
		var wg sync.WaitGroup
		if pace >= 0 {
			wg.Go(func() {
				w := rand.New(rand.NewPCG(3, 4))
				for !stop.Load() {
					n := 100
					if pace > 0 {
						n = 10
					}
					i := w.IntN(lessons - n)
					if err := e.Upsert(ctx, docs[i:i+n]...); err != nil {
						b.Error(err)
						return
					}
					written.Add(int64(n))
					time.Sleep(pace)
				}
			})
		}
		lat := make([]time.Duration, queries)
		hits := 0
		t0 := time.Now()
		for i, q := range qs {
			q0 := time.Now()
			res, err := e.Search(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			lat[i] = time.Since(q0)
			hits += res.Total
		}
		elapsed := time.Since(t0)
		stop.Store(true)
		wg.Wait()
		return lat, hits, float64(written.Load()) / elapsed.Seconds()
	}
	idle, hits, _ := phase(-1)
	slow := make([]int, len(idle))
	for i := range slow {
		slow[i] = i
	}
	slices.SortFunc(slow, func(a, c int) int { return int(idle[c] - idle[a]) })
	for _, i := range slow[:5] {
		b.Logf("slow idle query %q: %s", qs[i].Text, idle[i])
	}
	synced, _, syncRate := phase(100 * time.Millisecond) // syncs: 10 lessons every 100 ms
	rebuild, _, rebuildRate := phase(0)                  // a reindex: batches of 100 back to back
	b.StopTimer()

	scan := make([]time.Duration, 40)
	found := 0
	for i := range scan {
		word := strings.Fields(qs[i].Text)[0]
		t0 := time.Now()
		for j := range docs {
			if strings.Contains(docs[j].Title, word) || strings.Contains(docs[j].Summary, word) || strings.Contains(docs[j].Body, word) {
				found++
			}
		}
		scan[i] = time.Since(t0)
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(float64(lessons)/indexing.Seconds(), "index_docs_per_s")
	b.ReportMetric(ms(percentile(idle, 0.5)), "idle_p50_ms")
	b.ReportMetric(ms(percentile(idle, 0.95)), "idle_p95_ms")
	b.ReportMetric(ms(percentile(synced, 0.5)), "syncing_p50_ms")
	b.ReportMetric(ms(percentile(synced, 0.95)), "syncing_p95_ms")
	b.ReportMetric(syncRate, "syncing_docs_per_s")
	b.ReportMetric(ms(percentile(rebuild, 0.5)), "rebuilding_p50_ms")
	b.ReportMetric(ms(percentile(rebuild, 0.95)), "rebuilding_p95_ms")
	b.ReportMetric(rebuildRate, "rebuilding_docs_per_s")
	b.ReportMetric(float64(hits)/queries, "hits_per_query")
	b.ReportMetric(ms(percentile(scan, 0.5)), "bare_scan_p50_ms")
	b.ReportMetric(float64(percentile(idle, 0.5))/float64(percentile(scan, 0.5)), "query/scan")
	_ = found
}
