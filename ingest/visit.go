package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/nyisverige/lots/ingest/extract"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
)

// visit fetches one URL and stores what it finds. Problems with the page are recorded on the
// frontier URL; only store failures (which stop the crawl) are returned.
func (cr *crawl) visit(ctx context.Context, fu store.FrontierURL) error {
	u := fu.URL
	if cr.excluded[u] {
		return cr.skip(ctx, u, store.FailExcluded, "excluded by a steward")
	}
	if !InScope(u, cr.src.AllowedPrefixes) {
		return cr.skip(ctx, u, store.FailOutOfScope, "outside the allowed prefixes")
	}
	rb, err := cr.robotsFor(ctx, u)
	if err != nil {
		return cr.fail(ctx, u, "", err)
	}
	if parsed, _ := url.Parse(u); parsed != nil && !rb.Allowed(parsed.RequestURI()) {
		return cr.skip(ctx, u, store.FailRobots, "disallowed by robots.txt")
	}
	prior, err := cr.pageState(ctx, u)
	if err != nil {
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
		return cr.fail(ctx, u, "", err)
	}
	switch {
	case resp.NotModified:
		return cr.unchanged(ctx, u, u)
	case resp.Status == http.StatusNotFound || resp.Status == http.StatusGone:
		return cr.gone(ctx, u, prior, fmt.Sprintf("HTTP status %d %s", resp.Status, http.StatusText(resp.Status)))
	case resp.Status < 200 || resp.Status > 299:
		return cr.fail(ctx, u, store.FailHTTPStatus, fmt.Errorf("HTTP status %d", resp.Status))
	}
	hash := sha256.Sum256(resp.Body)
	if prior.ID != 0 && string(prior.ContentHash) == string(hash[:]) {
		return cr.unchanged(ctx, u, u)
	}
	var doc *extract.Document
	switch resp.ContentType {
	case "text/html", "application/xhtml+xml":
		doc, err = extract.HTML(resp.Body, resp.URL)
	case "application/pdf":
		doc, err = extract.PDF(resp.Body, resp.URL)
	default:
		return cr.skip(ctx, u, store.FailUnsupported, "not a page Lots reads: "+resp.ContentType)
	}
	if err != nil {
		return cr.fail(ctx, u, store.FailExtract, fmt.Errorf("extract: %w", err))
	}
	if err := cr.follow(ctx, doc, fu.Depth); err != nil {
		return err
	}
	if !slices.Contains(retrieval.Languages, doc.Language) {
		return cr.skip(ctx, u, store.FailUnsupported, fmt.Sprintf("language %q is not supported", doc.Language))
	}
	if len(cr.src.Languages) > 0 && !slices.Contains(cr.src.Languages, doc.Language) {
		return cr.skip(ctx, u, store.FailUnsupported, fmt.Sprintf("language %q is not one of the source's", doc.Language))
	}
	page, err := cr.page(u, resp, doc, hash[:])
	if err != nil {
		return cr.fail(ctx, u, store.FailExtract, err)
	}
	if page.URL != u {
		// The page names another URL as canonical: that is the page it changes.
		if cr.excluded[page.URL] {
			return cr.skip(ctx, u, store.FailExcluded, "its canonical URL "+page.URL+" is excluded by a steward")
		}
		if prior, err = cr.pageState(ctx, page.URL); err != nil {
			return err
		}
		if prior.ID != 0 && string(prior.ContentHash) == string(hash[:]) {
			return cr.unchanged(ctx, u, page.URL)
		}
	}
	return cr.save(ctx, u, prior, page, doc)
}

// save stores a fetched page that is new or whose body changed, and records the change when its
// text did; when the source requires approval, a change is held for a steward instead.
func (cr *crawl) save(ctx context.Context, u string, prior store.PageState, page store.Page, doc *extract.Document) error {
	ch := cr.change(prior, page, doc)
	if cr.approval && ch != nil {
		ch.Held = &page
		held, err := cr.store.HoldChange(ctx, u, "", ch)
		if held {
			cr.log.InfoContext(ctx, "change held for approval", "url", page.URL, "kind", ch.Kind)
			cr.count(func(s *store.RunStats) { s.Held++ })
		} else {
			cr.count(func(s *store.RunStats) { s.Unchanged++ })
		}
		return err
	}
	chunks, err := chunkPage(ctx, cr.embedder, cr.chunking(cr.index), doc.Title, doc.Sections)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return cr.fail(ctx, u, "", err)
	}
	if err := cr.store.SaveChangedPage(ctx, u, page, cr.index, cr.src.Agency, chunks, ch); err != nil {
		return err
	}
	cr.count(func(s *store.RunStats) { s.Fetched++ })
	return nil
}

// unchanged records that the live page is still what the site serves. A change held for it is
// moot then: the site went back to the live version.
func (cr *crawl) unchanged(ctx context.Context, frontierURL, pageURL string) error {
	cr.count(func(s *store.RunStats) { s.Unchanged++ })
	if cr.held[pageURL] {
		if _, err := cr.store.WithdrawPending(ctx, pageURL); err != nil {
			return err
		}
	}
	return cr.store.TouchPage(ctx, cr.src.ID, frontierURL, pageURL)
}

// gone deals with a URL that answered 404 or 410: a broken link, or a page the agency removed,
// which leaves the index (or waits for a steward to let it go).
func (cr *crawl) gone(ctx context.Context, u string, prior store.PageState, reason string) error {
	if prior.ID == 0 {
		return cr.store.MarkURL(ctx, cr.src.ID, u, store.URLGone, store.FailNotFound, reason)
	}
	ch := &store.PageChange{RunID: cr.run.ID, SourceID: cr.src.ID, URL: u, PageID: prior.ID, Kind: store.ChangeGone,
		Title: prior.Title, Language: prior.Language, OldText: storedText(prior.Title, prior.Sections)}
	if cr.approval {
		held, err := cr.store.HoldChange(ctx, u, reason, ch)
		if held {
			cr.log.InfoContext(ctx, "removal held for approval", "url", u)
			cr.count(func(s *store.RunStats) { s.Held++ })
		}
		return err
	}
	removed, err := cr.store.RemoveGonePage(ctx, cr.src.ID, u, u, reason, ch)
	if removed {
		cr.log.InfoContext(ctx, "page gone", "url", u, "reason", reason)
		cr.count(func(s *store.RunStats) { s.Removed++ })
	}
	return err
}

func (cr *crawl) pageState(ctx context.Context, u string) (store.PageState, error) {
	st, err := cr.store.PageState(ctx, u)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return st, err
	}
	return st, nil
}

// page turns an extracted document into the page row.
func (cr *crawl) page(u string, resp *Response, doc *extract.Document, hash []byte) (store.Page, error) {
	if !hasText(doc.Sections) {
		return store.Page{}, fmt.Errorf("extract: %w", extract.ErrNoContent)
	}
	sections, err := json.Marshal(doc.Sections)
	if err != nil {
		return store.Page{}, err
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
	}, nil
}

// chunking is how pages are split into passages for index version ix: as the version was
// built, or the crawler's options for a first version.
func (c *Crawler) chunking(ix store.Index) ChunkOptions {
	if ix.Chunking.Words > 0 {
		return chunkingOf(ix.Chunking)
	}
	return c.opts.Chunking
}

// chunkPage splits a page's sections into passages and embeds them with e.
func chunkPage(ctx context.Context, e retrieval.Embedder, opts ChunkOptions, title string, sections []extract.Section) ([]store.Chunk, error) {
	passages := Chunk(&extract.Document{Title: title, Sections: sections}, opts)
	if len(passages) == 0 {
		return nil, fmt.Errorf("extract: %w", extract.ErrNoContent)
	}
	chunks, err := embedPassages(ctx, e, []string{title}, [][]Passage{passages})
	if err != nil {
		return nil, err
	}
	return chunks[0], nil
}

// embedPassages embeds the passages of pages (passages[i] are those of the page titled
// titles[i]) in one call to the embedder, and returns them as each page's chunks.
func embedPassages(ctx context.Context, e retrieval.Embedder, titles []string, passages [][]Passage) ([][]store.Chunk, error) {
	var texts []string
	for i, ps := range passages {
		for _, p := range ps {
			texts = append(texts, EmbeddingText(titles[i], p))
		}
	}
	vecs, err := e.Embed(ctx, texts)
	if err != nil {
		return nil, err
	}
	if len(vecs) != len(texts) {
		return nil, fmt.Errorf("embed %d passages: got %d vectors", len(texts), len(vecs))
	}
	out := make([][]store.Chunk, len(passages))
	n := 0
	for i, ps := range passages {
		out[i] = make([]store.Chunk, len(ps))
		for j, p := range ps {
			out[i][j] = store.Chunk{Ord: j, Headings: p.Headings, Text: p.Text, Embedding: vecs[n]}
			n++
		}
	}
	return out, nil
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
	added, err := cr.store.AddURLs(ctx, cr.src.ID, next, depth+1)
	cr.advance(ctx, 0, added)
	return err
}

// fail records why a URL failed; kind "" classifies the error.
func (cr *crawl) fail(ctx context.Context, u, kind string, cause error) error {
	if kind == "" {
		kind = failKind(cause)
	}
	cr.log.WarnContext(ctx, "page failed", "source", cr.src.Name, "url", u, "kind", kind, "err", cause)
	cr.count(func(s *store.RunStats) { s.Failed++ })
	return cr.store.MarkURL(ctx, cr.src.ID, u, store.URLFailed, kind, cause.Error())
}

// skip records why a URL is not read: refused by robots.txt, excluded, not a page Lots reads.
func (cr *crawl) skip(ctx context.Context, u, kind, reason string) error {
	return cr.store.MarkURL(ctx, cr.src.ID, u, store.URLSkipped, kind, reason)
}

// failKind tells the kind of a fetch error, for the stewards' console.
func failKind(err error) string {
	var netErr net.Error
	switch {
	case errors.Is(err, ErrTooLarge):
		return store.FailTooLarge
	case errors.Is(err, ErrBlockedAddress):
		return store.FailBlocked
	case errors.Is(err, ErrOutOfScope), errors.Is(err, ErrUnsupportedScheme):
		return store.FailOutOfScope
	case errors.Is(err, ErrTooManyRedirects):
		return store.FailRedirect
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return store.FailTimeout
	case errors.Is(err, extract.ErrNoContent):
		return store.FailExtract
	}
	return store.FailOther
}

func (cr *crawl) count(f func(*store.RunStats)) {
	cr.mu.Lock()
	f(&cr.stats)
	cr.mu.Unlock()
}
