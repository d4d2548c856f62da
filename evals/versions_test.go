package evals_test

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/evals"
	"github.com/nyisverige/lots/ingest"
	"github.com/nyisverige/lots/ingest/ingesttest"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
)

// lab is the crawled demo corpus in a database of its own, with what it takes to build,
// evaluate and publish its index versions.
type lab struct {
	t     *testing.T
	st    *store.Store
	log   *slog.Logger
	msgs  *assistant.Messages
	cases []evals.Case
}

func newLab(t *testing.T) *lab {
	t.Helper()
	sets, err := filepath.Glob("sets/demo.*.jsonl")
	if err != nil || len(sets) != 7 {
		t.Fatalf("demo sets: %v, %v", sets, err)
	}
	cases, err := evals.LoadCases(sets...)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := assistant.LoadMessages(retrieval.Languages)
	if err != nil {
		t.Fatal(err)
	}
	return &lab{t: t, st: ingesttest.DemoStore(t), log: slog.New(slog.DiscardHandler), msgs: msgs, cases: cases}
}

// searcher is what lots serve answers with: the local embedder, and the embedders of versions
// other embedders built (the scrambled one's included), made when first needed.
func (l *lab) searcher() *retrieval.Searcher {
	return retrieval.NewSearcher(l.st, retrieval.NewLocal(0), retrieval.DefaultThresholds["local"], l.log).
		WithEmbedders(func(ctx context.Context, name string, dims int) (retrieval.Embedder, retrieval.Thresholds, error) {
			if s := newScrambled(); name == s.Name() {
				return s, retrieval.DefaultThresholds["local"], nil
			}
			return retrieval.LocalEmbedders(ctx, name, dims)
		})
}

// assistant answers from index version id, or from the live one for 0.
func (l *lab) assistant(id int) *assistant.Assistant {
	s := l.searcher()
	if id != 0 {
		s = s.AtIndex(id)
	}
	return assistant.New(s, nil, l.msgs, l.log, assistant.Config{})
}

func (l *lab) build(e retrieval.Embedder, chunking ingest.ChunkOptions) store.Index {
	l.t.Helper()
	var last atomic.Int64
	ix, err := ingest.BuildIndex(context.Background(), l.st, e, l.log, ingest.BuildOptions{Chunking: chunking, Actor: "ada",
		Progress: func(_ context.Context, done, total int) error {
			if done > total {
				l.t.Errorf("progress %d/%d", done, total)
			}
			last.Store(int64(done))
			return nil
		}})
	if err != nil {
		l.t.Fatal(err)
	}
	if pages, err := l.st.CountPages(context.Background()); err != nil || last.Load() != int64(pages) {
		l.t.Errorf("progress ended at %d pages, want all %d (%v)", last.Load(), pages, err)
	}
	return ix
}

func (l *lab) eval(id int) evals.Report {
	l.t.Helper()
	r, err := evals.EvalIndex(context.Background(), l.st, id, l.assistant(id), l.cases, "ada", nil)
	if err != nil {
		l.t.Fatal(err)
	}
	return r
}

func (l *lab) live() int {
	l.t.Helper()
	ix, err := l.st.LiveIndex(context.Background())
	if err != nil {
		l.t.Fatal(err)
	}
	return ix.ID
}

// scrambled embeds every text as a pseudo-random unit vector seeded by the text: vectors that say
// nothing about meaning, as a broken embedding model would.
type scrambled struct{}

func newScrambled() scrambled     { return scrambled{} }
func (scrambled) Name() string    { return "scrambled-64" }
func (scrambled) Dimensions() int { return 64 }
func (s scrambled) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		h := fnv.New64a()
		h.Write([]byte(t))
		r := rand.New(rand.NewPCG(h.Sum64(), 1))
		v := make([]float32, s.Dimensions())
		var norm float64
		for j := range v {
			x := r.NormFloat64()
			v[j], norm = float32(x), norm+x*x
		}
		for j := range v {
			v[j] /= float32(math.Sqrt(norm))
		}
		out[i] = v
	}
	return out, nil
}

func TestBuildEvalPublishRollback(t *testing.T) {
	ctx := context.Background()
	l := newLab(t)
	first := l.live()
	start := time.Now()
	second := l.build(retrieval.NewLocal(0), ingest.ChunkOptions{})
	t.Logf("built index %d from the demo corpus in %s", second.ID, time.Since(start).Round(time.Millisecond))
	if l.live() != first {
		t.Fatalf("building a version changed the live one")
	}
	if _, err := evals.PublishIndex(ctx, l.st, second.ID, evals.PublishOptions{Actor: "ada"}); !errors.Is(err, evals.ErrNoEval) {
		t.Fatalf("publishing an unevaluated version = %v, want ErrNoEval", err)
	}
	if _, err := evals.PublishIndex(ctx, l.st, second.ID, evals.PublishOptions{Actor: "ada", Override: "trust me"}); !errors.Is(err, evals.ErrNoEval) {
		t.Fatalf("publishing an unevaluated version with an override = %v, want ErrNoEval", err)
	}
	candidate := l.eval(second.ID)
	// The live version has no evaluation yet: the gate cannot compare, so it fails.
	c, err := evals.PublishIndex(ctx, l.st, second.ID, evals.PublishOptions{Actor: "ada"})
	if !errors.Is(err, evals.ErrGateFailed) || !strings.Contains(c.Problem, "not been evaluated") {
		t.Fatalf("publishing against an unevaluated live version = %v (problem %q), want ErrGateFailed", err, c.Problem)
	}
	live := l.eval(first)
	if candidate.Overall.Recall1 != live.Overall.Recall1 || candidate.Overall.AnswerRate != live.Overall.AnswerRate {
		t.Errorf("the same chunking and embedder scored differently: %+v vs %+v", candidate.Overall, live.Overall)
	}
	c, err = evals.PublishIndex(ctx, l.st, second.ID, evals.PublishOptions{Actor: "ada"})
	if err != nil || !c.Passed() || len(c.Languages) != 7 || c.Override != "" {
		t.Fatalf("publishing an equally good version: passed %v, %d languages, %v", c.Passed(), len(c.Languages), err)
	}
	if l.live() != second.ID {
		t.Fatalf("live = %d after publishing %d", l.live(), second.ID)
	}
	ans, err := l.assistant(0).Answer(ctx, assistant.Question{Text: "How do I get a personal identity number?", Language: "en"})
	if err != nil || !ans.Answered || !chunksIn(t, l.st, ans.Retrieved, second.ID) {
		t.Fatalf("answer after publishing: answered %v, %v; want passages of index %d", ans.Answered, err, second.ID)
	}
	from, to, err := l.st.Rollback(ctx, "bob")
	if err != nil || from.ID != second.ID || to.ID != first || l.live() != first {
		t.Fatalf("rollback %d → %d, %v; live %d", from.ID, to.ID, err, l.live())
	}
}

func TestPublishGate(t *testing.T) {
	ctx := context.Background()
	l := newLab(t)
	live := l.live()
	l.eval(live)
	tests := []struct {
		name     string
		embedder retrieval.Embedder
		chunking ingest.ChunkOptions
		passes   bool
	}{
		{"tiny passages lose answers", retrieval.NewLocal(0), ingest.ChunkOptions{Words: 8, Overlap: -1}, false},
		{"an embedder that scrambles meaning", newScrambled(), ingest.ChunkOptions{}, false},
		{"shorter passages are as good", retrieval.NewLocal(0), ingest.ChunkOptions{Words: 120, Overlap: 20}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l.t = t
			ix := l.build(tc.embedder, tc.chunking)
			r := l.eval(ix.ID)
			c, err := evals.PublishIndex(ctx, l.st, ix.ID, evals.PublishOptions{Actor: "ada"})
			t.Logf("index %d: R@1 %.2f answered %.2f refusal %.2f; gate passed %v: %v", ix.ID, r.Overall.Recall1,
				r.Overall.AnswerRate, r.Overall.RefusalAccuracy, c.Passed(), c.Regressions)
			if tc.passes {
				if err != nil {
					t.Fatalf("PublishIndex = %v, want it published", err)
				}
				if l.live() != ix.ID {
					t.Fatalf("live = %d, want %d", l.live(), ix.ID)
				}
				if _, _, err := l.st.Rollback(ctx, "ada"); err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, evals.ErrGateFailed) || len(c.Regressions) == 0 {
				t.Fatalf("PublishIndex = %v with regressions %v, want ErrGateFailed", err, c.Regressions)
			}
			if l.live() != live {
				t.Fatalf("a refused version went live")
			}
			c, err = evals.PublishIndex(ctx, l.st, ix.ID, evals.PublishOptions{Actor: "root", Override: "the old model is withdrawn"})
			if err != nil || l.live() != ix.ID || c.Override == "" {
				t.Fatalf("PublishIndex with an override = %v; live %d", err, l.live())
			}
			v, err := l.st.IndexVersion(ctx, ix.ID)
			if err != nil || v.PublishedBy != "root" || v.OverrideReason != "the old model is withdrawn" {
				t.Fatalf("published version = %+v, %v; want who overrode and why", v, err)
			}
			if _, to, err := l.st.Rollback(ctx, "root"); err != nil || to.ID != live {
				t.Fatalf("rollback to %d, %v; want %d", to.ID, err, live)
			}
		})
	}
}

// A question is answered from one index version from start to end, whatever is published or
// rolled back meanwhile, and never fails because of it.
func TestSwitchUnderLoad(t *testing.T) {
	ctx := context.Background()
	l := newLab(t)
	first := l.live()
	second := l.build(retrieval.NewLocal(0), ingest.ChunkOptions{Words: 120, Overlap: 20})
	l.eval(first)
	l.eval(second.ID)

	questions := []retrieval.Query{
		{Text: "How do I get a personal identity number?", Language: "en"},
		{Text: "Hur mycket är barnbidraget?", Language: "sv"},
		{Text: "كيف أحصل على رقم شخصي؟", Language: "ar"},
		{Text: "Sideen ku helaa lambarka aqoonsiga shakhsiga?", Language: "so"},
		{Text: "What is the best recipe for cinnamon buns?", Language: "en"},
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[int]int{}
	var failures []string
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := l.searcher()
			for i := r; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				res, err := s.Search(ctx, questions[i%len(questions)])
				var problem string
				switch {
				case err != nil:
					problem = err.Error()
				case !chunksIn(t, l.st, res.Hits, res.Index):
					problem = "passages of more than one version"
				}
				mu.Lock()
				seen[res.Index]++
				if problem != "" {
					failures = append(failures, problem)
				}
				mu.Unlock()
			}
		}()
	}
	var switches []time.Duration
	for range 5 {
		time.Sleep(50 * time.Millisecond)
		start := time.Now()
		if _, err := evals.PublishIndex(ctx, l.st, second.ID, evals.PublishOptions{Actor: "ada"}); err != nil {
			t.Error(err)
			break
		}
		switches = append(switches, time.Since(start))
		time.Sleep(50 * time.Millisecond)
		start = time.Now()
		if _, _, err := l.st.Rollback(ctx, "ada"); err != nil {
			t.Error(err)
			break
		}
		switches = append(switches, time.Since(start))
	}
	time.Sleep(50 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("publish (gate included) and rollback took %v; searches per version: %v", switches, seen)
	if len(failures) > 0 {
		t.Errorf("%d searches failed during the switches, first: %s", len(failures), failures[0])
	}
	if seen[first] == 0 || seen[second.ID] == 0 {
		t.Errorf("searches per version %v: the readers did not see both versions", seen)
	}
}

// chunksIn reports whether every passage comes from index version id.
func chunksIn(t *testing.T, st *store.Store, hits []store.Hit, id int) bool {
	t.Helper()
	ids := make([]int64, len(hits))
	for i, h := range hits {
		ids[i] = h.ChunkID
	}
	var n int
	if err := st.Pool().QueryRow(context.Background(), "SELECT count(*) FROM chunks WHERE id = ANY($1) AND index_id = $2", ids, id).Scan(&n); err != nil {
		t.Error(err)
		return false
	}
	return n == len(hits)
}

// A Searcher made before a version built by another embedder goes live — lots serve, started
// before the publish — answers from it without a restart.
func TestSearcherFollowsTheLiveVersion(t *testing.T) {
	ctx := context.Background()
	l := newLab(t)
	serving := l.searcher()
	plain := retrieval.NewSearcher(l.st, retrieval.NewLocal(0), retrieval.DefaultThresholds["local"], l.log)
	q := retrieval.Query{Text: "How do I get a personal identity number?", Language: "en"}
	before, err := serving.Search(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	// A question being answered when the version changes keeps the version it started with.
	question, err := serving.Pinned(ctx)
	if err != nil {
		t.Fatal(err)
	}
	next := l.build(retrieval.NewLocal(256), ingest.ChunkOptions{})
	if err := l.st.Publish(ctx, next.ID, store.PublishOptions{ExpectLive: before.Index, Actor: "ada"}); err != nil {
		t.Fatal(err)
	}
	if res, err := question.Search(ctx, q); err != nil || res.Index != before.Index || !chunksIn(t, l.st, res.Hits, before.Index) {
		t.Fatalf("a pinned searcher after the publish: index %d, %v; want %d still", res.Index, err, before.Index)
	}
	after, err := serving.Search(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if after.Index != next.ID || !chunksIn(t, l.st, after.Hits, next.ID) || !after.Confident {
		t.Fatalf("after the publish: index %d, confident %v; want passages of index %d", after.Index, after.Confident, next.ID)
	}
	if after.Hits[0].URL != before.Hits[0].URL {
		t.Errorf("best page changed from %s to %s", before.Hits[0].URL, after.Hits[0].URL)
	}
	if _, err := plain.Search(ctx, q); !errors.Is(err, store.ErrEmbedderMismatch) || !strings.Contains(err.Error(), "local-hash-v1-256") {
		t.Fatalf("a searcher that cannot embed for the live version = %v, want ErrEmbedderMismatch naming its embedder", err)
	}
}

func TestPinsAndSuppressions(t *testing.T) {
	ctx := context.Background()
	l := newLab(t)
	asst := l.assistant(0)
	ask := func(text string) assistant.Answer {
		t.Helper()
		ans, err := asst.Answer(ctx, assistant.Question{Text: text, Language: "en"})
		if err != nil {
			t.Fatal(err)
		}
		return ans
	}
	const (
		question = "How do I get a personal identity number?"
		similar  = "How can I get a personal identity number?"
		other    = "How much is the child allowance per month?"
	)
	plain, plainOther := ask(similar), ask(other)
	if !plain.Answered || !strings.HasSuffix(plain.Citations[0].URL, "/personal-identity-number") {
		t.Fatalf("without rules: %+v", plain.Citations)
	}
	// The pinned page is one the plain search does not retrieve for the question.
	var pinned string
	for _, slug := range []string{"moving-within-sweden", "bank-account", "taxes"} {
		u := strings.Replace(plain.Citations[0].URL, "/personal-identity-number", "/"+slug, 1)
		if !slices.ContainsFunc(plain.Retrieved, func(h store.Hit) bool { return h.URL == u }) {
			pinned = u
			break
		}
	}
	if pinned == "" {
		t.Fatal("every candidate page is among the plain results: the pin would prove nothing")
	}
	// The steward pins the passage the console showed: some of its words name it.
	var passage string
	if err := l.st.Pool().QueryRow(ctx, `SELECT c.text FROM chunks c JOIN pages p ON p.id = c.page_id
		WHERE p.url = $1 ORDER BY c.ord DESC LIMIT 1`, pinned).Scan(&passage); err != nil {
		t.Fatalf("a passage of %s: %v", pinned, err)
	}
	passage = strings.Join(strings.Fields(passage)[:min(12, len(strings.Fields(passage)))], " ")

	suppress, err := l.st.AddRule(ctx, store.Rule{Language: "en", Question: question, URL: plain.Citations[0].URL,
		Action: store.RuleSuppress, Note: "outdated page", CreatedBy: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range ask(similar).Retrieved {
		if h.URL == plain.Citations[0].URL {
			t.Fatalf("a suppressed passage was retrieved: %s", h.Text)
		}
	}

	// The pin names its passage by its text, so it survives a re-chunking.
	pin, err := l.st.AddRule(ctx, store.Rule{Language: "en", Question: question, URL: pinned, Passage: passage,
		Action: store.RulePin, Note: "people asking this need this page first", CreatedBy: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	// wantOther is the unrelated question's answer without rules in the version searched, "" if
	// unknown: then only that no rule applied to it is checked.
	check := func(name, wantOther string) {
		t.Run(name, func(t *testing.T) {
			got := ask(similar)
			if !got.Answered || got.Citations[0].URL != pinned || !strings.Contains(got.Retrieved[0].Text, passage) {
				t.Errorf("a similar question's first passage is %q of %+v, want the pinned %q of %s", got.Retrieved[0].Text, got.Citations, passage, pinned)
			}
			for _, h := range got.Retrieved {
				if h.URL == plain.Citations[0].URL {
					t.Errorf("a suppressed passage was retrieved: %s", h.Text)
				}
			}
			res, err := l.searcher().Search(ctx, retrieval.Query{Text: similar, Language: "en"})
			if err != nil || len(res.Rules) != 2 || res.Rules[0] != suppress.ID || res.Rules[1] != pin.ID {
				t.Errorf("rules applied: %v, %v; want the suppression and the pin", res.Rules, err)
			}
			if o := ask(other); wantOther != "" && o.Answer != wantOther {
				t.Errorf("an unrelated question's answer changed:\n%s\nwas\n%s", o.Answer, wantOther)
			}
			if res, err := l.searcher().Search(ctx, retrieval.Query{Text: other, Language: "en"}); err != nil || len(res.Rules) > 0 {
				t.Errorf("rules applied to an unrelated question: %v, %v", res.Rules, err)
			}
			if sv, err := asst.Answer(ctx, assistant.Question{Text: "Hur får jag ett personnummer?", Language: "sv"}); err != nil ||
				sv.Citations[0].URL == pinned {
				t.Errorf("a rule for English questions applied to a Swedish one: %+v, %v", sv.Citations, err)
			}
		})
	}
	check("live version", plainOther.Answer)
	rechunked := l.build(retrieval.NewLocal(0), ingest.ChunkOptions{Words: 60, Overlap: 10})
	if err := l.st.Publish(ctx, rechunked.ID, store.PublishOptions{ExpectLive: 1, Actor: "ada"}); err != nil {
		t.Fatal(err)
	}
	check("re-chunked version", "")

	if err := l.st.DeleteRule(ctx, pin.ID, "ada"); err != nil {
		t.Fatal(err)
	}
	if err := l.st.DeleteRule(ctx, suppress.ID, "ada"); err != nil {
		t.Fatal(err)
	}
	if got := ask(similar); got.Citations[0].URL != plain.Citations[0].URL {
		t.Errorf("after deleting the rules: %+v, want the plain answer back", got.Citations)
	}
}

// A page the crawler saves while a version is built beside the live one, or before it is
// published, is not lost: the version knows it is stale, and a refresh brings the page in.
func TestRefreshBringsInChangedPages(t *testing.T) {
	ctx := context.Background()
	l := newLab(t)
	next := l.build(retrieval.NewLocal(0), ingest.ChunkOptions{Words: 120, Overlap: 20})
	live, err := l.st.LiveIndex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The crawler finds a page changed and saves it into the live version only.
	var p store.Page
	var agency string
	err = l.st.Pool().QueryRow(ctx, `SELECT p.source_id, p.url, p.title, p.language, p.translation_group, s.agency
		FROM pages p JOIN sources s ON s.id = p.source_id WHERE p.url LIKE '%/en/id-card'`).
		Scan(&p.SourceID, &p.URL, &p.Title, &p.Language, &p.TranslationGroup, &agency)
	if err != nil {
		t.Fatal(err)
	}
	const news = "From 1 March the ID card costs 500 kronor."
	p.ContentType, p.ContentHash, p.FetchedAt = "text/html", []byte("new"), time.Now().UTC()
	p.Sections = []byte(`[{"Headings": ["ID card"], "Text": "` + news + `"}]`)
	vec, _ := retrieval.NewLocal(0).Embed(ctx, []string{news})
	if err := l.st.SavePage(ctx, p.URL, p, live, agency, []store.Chunk{{Headings: []string{"ID card"}, Text: news, Embedding: vec[0]}}); err != nil {
		t.Fatal(err)
	}
	texts := func() []string {
		rows, err := l.st.Pool().Query(ctx, `SELECT c.text FROM chunks c JOIN pages p ON p.id = c.page_id
			WHERE p.url = $1 AND c.index_id = $2 ORDER BY c.ord`, p.URL, next.ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for rows.Next() {
			var s string
			rows.Scan(&s)
			out = append(out, s)
		}
		return out
	}
	if v, _ := l.st.IndexVersion(ctx, next.ID); v.StalePages != 1 || slices.Contains(texts(), news) {
		t.Fatalf("before the refresh: %d stale pages, chunks %q; want 1 and the old text", v.StalePages, texts())
	}
	n, err := ingest.RefreshIndex(ctx, l.st, retrieval.NewLocal(0), next.ID)
	if err != nil || n != 1 {
		t.Fatalf("RefreshIndex = %d, %v; want the one changed page", n, err)
	}
	if v, _ := l.st.IndexVersion(ctx, next.ID); v.StalePages != 0 || !slices.Equal(texts(), []string{news}) {
		t.Fatalf("after the refresh: %d stale pages, chunks %q; want 0 and the new text", v.StalePages, texts())
	}
	if _, err := ingest.RefreshIndex(ctx, l.st, retrieval.NewLocal(128), next.ID); !errors.Is(err, store.ErrEmbedderMismatch) {
		t.Fatalf("refreshing with another embedder = %v, want ErrEmbedderMismatch", err)
	}
}
