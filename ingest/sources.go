package ingest

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
)

// sourceFile is the shape of sources.yaml.
type sourceFile struct {
	Sources []sourceEntry `yaml:"sources"`
}

type sourceEntry struct {
	Name            string         `yaml:"name"`
	Agency          string         `yaml:"agency"`
	StartURLs       []string       `yaml:"start_urls"`
	Sitemaps        []string       `yaml:"sitemaps"`
	AllowedPrefixes []string       `yaml:"allowed_prefixes"`
	Languages       []string       `yaml:"languages"`
	RecrawlInterval time.Duration  `yaml:"recrawl_interval"`
	CrawlDelay      *time.Duration `yaml:"crawl_delay"`
	Concurrency     int            `yaml:"concurrency"`
	Local           bool           `yaml:"local"`
	Status          string         `yaml:"status"`
	line            int
}

// ParseSources reads a sources.yaml registry. Every problem is reported with its line, and a
// file with any problem is refused whole.
func ParseSources(data []byte) ([]store.Source, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("sources: %w", err)
	}
	var file sourceFile
	if err := root.Decode(&file); err != nil {
		return nil, fmt.Errorf("sources: %w", err)
	}
	// Attach line numbers: the sequence under "sources" holds one mapping per entry.
	if len(root.Content) == 1 {
		m := root.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == "sources" {
				for j, n := range m.Content[i+1].Content {
					if j < len(file.Sources) {
						file.Sources[j].line = n.Line
					}
				}
			}
		}
	}
	var errs []error
	var out []store.Source
	seen := map[string]bool{}
	for _, e := range file.Sources {
		src, err := e.source()
		if err == nil && seen[src.Name] {
			err = fmt.Errorf("name %q is used twice", src.Name)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("sources: line %d: %w", e.line, err))
			continue
		}
		seen[src.Name] = true
		out = append(out, src)
	}
	if len(file.Sources) == 0 {
		errs = append(errs, errors.New("sources: no sources listed under \"sources:\""))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func (e sourceEntry) source() (store.Source, error) {
	src := store.Source{
		Name: e.Name, Agency: e.Agency,
		StartURLs: e.StartURLs, SitemapURLs: e.Sitemaps, AllowedPrefixes: e.AllowedPrefixes,
		Languages: e.Languages, RecrawlInterval: e.RecrawlInterval, Concurrency: e.Concurrency,
		Local: e.Local, Status: e.Status, CrawlDelay: time.Second,
	}
	if e.CrawlDelay != nil {
		src.CrawlDelay = *e.CrawlDelay
	}
	return ValidateSource(src)
}

// ValidateSource checks a source as a steward wrote it, in sources.yaml or the console, and
// fills in the defaults: a recrawl interval of 7 days, concurrency 2, status proposed. The crawl
// delay is taken as given (0 is allowed).
func ValidateSource(src store.Source) (store.Source, error) {
	src.Name, src.Agency = strings.TrimSpace(src.Name), strings.TrimSpace(src.Agency)
	if src.RecrawlInterval == 0 {
		src.RecrawlInterval = 7 * 24 * time.Hour
	}
	if src.Concurrency == 0 {
		src.Concurrency = 2
	}
	if src.Status == "" {
		src.Status = store.StatusProposed
	}
	switch {
	case src.Name == "":
		return src, errors.New("name is required")
	case src.Agency == "":
		return src, fmt.Errorf("source %s: agency is required", src.Name)
	case len(src.AllowedPrefixes) == 0:
		return src, fmt.Errorf("source %s: allowed_prefixes is required", src.Name)
	case len(src.StartURLs) == 0 && len(src.SitemapURLs) == 0:
		return src, fmt.Errorf("source %s: give start_urls or sitemaps", src.Name)
	case src.Concurrency < 1 || src.Concurrency > 32:
		return src, fmt.Errorf("source %s: concurrency must be 1 to 32", src.Name)
	case src.CrawlDelay < 0 || src.RecrawlInterval < time.Hour:
		return src, fmt.Errorf("source %s: crawl_delay must be >= 0 and recrawl_interval >= 1h", src.Name)
	case !slices.Contains([]string{store.StatusProposed, store.StatusVetted, store.StatusPaused}, src.Status):
		return src, fmt.Errorf("source %s: status must be proposed, vetted or paused, not %q", src.Name, src.Status)
	}
	for _, p := range src.AllowedPrefixes {
		if err := checkHTTPURL(p); err != nil {
			return src, fmt.Errorf("source %s: allowed prefix %w", src.Name, err)
		}
	}
	for _, u := range append(slices.Clone(src.StartURLs), src.SitemapURLs...) {
		if err := checkHTTPURL(u); err != nil {
			return src, fmt.Errorf("source %s: %w", src.Name, err)
		}
		if !InScope(u, src.AllowedPrefixes) {
			return src, fmt.Errorf("source %s: %s is outside the allowed prefixes", src.Name, u)
		}
	}
	for _, l := range src.Languages {
		if !slices.Contains(retrieval.Languages, l) {
			return src, fmt.Errorf("source %s: language %q is not supported (supported: %s)", src.Name, l, strings.Join(retrieval.Languages, ", "))
		}
	}
	return src, nil
}

func checkHTTPURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q: %w", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q: must be an absolute http or https URL", raw)
	}
	return nil
}
