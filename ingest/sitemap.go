package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

const (
	maxSitemapURLs  = 50_000   // in total per Sitemap call, and per file (the protocol's own limit)
	maxSitemapDepth = 3        // levels of nested indexes below the first sitemap
	maxSitemapFiles = 1_000    // sitemap files fetched per Sitemap call
	maxSitemapBytes = 50 << 20 // decompressed; the protocol allows 50 MB
)

// SitemapURL is one <url> entry of a sitemap; LastMod is zero when absent or unreadable.
type SitemapURL struct {
	Loc     string
	LastMod time.Time
}

// sitemapEntry is a <url> of a urlset or a <sitemap> of a sitemapindex; both have loc and lastmod.
type sitemapEntry struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod"`
}

// ParseSitemap parses a sitemap (<urlset>) or a sitemap index (<sitemapindex>), gzip-compressed or not.
// A sitemap yields urls, an index yields the URLs of its children. At most 50,000 entries are read.
func ParseSitemap(body []byte) (urls []SitemapURL, children []string, err error) {
	if bytes.HasPrefix(body, []byte{0x1f, 0x8b}) {
		if body, err = gunzip(body, maxSitemapBytes); err != nil {
			return nil, nil, fmt.Errorf("sitemap: %w", err)
		}
	}
	dec := xml.NewDecoder(bytes.NewReader(body))
	root, err := firstElement(dec)
	if err != nil {
		return nil, nil, fmt.Errorf("sitemap: %w", err)
	}
	var item string
	switch root.Name.Local {
	case "urlset":
		item = "url"
	case "sitemapindex":
		item = "sitemap"
	default:
		return nil, nil, fmt.Errorf("sitemap: unexpected root element <%s>", root.Name.Local)
	}
	for n := 0; n < maxSitemapURLs; {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("sitemap: %w", err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok || start.Name.Local != item {
			continue
		}
		var e sitemapEntry
		if err := dec.DecodeElement(&e, &start); err != nil {
			return nil, nil, fmt.Errorf("sitemap <%s>: %w", item, err)
		}
		loc := strings.TrimSpace(e.Loc)
		if loc == "" {
			continue
		}
		n++
		if item == "sitemap" {
			children = append(children, loc)
		} else {
			urls = append(urls, SitemapURL{Loc: loc, LastMod: parseLastMod(e.LastMod)})
		}
	}
	return urls, children, nil
}

func firstElement(dec *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return xml.StartElement{}, errors.New("no root element")
		}
		if err != nil {
			return xml.StartElement{}, err
		}
		if start, ok := tok.(xml.StartElement); ok {
			return start, nil
		}
	}
}

func gunzip(body []byte, limit int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	defer zr.Close()
	out, err := io.ReadAll(&capReader{r: zr, n: limit})
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return out, nil
}

// parseLastMod reads the W3C Datetime profiles sitemaps use, and the zone-less form some sites emit.
func parseLastMod(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05",
		"2006-01-02", "2006-01", "2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// Sitemap fetches sitemapURL and, through sitemap indexes, its children on the same host, up to three
// levels deep; each file may be as large as the protocol allows (50 MB), whatever FetchOptions.MaxBytes
// says. It returns at most 50,000 distinct URLs, keeping only those inside allowedPrefixes (no prefixes
// keeps all). If the first sitemap fails, Sitemap returns just the error; if a child fails or ctx ends,
// it returns the URLs read so far together with the error.
func (f *Fetcher) Sitemap(ctx context.Context, sitemapURL string, allowedPrefixes []string) ([]SitemapURL, error) {
	root, err := url.Parse(sitemapURL)
	if err != nil {
		return nil, fmt.Errorf("sitemap %s: %w", sitemapURL, err)
	}
	sameHost := []string{"http://" + root.Host + "/", "https://" + root.Host + "/"}
	type job struct {
		url   string
		depth int
	}
	queue := []job{{sitemapURL, 0}}
	queued := map[string]bool{sitemapURL: true}
	seen := map[string]bool{}
	var out []SitemapURL
	var errs []error
	for fetched := 0; len(queue) > 0 && fetched < maxSitemapFiles && len(out) < maxSitemapURLs; fetched++ {
		j := queue[0]
		queue = queue[1:]
		urls, children, err := f.sitemapFile(ctx, j.url)
		if err != nil {
			if j.depth == 0 || ctx.Err() != nil {
				return out, err
			}
			errs = append(errs, err)
			continue
		}
		for _, u := range urls {
			if len(out) == maxSitemapURLs {
				break
			}
			if seen[u.Loc] || (len(allowedPrefixes) > 0 && !InScope(u.Loc, allowedPrefixes)) {
				continue
			}
			seen[u.Loc] = true
			out = append(out, u)
		}
		for _, child := range children {
			if j.depth < maxSitemapDepth && !queued[child] && InScope(child, sameHost) {
				queued[child] = true
				queue = append(queue, job{child, j.depth + 1})
			}
		}
	}
	return out, errors.Join(errs...)
}

// sitemapFile fetches and parses one sitemap or sitemap index.
func (f *Fetcher) sitemapFile(ctx context.Context, sitemapURL string) ([]SitemapURL, []string, error) {
	resp, err := f.fetch(ctx, Request{URL: sitemapURL}, maxSitemapBytes, false)
	if err != nil {
		return nil, nil, fmt.Errorf("sitemap: %w", err)
	}
	if resp.Status < 200 || resp.Status > 299 {
		return nil, nil, fmt.Errorf("sitemap %s: status %d", sitemapURL, resp.Status)
	}
	urls, children, err := ParseSitemap(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("parse %s: %w", sitemapURL, err)
	}
	return urls, children, nil
}
