package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/evals"
	"github.com/nyisverige/lots/ingest"
	"github.com/nyisverige/lots/ingest/demosite"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
)

// benchOptions are the flags of lots bench.
type benchOptions struct {
	chunks   []int
	runs     int
	queries  int
	pages    int
	efSearch int
	seed     int64
	stages   []string
}

var benchStages = []string{"ingest", "retrieval", "answer"}

func bindBench(fs *flag.FlagSet) *benchOptions {
	o := &benchOptions{chunks: []int{10_000, 100_000}, stages: benchStages}
	fs.Func("chunks", "comma-separated corpus sizes for the retrieval benchmark (default 10000,100000)", func(s string) error {
		o.chunks = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 100 {
				return fmt.Errorf("%q: want whole numbers of at least 100", f)
			}
			o.chunks = append(o.chunks, n)
		}
		return nil
	})
	fs.Func("stages", "comma-separated stages to run: ingest, retrieval, answer (default all)", func(s string) error {
		o.stages = strings.Split(s, ",")
		for _, st := range o.stages {
			if !slices.Contains(benchStages, st) {
				return fmt.Errorf("%q: use ingest, retrieval or answer", st)
			}
		}
		return nil
	})
	fs.IntVar(&o.runs, "runs", 5, "timed runs of each measurement; the tables show their medians")
	fs.IntVar(&o.queries, "queries", 200, "search queries per corpus size, and at most this many answer questions")
	fs.IntVar(&o.pages, "pages", 500, "pages of the synthetic site for the ingestion benchmark")
	fs.IntVar(&o.efSearch, "ef-search", 40, "hnsw.ef_search for the retrieval benchmark")
	fs.Int64Var(&o.seed, "seed", 1, "seed of the synthetic corpus")
	return o
}

// bench measures ingestion, retrieval and answering in scratch databases it creates on the
// configured server and drops again, and prints a table for each; progress goes to progress.
func (a *app) bench(ctx context.Context, o benchOptions, out, progress io.Writer) error {
	if o.runs < 1 || o.queries < 1 || o.pages < 1 || o.efSearch < 1 || o.efSearch > 1000 {
		return errors.New("bench: --runs, --queries and --pages must be positive, --ef-search from 1 to 1000")
	}
	b := &benchmark{app: a, opts: o, progress: progress}
	suffix := make([]byte, 4)
	rand.Read(suffix)
	b.prefix = "lots_bench_" + hex.EncodeToString(suffix)
	// The crawler's per-page logging would drown the progress lines.
	b.quiet = slog.New(slog.NewTextHandler(progress, &slog.HandlerOptions{Level: max(a.cfg.LogLevel, slog.LevelWarn)}))
	if err := b.describe(ctx, out); err != nil {
		return err
	}
	if slices.Contains(o.stages, "ingest") {
		if err := b.ingestion(ctx, out); err != nil {
			return err
		}
	}
	if slices.Contains(o.stages, "retrieval") {
		if err := b.retrieval(ctx, out); err != nil {
			return err
		}
	}
	if slices.Contains(o.stages, "answer") {
		if err := b.answering(ctx, out); err != nil {
			return err
		}
	}
	return nil
}

// benchmark is one run of lots bench.
type benchmark struct {
	*app
	opts     benchOptions
	progress io.Writer
	prefix   string // of the scratch databases' names
	quiet    *slog.Logger
}

func (b *benchmark) logf(format string, args ...any) {
	fmt.Fprintf(b.progress, "bench: "+format+"\n", args...)
}

// describe prints what the numbers were measured with.
func (b *benchmark) describe(ctx context.Context, out io.Writer) error {
	var server, pgvector string
	if err := b.store.Pool().QueryRow(ctx, "SELECT current_setting('server_version'), coalesce((SELECT default_version FROM pg_available_extensions WHERE name = 'vector'), 'missing')").
		Scan(&server, &pgvector); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	fmt.Fprintf(out, "lots bench: PostgreSQL %s, pgvector %s, %d CPUs (GOMAXPROCS), embedder %s, median of %d runs\n\n",
		server, pgvector, runtime.GOMAXPROCS(0), b.embedder.Name(), b.opts.runs)
	return nil
}

// scratch creates a migrated database named b.prefix_name on the configured server, with the
// given settings (e.g. "hnsw.ef_search = 40") for every connection, and returns a store on it
// and a function that closes the store and drops the database.
func (b *benchmark) scratch(ctx context.Context, name string, settings ...string) (*store.Store, func(), error) {
	name = b.prefix + "_" + name
	admin, err := pgx.Connect(ctx, b.cfg.DatabaseURL)
	if err != nil {
		return nil, nil, fmt.Errorf("bench: %w", err)
	}
	defer admin.Close(context.WithoutCancel(ctx))
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return nil, nil, fmt.Errorf("bench: create scratch database: %w", err)
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		admin, err := pgx.Connect(ctx, b.cfg.DatabaseURL)
		if err == nil {
			_, err = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			admin.Close(ctx)
		}
		if err != nil {
			b.logf("could not drop scratch database %s: %v", name, err)
		}
	}
	st, err := b.openScratch(ctx, admin, name, settings)
	if err != nil {
		drop()
		return nil, nil, err
	}
	return st, func() { st.Close(); drop() }, nil
}

func (b *benchmark) openScratch(ctx context.Context, admin *pgx.Conn, name string, settings []string) (*store.Store, error) {
	for _, s := range settings {
		if _, err := admin.Exec(ctx, "ALTER DATABASE "+name+" SET "+s); err != nil {
			return nil, fmt.Errorf("bench: %s: %w", s, err)
		}
	}
	u, err := url.Parse(b.cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("bench: database url: %w", err)
	}
	u.Path = "/" + name
	st, err := store.Open(ctx, u.String())
	if err != nil {
		return nil, err
	}
	// Migrate also resets the pool, so the next connections know the vector type it created.
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// ingestion crawls a synthetic site served on loopback into a fresh database, and copies the
// chunk rows the crawl stored into a bare table with COPY, the floor for writing them.
func (b *benchmark) ingestion(ctx context.Context, out io.Writer) error {
	pages := evals.SyntheticPages(b.opts.seed, b.opts.pages)
	site, err := serveSynthetic(pages)
	if err != nil {
		return err
	}
	defer site.Close()
	var crawlRates, copyRates []float64
	var last ingestRun
	for run := 1; run <= b.opts.runs; run++ {
		r, err := b.ingestOnce(ctx, site.base, run)
		if err != nil {
			return err
		}
		crawlRates = append(crawlRates, float64(r.stats.Fetched)/r.crawl.Seconds())
		copyRates = append(copyRates, float64(r.stats.Fetched)/r.copy.Seconds())
		last = r
		b.logf("ingestion run %d/%d: %d pages (%d chunks) crawled in %s, copied in %s", run, b.opts.runs,
			r.stats.Fetched, r.chunks, r.crawl.Round(time.Millisecond), r.copy.Round(time.Millisecond))
	}
	crawl, cp := median(crawlRates), median(copyRates)
	fmt.Fprintf(out, "Ingestion: %d synthetic pages on loopback (%d chunks, %d failed), fetch → extract → chunk → embed → store\n",
		last.stats.Fetched, last.chunks, last.stats.Failed)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "crawler pages/s\tCOPY pages/s\tcrawler/COPY\t")
	fmt.Fprintf(tw, "%.0f\t%.0f\t%.3f\t\n", crawl, cp, crawl/cp)
	tw.Flush()
	fmt.Fprintln(out)
	return nil
}

// ingestRun is one crawl of the synthetic site and the COPY of what it stored.
type ingestRun struct {
	stats       store.RunStats
	crawl, copy time.Duration
	chunks      int
}

// ingestOnce crawls the site into a fresh database and copies the chunks it stored.
func (b *benchmark) ingestOnce(ctx context.Context, base string, run int) (ingestRun, error) {
	var r ingestRun
	st, drop, err := b.scratch(ctx, "ingest"+strconv.Itoa(run))
	if err != nil {
		return r, err
	}
	defer drop()
	src, err := st.UpsertSource(ctx, store.Source{Name: "synthetic", Agency: "Synthetic agencies",
		SitemapURLs: []string{base + "/sitemap.xml"}, AllowedPrefixes: []string{base + "/"}, Languages: retrieval.Languages,
		RecrawlInterval: 24 * time.Hour, Concurrency: 4, Local: true, Status: store.StatusVetted})
	if err != nil {
		return r, err
	}
	crawler := ingest.NewCrawler(st, b.embedder, b.quiet, ingest.CrawlOptions{MaxPages: b.opts.pages + 10})
	start := time.Now()
	if r.stats, err = crawler.Crawl(ctx, src); err != nil {
		return r, err
	}
	r.crawl = time.Since(start)
	r.copy, r.chunks, err = copyChunks(ctx, st)
	return r, err
}

// copyChunks reads every chunk row, vectors included, and times writing them again with COPY
// into a table like chunks (its generated full-text column included) without its indexes.
func copyChunks(ctx context.Context, st *store.Store) (time.Duration, int, error) {
	cols := []string{"index_id", "page_id", "source_id", "ord", "language", "agency", "translation_group",
		"heading_path", "heading", "text", "embedding"}
	rows, err := st.Pool().Query(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM chunks")
	if err != nil {
		return 0, 0, fmt.Errorf("bench: read chunks: %w", err)
	}
	data, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([]any, error) { return r.Values() })
	if err != nil {
		return 0, 0, fmt.Errorf("bench: read chunks: %w", err)
	}
	if _, err := st.Pool().Exec(ctx, "CREATE TABLE bench_copy (LIKE chunks INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING IDENTITY)"); err != nil {
		return 0, 0, fmt.Errorf("bench: %w", err)
	}
	start := time.Now()
	if _, err := st.Pool().CopyFrom(ctx, pgx.Identifier{"bench_copy"}, cols, pgx.CopyFromRows(data)); err != nil {
		return 0, 0, fmt.Errorf("bench: copy chunks: %w", err)
	}
	return time.Since(start), len(data), nil
}

// retrievalResult is what the retrieval benchmark measured at one corpus size.
type retrievalResult struct {
	chunks             int
	load, build        time.Duration
	hybrid50, hybrid95 float64 // milliseconds, medians of the runs
	exact50            float64 // milliseconds, one run
	recall, found      float64
}

// retrieval loads each corpus size into a fresh database and measures the assistant's search.
func (b *benchmark) retrieval(ctx context.Context, out io.Writer) error {
	var results []retrievalResult
	for _, n := range b.opts.chunks {
		r, err := b.retrievalAt(ctx, n)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	fmt.Fprintf(out, "Retrieval: store.SearchHybrid in the asker's language (8 results, 40 candidates a list), %d queries, hnsw.ef_search = %d\n",
		b.opts.queries, b.opts.efSearch)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "chunks\tload\tindex build\thybrid p50 ms\thybrid p95 ms\texact p50 ms\texact/hybrid p50\trecall@10\tpage found\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%.1f\t%.1f\t%.1f\t%.2f\t%.3f\t%.3f\t\n", r.chunks, r.load.Round(100*time.Millisecond),
			r.build.Round(100*time.Millisecond), r.hybrid50, r.hybrid95, r.exact50, r.exact50/r.hybrid50, r.recall, r.found)
	}
	tw.Flush()
	fmt.Fprintln(out, "  exact: SearchExact, the sequential scan the HNSW index approximates (one run, vector list only);")
	fmt.Fprintln(out, "  recall@10: the hybrid search's HNSW vector list, top 10, against exact search;")
	fmt.Fprintln(out, "  page found: share of queries whose words' page is among the 8 results.")
	fmt.Fprintln(out)
	return nil
}

// retrievalAt measures search over a corpus of n synthetic chunks.
func (b *benchmark) retrievalAt(ctx context.Context, n int) (retrievalResult, error) {
	r := retrievalResult{chunks: n}
	st, drop, err := b.scratch(ctx, "r"+strconv.Itoa(n), fmt.Sprintf("hnsw.ef_search = %d", b.opts.efSearch))
	if err != nil {
		return r, err
	}
	defer drop()
	ix, queries, err := b.loadSynthetic(ctx, st, n, &r)
	if err != nil {
		return r, err
	}
	searches, err := b.searches(ctx, ix, queries)
	if err != nil {
		return r, err
	}
	var p50s, p95s []float64
	for run := 0; run <= b.opts.runs; run++ {
		lat, hits, err := timeSearches(ctx, st, searches)
		if err != nil {
			return r, err
		}
		if run == 0 { // warm-up
			r.found = foundShare(queries, hits)
			continue
		}
		p50s, p95s = append(p50s, ms(percentile(lat, 50))), append(p95s, ms(percentile(lat, 95)))
		b.logf("%d chunks, run %d/%d: hybrid p50 %.1f ms, p95 %.1f ms", n, run, b.opts.runs, p50s[run-1], p95s[run-1])
	}
	r.hybrid50, r.hybrid95 = median(p50s), median(p95s)
	recall, exact, err := measureRecall(ctx, st, ix, searches)
	if err != nil {
		return r, err
	}
	r.recall, r.exact50 = recall, ms(percentile(exact, 50))
	b.logf("%d chunks: recall@10 %.3f, exact search p50 %.1f ms", n, r.recall, r.exact50)
	return r, nil
}

// loadSynthetic loads n synthetic chunks with the configured embedder and builds the index.
// It records the times in r.
func (b *benchmark) loadSynthetic(ctx context.Context, st *store.Store, n int, r *retrievalResult) (store.Index, []evals.SynthQuery, error) {
	ix, err := st.EnsureLiveIndex(ctx, b.embedder.Name(), b.embedder.Dimensions())
	if err != nil {
		return ix, nil, err
	}
	src, err := st.UpsertSource(ctx, store.Source{Name: "synthetic", Agency: "Synthetic agencies",
		AllowedPrefixes: []string{evals.SynthBase + "/"}, Concurrency: 1, Status: store.StatusVetted})
	if err != nil {
		return ix, nil, err
	}
	if err := st.BeginBulkLoad(ctx, ix); err != nil {
		return ix, nil, err
	}
	start, next := time.Now(), n/10
	queries, err := evals.LoadSynthetic(ctx, st, ix, b.embedder, evals.SynthLoad{Seed: b.opts.seed, Chunks: n,
		Queries: b.opts.queries, SourceID: src.ID, Progress: func(loaded int) {
			if loaded >= next {
				b.logf("%d chunks: loaded %d in %s", n, loaded, time.Since(start).Round(time.Second))
				next += n / 10
			}
		}})
	if err != nil {
		return ix, nil, err
	}
	r.load = time.Since(start)
	b.logf("%d chunks: building the HNSW index", n)
	start = time.Now()
	if err := st.EndBulkLoad(ctx, ix); err != nil {
		return ix, nil, err
	}
	r.build = time.Since(start)
	return ix, queries, nil
}

// searches turns queries into the first search the assistant runs for a question: in the
// asker's language, with the question's words for the full-text list.
func (b *benchmark) searches(ctx context.Context, ix store.Index, queries []evals.SynthQuery) ([]store.SearchQuery, error) {
	texts := make([]string, len(queries))
	for i, q := range queries {
		texts[i] = q.Text
	}
	vecs, err := b.embedder.Embed(ctx, texts)
	if err != nil {
		return nil, err
	}
	out := make([]store.SearchQuery, len(queries))
	for i, q := range queries {
		terms, prefix := retrieval.SearchTerms(q.Text, q.Language)
		out[i] = store.SearchQuery{Index: ix, Vector: vecs[i], Terms: terms, TermsLanguage: q.Language, Prefix: prefix,
			Languages: []string{q.Language}, Limit: 8}
	}
	return out, nil
}

// timeSearches runs every search once and returns their latencies and results.
func timeSearches(ctx context.Context, st *store.Store, searches []store.SearchQuery) ([]time.Duration, [][]store.Hit, error) {
	lat := make([]time.Duration, len(searches))
	hits := make([][]store.Hit, len(searches))
	for i, q := range searches {
		start := time.Now()
		h, err := st.SearchHybrid(ctx, q)
		if err != nil {
			return nil, nil, err
		}
		lat[i], hits[i] = time.Since(start), h
	}
	return lat, hits, nil
}

// measureRecall compares the top 10 of the hybrid search's vector list (the HNSW index, as
// the search runs it) with exact search, and returns the mean recall and exact latencies.
func measureRecall(ctx context.Context, st *store.Store, ix store.Index, searches []store.SearchQuery) (float64, []time.Duration, error) {
	var sum float64
	lat := make([]time.Duration, len(searches))
	for i, q := range searches {
		q.Terms, q.Limit = nil, q.Candidates
		if q.Limit == 0 {
			q.Limit = 40
		}
		hits, err := st.SearchHybrid(ctx, q)
		if err != nil {
			return 0, nil, err
		}
		approx := make(map[int64]bool)
		for _, h := range hits {
			if h.VectorRank > 0 && h.VectorRank <= 10 {
				approx[h.ChunkID] = true
			}
		}
		start := time.Now()
		exact, err := st.SearchExact(ctx, ix, q.Vector, q.Languages, 10)
		if err != nil {
			return 0, nil, err
		}
		lat[i] = time.Since(start)
		got := 0
		for _, id := range exact {
			if approx[id] {
				got++
			}
		}
		sum += float64(got) / float64(max(1, len(exact)))
	}
	return sum / float64(len(searches)), lat, nil
}

// foundShare is the share of queries whose passage's page is among the results.
func foundShare(queries []evals.SynthQuery, hits [][]store.Hit) float64 {
	found := 0
	for i, q := range queries {
		if slices.ContainsFunc(hits[i], func(h store.Hit) bool { return h.URL == q.URL }) {
			found++
		}
	}
	return float64(found) / float64(len(queries))
}

// answering ingests the demo corpus once and measures extractive answers to the evaluation
// questions (or the demo's questions when the evaluation sets are not at hand).
func (b *benchmark) answering(ctx context.Context, out io.Writer) error {
	st, drop, err := b.scratch(ctx, "answer")
	if err != nil {
		return err
	}
	defer drop()
	pages, err := b.ingestDemo(ctx, st)
	if err != nil {
		return err
	}
	questions, err := evalQuestions()
	if err != nil {
		return err
	}
	questions = questions[:min(len(questions), b.opts.queries)]
	msgs, err := assistant.LoadMessages(retrieval.Languages)
	if err != nil {
		return err
	}
	searcher := retrieval.NewSearcher(st, b.embedder, retrieval.Thresholds{MinCoverage: b.cfg.MinCoverage, MinSimilarity: b.cfg.MinSimilarity}, b.quiet)
	asst := assistant.New(searcher, nil, msgs, b.quiet, assistant.Config{})
	var p50s, p95s []float64
	answered := 0
	for run := 0; run <= b.opts.runs; run++ {
		lat := make([]time.Duration, len(questions))
		for i, q := range questions {
			start := time.Now()
			ans, err := asst.Answer(ctx, q)
			if err != nil {
				return err
			}
			lat[i] = time.Since(start)
			if run == 0 && ans.Answered {
				answered++
			}
		}
		if run == 0 {
			continue // warm-up
		}
		p50s, p95s = append(p50s, ms(percentile(lat, 50))), append(p95s, ms(percentile(lat, 95)))
		b.logf("answering run %d/%d: p50 %.1f ms, p95 %.1f ms", run, b.opts.runs, p50s[len(p50s)-1], p95s[len(p95s)-1])
	}
	fmt.Fprintf(out, "Answering: assistant.Answer, extractive, on the demo corpus (%d pages), %d questions in 7 languages\n", pages, len(questions))
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "answer p50 ms\tanswer p95 ms\tanswered\t")
	fmt.Fprintf(tw, "%.1f\t%.1f\t%d/%d\t\n", median(p50s), median(p95s), answered, len(questions))
	tw.Flush()
	fmt.Fprintln(out)
	return nil
}

// ingestDemo serves the demo site on loopback and crawls it into st, as lots demo does.
func (b *benchmark) ingestDemo(ctx context.Context, st *store.Store) (int, error) {
	site, err := demosite.New()
	if err != nil {
		return 0, err
	}
	srv, err := serve(func(string) http.Handler { return site })
	if err != nil {
		return 0, err
	}
	defer srv.Close()
	b.logf("ingesting the demo corpus")
	return crawlDemo(ctx, st, ingest.NewCrawler(st, b.embedder, b.quiet, ingest.CrawlOptions{}), srv.base, io.Discard)
}

// server is an HTTP server on a loopback port.
type server struct {
	*http.Server
	base string
}

// serve serves the handler that site makes for its base URL.
func serve(site func(base string) http.Handler) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench: listen on loopback: %w", err)
	}
	base := "http://" + ln.Addr().String()
	srv := &server{Server: &http.Server{Handler: site(base), ReadHeaderTimeout: 5 * time.Second}, base: base}
	go srv.Serve(ln)
	return srv, nil
}

// serveSynthetic serves synthetic pages as a small imitation of agency websites: robots.txt,
// a sitemap, and pages with hreflang alternates, navigation, a cookie banner and a footer.
func serveSynthetic(pages []evals.SynthPage) (*server, error) {
	byPath := make(map[string]evals.SynthPage, len(pages))
	sections := map[string][]evals.SynthPage{} // agency and language → pages, for navigation
	for _, p := range pages {
		byPath[p.Path] = p
		key := p.AgencyPath + "/" + p.Language
		sections[key] = append(sections[key], p)
	}
	return serve(func(base string) http.Handler { return synthSite(pages, byPath, sections, base) })
}

func synthSite(pages []evals.SynthPage, byPath map[string]evals.SynthPage, sections map[string][]evals.SynthPage, base string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /robots.txt", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "User-agent: *\nDisallow: /intern/\n\nSitemap: %s/sitemap.xml\n", base)
	})
	mux.HandleFunc("GET /sitemap.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprintln(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">`)
		for _, p := range pages {
			fmt.Fprintf(w, "<url><loc>%s%s</loc></url>\n", base, p.Path)
		}
		fmt.Fprintln(w, "</urlset>")
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		p, ok := byPath[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		var buf bytes.Buffer
		if err := synthPageHTML.Execute(&buf, synthPageData(p, sections[p.AgencyPath+"/"+p.Language], byPath, base)); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(buf.Bytes())
	})
	return mux
}

type synthLink struct{ Lang, Label, URL string }

type synthPageView struct {
	Page       evals.SynthPage
	Dir, URL   string
	Alternates []synthLink
	Nav        []synthLink
	Sections   []synthSectionView
}

type synthSectionView struct {
	Heading    string
	Paragraphs []string
}

// synthPageData lays out a page: its translations that are served, up to ten neighbours in
// its agency and language for navigation, and its sections.
func synthPageData(p evals.SynthPage, section []evals.SynthPage, byPath map[string]evals.SynthPage, base string) synthPageView {
	v := synthPageView{Page: p, Dir: "ltr", URL: base + p.Path}
	if p.Language == "ar" || p.Language == "fa" {
		v.Dir = "rtl"
	}
	for _, lang := range retrieval.Languages {
		if u, ok := p.Alternates[lang]; ok {
			if alt, ok := byPath[strings.TrimPrefix(u, evals.SynthBase)]; ok {
				v.Alternates = append(v.Alternates, synthLink{lang, alt.Title, base + alt.Path})
			}
		}
	}
	i := slices.IndexFunc(section, func(q evals.SynthPage) bool { return q.Path == p.Path })
	for _, q := range section[max(0, i-5):min(len(section), i+5)] {
		v.Nav = append(v.Nav, synthLink{q.Language, q.Title, base + q.Path})
	}
	for _, c := range p.Chunks {
		v.Sections = append(v.Sections, synthSectionView{Heading: c.Headings[len(c.Headings)-1], Paragraphs: strings.Split(c.Text, "\n\n")})
	}
	return v
}

var synthPageHTML = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{.Page.Language}}" dir="{{.Dir}}">
<head>
<meta charset="utf-8">
<title>{{.Page.Title}} | {{.Page.Agency}}</title>
<link rel="canonical" href="{{.URL}}">
{{range .Alternates}}<link rel="alternate" hreflang="{{.Lang}}" href="{{.URL}}">
{{end}}</head>
<body>
<div id="cookie-consent" class="cookie-banner" role="dialog"><p>Cookies</p><button>OK</button></div>
<header class="site-header"><p class="logo">{{.Page.Agency}}</p>
<nav aria-label="menu"><ul>{{range .Nav}}<li><a href="{{.URL}}">{{.Label}}</a></li>{{end}}</ul></nav>
<nav aria-label="languages"><ul>{{range .Alternates}}<li><a href="{{.URL}}" hreflang="{{.Lang}}">{{.Lang}}</a></li>{{end}}</ul></nav>
</header>
<main id="main"><article>
<h1>{{.Page.Title}}</h1>
{{range .Sections}}<h2>{{.Heading}}</h2>
{{range .Paragraphs}}<p>{{.}}</p>
{{end}}{{end}}</article></main>
<footer class="site-footer"><p>© {{.Page.Agency}}</p></footer>
</body>
</html>
`))

// percentile returns the p-th percentile of durations by the nearest-rank method.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[max(0, int(math.Ceil(float64(len(s))*p/100))-1)]
}

// median returns the median of xs, the mean of the middle two for an even count.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
