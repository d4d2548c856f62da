// Package ingest learns the vetted sources: it crawls them politely, extracts the main text of
// each page, splits it into passages, embeds them and stores them for retrieval.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

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
	Chunking  ChunkOptions  // passage sizes of a first index; later the live version's own
	// Embedders gives the embedder of a live version that another embedder than the crawler's
	// built (one a steward published); nil: such a version stops the crawl with
	// store.ErrEmbedderMismatch.
	Embedders retrieval.EmbedderSource
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
	src      store.Source
	run      store.Run
	index    store.Index
	embedder retrieval.Embedder // the one that built index
	approval bool               // changes wait for a steward
	excluded map[string]bool    // URLs stewards keep out
	held     map[string]bool    // URLs with a change pending when the run started
	fetcher  *Fetcher
	gates    map[string]*hostGate
	robots   map[string]*Robots
	mu       sync.Mutex
	stats    store.RunStats
	fetched  int
	progress func(done, total int)
	done     int // frontier URLs dealt with, for progress
	total    int // frontier URLs known
	reported time.Time
}

// Crawl runs (or resumes) a crawl of one vetted source until its frontier is empty. All state
// lives in the store, so a crawl killed at any point continues where it stopped when run again.
// Every new, changed and gone page is recorded as a change; when the source requires approval,
// such pages are held for a steward and the live pages stay as they were.
func (c *Crawler) Crawl(ctx context.Context, src store.Source) (store.RunStats, error) {
	return c.CrawlReporting(ctx, src, nil)
}

// CrawlReporting is Crawl that tells progress (when not nil), at most once a second and when
// the crawl ends, how many URLs of the source's frontier the run has dealt with and how many it
// knows.
func (c *Crawler) CrawlReporting(ctx context.Context, src store.Source, progress func(done, total int)) (store.RunStats, error) {
	if src.Status != store.StatusVetted {
		return store.RunStats{}, fmt.Errorf("crawl %s: %w (status %s)", src.Name, ErrNotVetted, src.Status)
	}
	ix, err := c.liveIndex(ctx)
	if err != nil {
		return store.RunStats{}, fmt.Errorf("crawl %s: %w", src.Name, err)
	}
	embedder, err := c.embedderFor(ctx, ix)
	if err != nil {
		return store.RunStats{}, fmt.Errorf("crawl %s: %w", src.Name, err)
	}
	pruned, err := c.store.PruneOutOfScope(ctx, src)
	if err != nil {
		return store.RunStats{}, fmt.Errorf("crawl %s: %w", src.Name, err)
	}
	approval, err := c.store.RequiresApproval(ctx, src.ID)
	if err != nil {
		return store.RunStats{}, fmt.Errorf("crawl %s: %w", src.Name, err)
	}
	excluded, err := c.store.ExcludedURLs(ctx, src.ID)
	if err != nil {
		return store.RunStats{}, fmt.Errorf("crawl %s: %w", src.Name, err)
	}
	held, err := c.store.HeldURLs(ctx, src.ID)
	if err != nil {
		return store.RunStats{}, fmt.Errorf("crawl %s: %w", src.Name, err)
	}
	run, err := c.store.StartRun(ctx, src.ID)
	if err != nil {
		return store.RunStats{}, fmt.Errorf("crawl %s: %w", src.Name, err)
	}
	cr := &crawl{
		Crawler: c, src: src, run: run, index: ix, embedder: embedder, approval: approval, excluded: excluded, held: held,
		fetcher:  NewFetcher(FetchOptions{UserAgent: c.opts.UserAgent, MaxBytes: c.opts.MaxBytes, Timeout: c.opts.Timeout, AllowPrivate: src.Local}),
		gates:    map[string]*hostGate{},
		robots:   map[string]*Robots{},
		progress: progress,
	}
	c.log.InfoContext(ctx, "crawl", "source", src.Name, "run", run.ID, "resumed", run.Resumed, "pruned", pruned, "approval", approval)
	if err := cr.seed(ctx); err != nil {
		return cr.stats, fmt.Errorf("crawl %s: %w", src.Name, err)
	}
	if err := cr.report(ctx, true); err != nil {
		return cr.stats, fmt.Errorf("crawl %s: %w", src.Name, err)
	}
	if err := cr.drain(ctx); err != nil {
		return cr.stats, fmt.Errorf("crawl %s: %w", src.Name, err)
	}
	if err := c.store.FinishRun(ctx, run, cr.stats); err != nil {
		return cr.stats, err
	}
	if err := cr.report(ctx, true); err != nil {
		return cr.stats, fmt.Errorf("crawl %s: %w", src.Name, err)
	}
	c.log.InfoContext(ctx, "crawl finished", "source", src.Name, "fetched", cr.stats.Fetched, "held", cr.stats.Held,
		"unchanged", cr.stats.Unchanged, "removed", cr.stats.Removed, "failed", cr.stats.Failed)
	return cr.stats, nil
}

// liveIndex is the live index version, or a first one for the crawler's embedder.
func (c *Crawler) liveIndex(ctx context.Context) (store.Index, error) {
	ix, err := c.store.LiveIndex(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return c.store.EnsureLiveIndex(ctx, c.embedder.Name(), c.embedder.Dimensions())
	}
	return ix, err
}

// embedderFor is the embedder that built index version ix: pages saved into it must be embedded
// as its other passages were.
func (c *Crawler) embedderFor(ctx context.Context, ix store.Index) (retrieval.Embedder, error) {
	if ix.Embedder == c.embedder.Name() && ix.Dimensions == c.embedder.Dimensions() {
		return c.embedder, nil
	}
	if c.opts.Embedders != nil {
		if e, _, err := c.opts.Embedders(ctx, ix.Embedder, ix.Dimensions); err == nil {
			return e, nil
		}
	}
	return nil, fmt.Errorf("index %d uses %s (%d dimensions), the crawler %s (%d): %w",
		ix.ID, ix.Embedder, ix.Dimensions, c.embedder.Name(), c.embedder.Dimensions(), store.ErrEmbedderMismatch)
}

// report tells the progress callback how far the run has come: counted afresh in the store when
// forced, else from the run's own counts at most once a second.
func (cr *crawl) report(ctx context.Context, force bool) error {
	if cr.progress == nil {
		return nil
	}
	cr.mu.Lock()
	defer cr.mu.Unlock()
	if force {
		done, total, err := cr.store.CountURLs(ctx, cr.src.ID)
		if err != nil {
			return err
		}
		cr.done, cr.total = done, total
	} else if time.Since(cr.reported) < time.Second {
		return nil
	}
	cr.reported = time.Now()
	cr.progress(cr.done, max(cr.total, cr.done))
	return nil
}

// advance counts a frontier URL dealt with, and n newly found.
func (cr *crawl) advance(ctx context.Context, done, found int) {
	cr.mu.Lock()
	cr.done += done
	cr.total += found
	cr.mu.Unlock()
	cr.report(ctx, false)
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
					cr.advance(ctx, 1, 0)
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
