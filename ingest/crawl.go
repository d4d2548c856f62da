// Package ingest learns the vetted sources: it crawls them politely, extracts the main text of
// each page, splits it into passages, embeds them and stores them for retrieval.
package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nyisverige/lots/ingest/extract"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
)

// ErrNotVetted is returned when asked to crawl a source that is not vetted.
var ErrNotVetted = errors.New("source is not vetted")

// CrawlOptions bounds a crawl.
type CrawlOptions struct {
	MaxPages  int           // pages fetched per source and run; default 5,000
	MaxDepth  int           // link depth from the start URLs and sitemaps; default 5
	MaxBytes  int64         // per response; default 10 MiB
	Timeout   time.Duration // per request; default 30s
	UserAgent string        // default the Fetcher's LotsBot
	Chunking  ChunkOptions
}

// Crawler crawls vetted sources into the store.
type Crawler struct {
	store    *store.Store
	embedder retrieval.Embedder
	log      *slog.Logger
	opts     CrawlOptions
}

// NewCrawler returns a Crawler that embeds with e and writes to st.
func NewCrawler(st *store.Store, e retrieval.Embedder, log *slog.Logger, opts CrawlOptions) *Crawler {
	if opts.MaxPages <= 0 {
		opts.MaxPages = 5000
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = 5
	}
	return &Crawler{store: st, embedder: e, log: log, opts: opts}
}

// crawl is the state of one source's run.
type crawl struct {
	*Crawler
	src     store.Source
	run     store.Run
	index   store.Index
	fetcher *Fetcher
	gates   map[string]*hostGate
	robots  map[string]*Robots
	mu      sync.Mutex
	stats   store.RunStats
	fetched int
}

// Crawl runs (or resumes) a crawl of one vetted source until its frontier is empty. All state
// lives in the store, so a crawl killed at any point continues where it stopped when run again.
func (c *Crawler) Crawl(ctx context.Context, src store.Source) (store.RunStats, error) {
	if src.Status != store.StatusVetted {
		return store.RunStats{}, fmt.Errorf("crawl %s: %w (status %s)", src.Name, ErrNotVetted, src.Status)
	}
	ix, err := c.store.EnsureLiveIndex(ctx, c.embedder.Name(), c.embedder.Dimensions())
	if err != nil {
		return store.RunStats{}, fmt.Errorf("crawl %s: %w", src.Name, err)
	}
	pruned, err := c.store.PruneOutOfScope(ctx, src)
	if err != nil {
		return store.RunStats{}, fmt.Errorf("crawl %s: %w", src.Name, err)
	}
	run, err := c.store.StartRun(ctx, src.ID)
	if err != nil {
		return store.RunStats{}, fmt.Errorf("crawl %s: %w", src.Name, err)
	}
	cr := &crawl{
		Crawler: c, src: src, run: run, index: ix,
		fetcher: NewFetcher(FetchOptions{UserAgent: c.opts.UserAgent, MaxBytes: c.opts.MaxBytes, Timeout: c.opts.Timeout, AllowPrivate: src.Local}),
		gates:   map[string]*hostGate{},
		robots:  map[string]*Robots{},
	}
	c.log.InfoContext(ctx, "crawl", "source", src.Name, "run", run.ID, "resumed", run.Resumed, "pruned", pruned)
	if err := cr.seed(ctx); err != nil {
		return cr.stats, fmt.Errorf("crawl %s: %w", src.Name, err)
	}
	if err := cr.drain(ctx); err != nil {
		return cr.stats, fmt.Errorf("crawl %s: %w", src.Name, err)
	}
	if err := c.store.FinishRun(ctx, run, cr.stats); err != nil {
		return cr.stats, err
	}
	c.log.InfoContext(ctx, "crawl finished", "source", src.Name, "fetched", cr.stats.Fetched,
		"unchanged", cr.stats.Unchanged, "removed", cr.stats.Removed, "failed", cr.stats.Failed)
	return cr.stats, nil
}

// seed puts the start URLs and every URL of the sitemaps into the frontier.
func (cr *crawl) seed(ctx context.Context) error {
	if _, err := cr.store.AddURLs(ctx, cr.src.ID, normalizeAll(cr.src.StartURLs), 0); err != nil {
		return err
	}
	sitemaps := slices.Clone(cr.src.SitemapURLs)
	for _, start := range append(slices.Clone(cr.src.StartURLs), cr.src.SitemapURLs...) {
		rb, err := cr.robotsFor(ctx, start)
		if err != nil {
			continue
		}
		for _, sm := range rb.Sitemaps() {
			if InScope(sm, cr.src.AllowedPrefixes) && !slices.Contains(sitemaps, sm) {
				sitemaps = append(sitemaps, sm)
			}
		}
	}
	for _, sm := range sitemaps {
		// A failed child sitemap still leaves the URLs read before it.
		entries, err := cr.fetcher.Sitemap(ctx, sm, cr.src.AllowedPrefixes)
		if err != nil {
			cr.log.WarnContext(ctx, "sitemap", "source", cr.src.Name, "url", sm, "err", err)
		}
		urls := make([]string, 0, len(entries))
		for _, e := range entries {
			urls = append(urls, normalizeURL(e.Loc))
		}
		if _, err := cr.store.AddURLs(ctx, cr.src.ID, urls, 0); err != nil {
			return err
		}
	}
	return nil
}

// drain fetches pending URLs, a batch at a time, with the source's concurrency.
func (cr *crawl) drain(ctx context.Context) error {
	workers := max(1, cr.src.Concurrency)
	for {
		if cr.fetched >= cr.opts.MaxPages {
			cr.log.WarnContext(ctx, "page limit reached", "source", cr.src.Name, "limit", cr.opts.MaxPages)
			return nil
		}
		batch, err := cr.store.PendingURLs(ctx, cr.src.ID, min(256, cr.opts.MaxPages-cr.fetched))
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		work := make(chan store.FrontierURL)
		errs := make(chan error, workers)
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for u := range work {
					if err := cr.visit(ctx, u); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
	feed:
		for _, u := range batch {
			select {
			case work <- u:
			case err := <-errs:
				errs <- err
				break feed
			case <-ctx.Done():
				break feed
			}
		}
		close(work)
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		cr.fetched += len(batch)
	}
}

// visit fetches one URL and stores what it finds. Problems with the page are recorded on the
// frontier URL; only store failures (which stop the crawl) are returned.
func (cr *crawl) visit(ctx context.Context, fu store.FrontierURL) error {
	u := fu.URL
	if !InScope(u, cr.src.AllowedPrefixes) {
		return cr.store.MarkURL(ctx, cr.src.ID, u, store.URLSkipped, "outside the allowed prefixes")
	}
	rb, err := cr.robotsFor(ctx, u)
	if err != nil {
		return cr.fail(ctx, u, err)
	}
	if parsed, _ := url.Parse(u); parsed != nil && !rb.Allowed(parsed.RequestURI()) {
		return cr.store.MarkURL(ctx, cr.src.ID, u, store.URLSkipped, "disallowed by robots.txt")
	}
	prior, err := cr.store.PageState(ctx, u)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	gate := cr.gateFor(u, rb.CrawlDelay())
	if err := gate.wait(ctx); err != nil {
		return err
	}
	resp, err := cr.fetcher.Fetch(ctx, Request{URL: u, ETag: prior.ETag, LastModified: prior.LastModified, AllowedPrefixes: cr.src.AllowedPrefixes})
	gate.release()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return cr.fail(ctx, u, err)
	}
	switch {
	case resp.NotModified:
		cr.count(func(s *store.RunStats) { s.Unchanged++ })
		return cr.store.TouchPage(ctx, cr.src.ID, u, u)
	case resp.Status == http.StatusNotFound || resp.Status == http.StatusGone:
		removed, err := cr.store.RemovePage(ctx, cr.src.ID, u, u)
		if removed {
			cr.log.InfoContext(ctx, "page gone", "url", u, "status", resp.Status)
			cr.count(func(s *store.RunStats) { s.Removed++ })
		}
		return err
	case resp.Status < 200 || resp.Status > 299:
		return cr.fail(ctx, u, fmt.Errorf("HTTP status %d", resp.Status))
	}
	hash := sha256.Sum256(resp.Body)
	if prior.ID != 0 && string(prior.ContentHash) == string(hash[:]) {
		cr.count(func(s *store.RunStats) { s.Unchanged++ })
		return cr.store.TouchPage(ctx, cr.src.ID, u, u)
	}
	var doc *extract.Document
	switch resp.ContentType {
	case "text/html", "application/xhtml+xml":
		doc, err = extract.HTML(resp.Body, resp.URL)
	case "application/pdf":
		doc, err = extract.PDF(resp.Body, resp.URL)
	default:
		return cr.store.MarkURL(ctx, cr.src.ID, u, store.URLSkipped, "not a page Lots reads: "+resp.ContentType)
	}
	if err != nil {
		return cr.fail(ctx, u, fmt.Errorf("extract: %w", err))
	}
	if err := cr.follow(ctx, doc, fu.Depth); err != nil {
		return err
	}
	if !slices.Contains(retrieval.Languages, doc.Language) {
		return cr.store.MarkURL(ctx, cr.src.ID, u, store.URLSkipped, fmt.Sprintf("language %q is not supported", doc.Language))
	}
	if len(cr.src.Languages) > 0 && !slices.Contains(cr.src.Languages, doc.Language) {
		return cr.store.MarkURL(ctx, cr.src.ID, u, store.URLSkipped, fmt.Sprintf("language %q is not one of the source's", doc.Language))
	}
	page, chunks, err := cr.prepare(ctx, u, resp, doc, hash[:])
	if err != nil {
		return cr.fail(ctx, u, err)
	}
	if err := cr.store.SavePage(ctx, u, page, cr.index, cr.src.Agency, chunks); err != nil {
		return err
	}
	cr.count(func(s *store.RunStats) { s.Fetched++ })
	return nil
}

// prepare turns an extracted document into the page row and its embedded chunks.
func (cr *crawl) prepare(ctx context.Context, u string, resp *Response, doc *extract.Document, hash []byte) (store.Page, []store.Chunk, error) {
	passages := Chunk(doc, cr.opts.Chunking)
	if len(passages) == 0 {
		return store.Page{}, nil, fmt.Errorf("extract: %w", extract.ErrNoContent)
	}
	texts := make([]string, len(passages))
	for i, p := range passages {
		texts[i] = EmbeddingText(doc.Title, p)
	}
	vecs, err := cr.embedder.Embed(ctx, texts)
	if err != nil {
		return store.Page{}, nil, err
	}
	chunks := make([]store.Chunk, len(passages))
	for i, p := range passages {
		chunks[i] = store.Chunk{Ord: i, Headings: p.Headings, Text: p.Text, Embedding: vecs[i]}
	}
	sections, err := json.Marshal(doc.Sections)
	if err != nil {
		return store.Page{}, nil, err
	}
	pageURL := normalizeURL(resp.URL)
	if pageURL == "" {
		pageURL = u
	}
	if c := normalizeURL(doc.Canonical); c != "" && c != pageURL && InScope(c, cr.src.AllowedPrefixes) && sameHost(c, u) {
		pageURL = c
	}
	return store.Page{
		SourceID: cr.src.ID, URL: pageURL, Title: doc.Title, Language: doc.Language,
		TranslationGroup: translationGroup(pageURL, doc.Alternates), Alternates: doc.Alternates,
		ContentType: resp.ContentType, ContentHash: hash, ETag: resp.ETag, LastModified: resp.LastModified,
		Modified: doc.Modified, FetchedAt: time.Now().UTC(), Sections: sections,
	}, chunks, nil
}

// follow adds the page's in-scope links and translations to the frontier.
func (cr *crawl) follow(ctx context.Context, doc *extract.Document, depth int) error {
	if depth >= cr.opts.MaxDepth {
		return nil
	}
	var next []string
	for _, l := range doc.Links {
		if InScope(l, cr.src.AllowedPrefixes) {
			next = append(next, normalizeURL(l))
		}
	}
	for _, l := range doc.Alternates {
		if InScope(l, cr.src.AllowedPrefixes) {
			next = append(next, normalizeURL(l))
		}
	}
	_, err := cr.store.AddURLs(ctx, cr.src.ID, next, depth+1)
	return err
}

func (cr *crawl) fail(ctx context.Context, u string, cause error) error {
	cr.log.WarnContext(ctx, "page failed", "source", cr.src.Name, "url", u, "err", cause)
	cr.count(func(s *store.RunStats) { s.Failed++ })
	return cr.store.MarkURL(ctx, cr.src.ID, u, store.URLFailed, cause.Error())
}

func (cr *crawl) count(f func(*store.RunStats)) {
	cr.mu.Lock()
	f(&cr.stats)
	cr.mu.Unlock()
}

// robotsFor returns the robots.txt rules of u's host, fetched once per crawl.
func (cr *crawl) robotsFor(ctx context.Context, u string) (*Robots, error) {
	parsed, err := url.Parse(u)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", u, err)
	}
	key := parsed.Scheme + "://" + parsed.Host
	cr.mu.Lock()
	rb, ok := cr.robots[key]
	cr.mu.Unlock()
	if ok {
		return rb, nil
	}
	rb, err = cr.fetcher.Robots(ctx, key)
	if err != nil {
		return nil, err
	}
	cr.mu.Lock()
	cr.robots[key] = rb
	cr.mu.Unlock()
	return rb, nil
}

func (cr *crawl) gateFor(u string, robotsDelay time.Duration) *hostGate {
	host := u
	if parsed, err := url.Parse(u); err == nil {
		host = parsed.Host
	}
	cr.mu.Lock()
	defer cr.mu.Unlock()
	g, ok := cr.gates[host]
	if !ok {
		g = newHostGate(max(1, cr.src.Concurrency), max(cr.src.CrawlDelay, robotsDelay))
		cr.gates[host] = g
	}
	return g
}

// translationGroup names the set of pages that translate each other: the smallest URL among a
// page and its hreflang alternates, which every member of the set computes alike.
func translationGroup(pageURL string, alternates map[string]string) string {
	group := pageURL
	for _, a := range alternates {
		if a = normalizeURL(a); a != "" && a < group {
			group = a
		}
	}
	return group
}

// normalizeURL drops the fragment; the empty string stays empty.
func normalizeURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return ""
	}
	u.Fragment = ""
	u.RawFragment = ""
	return u.String()
}

func normalizeAll(urls []string) []string {
	out := make([]string, 0, len(urls))
	for _, u := range urls {
		if n := normalizeURL(u); n != "" {
			out = append(out, n)
		}
	}
	return out
}

func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && strings.EqualFold(ua.Host, ub.Host)
}

// hostGate limits requests to one host: at most n at once, and one start per delay.
type hostGate struct {
	slots chan struct{}
	delay time.Duration
	mu    sync.Mutex
	next  time.Time
}

func newHostGate(n int, delay time.Duration) *hostGate {
	return &hostGate{slots: make(chan struct{}, n), delay: delay}
}

func (g *hostGate) wait(ctx context.Context) error {
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	g.mu.Lock()
	now := time.Now()
	start := now
	if g.next.After(now) {
		start = g.next
	}
	g.next = start.Add(g.delay)
	g.mu.Unlock()
	if d := start.Sub(now); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			<-g.slots
			return ctx.Err()
		}
	}
	return nil
}

func (g *hostGate) release() { <-g.slots }
