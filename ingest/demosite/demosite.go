// Package demosite serves the demo corpus: a small imitation of several Swedish agencies'
// websites, in the seven supported languages, with robots.txt, sitemaps, hreflang alternates,
// navigation, cookie banners and footers — everything a real crawl meets.
package demosite

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"sort"
	"strings"
	"time"
)

//go:embed content
var contentFS embed.FS

// Agency is one imitation agency website under /<Path>/.
type Agency struct {
	Path string
	Name string
}

// Agencies are the agencies the demo corpus publishes under.
var Agencies = []Agency{
	{"skatteverket", "Skatteverket"},
	{"migrationsverket", "Migrationsverket"},
	{"informationsverige", "Länsstyrelserna – Information Sverige"},
	{"arbetsformedlingen", "Arbetsförmedlingen"},
	{"1177", "1177 Vårdguiden"},
	{"forsakringskassan", "Försäkringskassan"},
	{"transportstyrelsen", "Transportstyrelsen"},
}

// topicAgency says which agency publishes each topic.
var topicAgency = map[string]string{
	"personal-identity-number": "skatteverket",
	"coordination-number":      "skatteverket",
	"id-card":                  "skatteverket",
	"taxes":                    "skatteverket",
	"moving-within-sweden":     "skatteverket",
	"residence-permit":         "migrationsverket",
	"bank-account":             "informationsverige",
	"sfi":                      "informationsverige",
	"housing":                  "informationsverige",
	"school":                   "informationsverige",
	"interpreters":             "informationsverige",
	"job-seeker":               "arbetsformedlingen",
	"healthcare":               "1177",
	"child-allowance":          "forsakringskassan",
	"parental-benefit":         "forsakringskassan",
	"driving-licence":          "transportstyrelsen",
}

var rtl = map[string]bool{"ar": true, "fa": true}

// Page is one page of the demo corpus.
type Page struct {
	Agency   string
	Language string
	Slug     string
	Title    string
	Summary  string
	Updated  time.Time
	Body     string // the page's markdown-like body
}

// Path is the page's URL path.
func (p Page) Path() string { return "/" + p.Agency + "/" + p.Language + "/" + p.Slug }

// Site is the demo corpus, parsed and ready to serve.
type Site struct {
	pages  map[string]Page              // by path
	chrome map[string]map[string]string // language → key → text
	langs  []string
	// unpublished paths answer 404, as a page an agency took down does.
	unpublished map[string]bool
}

// New parses the embedded corpus. It fails on a malformed content file.
func New() (*Site, error) {
	s := &Site{pages: map[string]Page{}, chrome: map[string]map[string]string{}, unpublished: map[string]bool{}}
	dirs, err := fs.ReadDir(contentFS, "content")
	if err != nil {
		return nil, fmt.Errorf("demo site: %w", err)
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		lang := d.Name()
		s.langs = append(s.langs, lang)
		files, err := fs.ReadDir(contentFS, "content/"+lang)
		if err != nil {
			return nil, fmt.Errorf("demo site: %w", err)
		}
		for _, f := range files {
			name := "content/" + lang + "/" + f.Name()
			data, err := contentFS.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("demo site: %w", err)
			}
			if f.Name() == "site.txt" {
				s.chrome[lang], _ = parseHeader(data)
				continue
			}
			slug, ok := strings.CutSuffix(f.Name(), ".md")
			if !ok {
				continue
			}
			p, err := parsePage(lang, slug, data)
			if err != nil {
				return nil, fmt.Errorf("demo site: %s: %w", name, err)
			}
			s.pages[p.Path()] = p
		}
	}
	sort.Slice(s.langs, func(i, j int) bool { return langOrder(s.langs[i]) < langOrder(s.langs[j]) })
	return s, nil
}

func langOrder(l string) int {
	if i := slices.Index([]string{"sv", "en", "ar", "fa", "so", "ti", "uk"}, l); i >= 0 {
		return i
	}
	return 99
}

// Pages returns every page, sorted by path.
func (s *Site) Pages() []Page {
	out := make([]Page, 0, len(s.pages))
	for _, p := range s.pages {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path() < out[j].Path() })
	return out
}

// Unpublish makes a page answer 404 Not Found from now on, as when an agency removes it.
func (s *Site) Unpublish(path string) { s.unpublished[path] = true }

func parsePage(lang, slug string, data []byte) (Page, error) {
	agency, ok := topicAgency[slug]
	if !ok {
		return Page{}, fmt.Errorf("unknown topic %q", slug)
	}
	header, body := parseHeader(data)
	p := Page{Agency: agency, Language: lang, Slug: slug, Title: header["title"], Summary: header["summary"], Body: body}
	if p.Title == "" || p.Summary == "" {
		return p, fmt.Errorf("title and summary are required")
	}
	var err error
	if p.Updated, err = time.Parse("2006-01-02", header["updated"]); err != nil {
		return p, fmt.Errorf("updated: %w", err)
	}
	return p, nil
}

// parseHeader reads "key: value" lines up to the first blank line and returns the rest.
func parseHeader(data []byte) (map[string]string, string) {
	header := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var rest strings.Builder
	inHeader := true
	for sc.Scan() {
		line := sc.Text()
		if inHeader {
			if strings.TrimSpace(line) == "" {
				inHeader = false
				continue
			}
			if k, v, ok := strings.Cut(line, ":"); ok {
				header[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
			continue
		}
		rest.WriteString(line)
		rest.WriteByte('\n')
	}
	return header, rest.String()
}

// block is one rendered element of a page body.
type block struct {
	Kind  string // h2, h3, p, ul
	Text  string
	Items []string
}

// blocks turns the markdown-like body into headings, paragraphs and lists.
func blocks(body string) []block {
	var out []block
	var para []string
	flush := func() {
		if len(para) > 0 {
			out = append(out, block{Kind: "p", Text: strings.Join(para, " ")})
			para = nil
		}
	}
	for _, line := range strings.Split(body, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			flush()
		case strings.HasPrefix(line, "### "):
			flush()
			out = append(out, block{Kind: "h3", Text: strings.TrimPrefix(line, "### ")})
		case strings.HasPrefix(line, "## "):
			flush()
			out = append(out, block{Kind: "h2", Text: strings.TrimPrefix(line, "## ")})
		case strings.HasPrefix(line, "- "):
			flush()
			item := strings.TrimPrefix(line, "- ")
			if n := len(out); n > 0 && out[n-1].Kind == "ul" {
				out[n-1].Items = append(out[n-1].Items, item)
			} else {
				out = append(out, block{Kind: "ul", Items: []string{item}})
			}
		default:
			para = append(para, line)
		}
	}
	flush()
	return out
}

// ServeHTTP serves the site: /robots.txt, /sitemap.xml (an index), /<agency>/sitemap.xml,
// /<agency>/<lang>/ (an agency's start page), /<agency>/<lang>/<topic>, and a staff area
// under /<agency>/intern/ that robots.txt forbids (and every page links to).
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	base := "http://" + r.Host
	p := path.Clean(r.URL.Path)
	switch {
	case p == "/robots.txt":
		s.serve(w, r, "text/plain; charset=utf-8", time.Time{}, []byte(fmt.Sprintf(
			"User-agent: *\nDisallow: /*/intern/\n\nUser-agent: LotsBot\nDisallow: /*/intern/\nAllow: /\n\nSitemap: %s/sitemap.xml\n", base)))
	case p == "/sitemap.xml":
		s.serve(w, r, "application/xml", time.Time{}, s.sitemapIndex(base))
	case strings.Contains(p+"/", "/intern/"):
		s.serve(w, r, "text/html; charset=utf-8", time.Time{}, []byte(`<!doctype html><html lang="sv"><title>Intern</title><main><h1>Intern sida</h1><p>Den här sidan är bara för personalen och får inte indexeras.</p></main></html>`))
	case p == "/":
		s.render(w, r, "index", s.indexData(base))
	default:
		parts := strings.Split(strings.Trim(p, "/"), "/")
		switch {
		case len(parts) == 2 && parts[1] == "sitemap.xml" && s.agency(parts[0]).Path != "":
			s.serve(w, r, "application/xml", time.Time{}, s.sitemap(base, parts[0]))
		case len(parts) == 2 && s.agency(parts[0]).Path != "" && s.chrome[parts[1]] != nil:
			s.render(w, r, "home", s.homeData(base, parts[0], parts[1]))
		case len(parts) == 3 && !s.unpublished[p]:
			page, ok := s.pages[p]
			if !ok {
				http.NotFound(w, r)
				return
			}
			s.render(w, r, "page", s.pageData(base, page))
		default:
			http.NotFound(w, r)
		}
	}
}

// serve answers with ETag and Last-Modified, so conditional requests get 304 Not Modified.
func (s *Site) serve(w http.ResponseWriter, r *http.Request, contentType string, modified time.Time, body []byte) {
	sum := sha256.Sum256(body)
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
	http.ServeContent(w, r, "", modified, bytes.NewReader(body))
}

func (s *Site) agency(p string) Agency {
	for _, a := range Agencies {
		if a.Path == p {
			return a
		}
	}
	return Agency{}
}

func (s *Site) sitemapIndex(base string) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">` + "\n")
	for _, a := range Agencies {
		fmt.Fprintf(&b, "  <sitemap><loc>%s/%s/sitemap.xml</loc></sitemap>\n", base, a.Path)
	}
	b.WriteString("</sitemapindex>\n")
	return b.Bytes()
}

func (s *Site) sitemap(base, agency string) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">` + "\n")
	for _, p := range s.Pages() {
		if p.Agency == agency && !s.unpublished[p.Path()] {
			fmt.Fprintf(&b, "  <url><loc>%s%s</loc><lastmod>%s</lastmod></url>\n", base, p.Path(), p.Updated.Format("2006-01-02"))
		}
	}
	b.WriteString("</urlset>\n")
	return b.Bytes()
}

// SourcesYAML is the sources.yaml registry of the demo site served at base (e.g.
// "http://127.0.0.1:8089"): one vetted, local source per agency.
func SourcesYAML(base string) []byte {
	var b bytes.Buffer
	b.WriteString("# The demo corpus, served on loopback by lots demo.\nsources:\n")
	for _, a := range Agencies {
		fmt.Fprintf(&b, `  - name: demo-%[2]s
    agency: %[3]q
    start_urls: ["%[1]s/%[2]s/sv/"]
    sitemaps: ["%[1]s/%[2]s/sitemap.xml"]
    allowed_prefixes: ["%[1]s/%[2]s/"]
    languages: [sv, en, ar, fa, so, ti, uk]
    recrawl_interval: 24h
    crawl_delay: 0s
    concurrency: 4
    local: true
    status: vetted
`, base, a.Path, a.Name)
	}
	return b.Bytes()
}

//go:embed templates.html
var templatesHTML string

var templates = template.Must(template.New("site").Parse(templatesHTML))

type link struct {
	Lang, Label, URL string
}

type pageData struct {
	Lang, Dir, Title, Summary, Canonical, Updated, AgencyName, AgencyHome, Intern string
	Chrome                                                                        map[string]string
	Alternates                                                                    []link
	Nav                                                                           []link
	Blocks                                                                        []block
}

func (s *Site) render(w http.ResponseWriter, r *http.Request, name string, data any) {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, name, data); err != nil {
		http.Error(w, "template: "+err.Error(), http.StatusInternalServerError)
		return
	}
	modified := time.Time{}
	if d, ok := data.(pageData); ok && d.Updated != "" {
		modified, _ = time.Parse("2006-01-02", d.Updated)
	}
	s.serve(w, r, "text/html; charset=utf-8", modified, b.Bytes())
}

func (s *Site) nav(base, agency, lang string) []link {
	var out []link
	for _, p := range s.Pages() {
		if p.Agency == agency && p.Language == lang && !s.unpublished[p.Path()] {
			out = append(out, link{Lang: lang, Label: p.Title, URL: base + p.Path()})
		}
	}
	return out
}

func (s *Site) pageData(base string, p Page) pageData {
	d := pageData{
		Lang: p.Language, Dir: dir(p.Language), Title: p.Title, Summary: p.Summary,
		Canonical: base + p.Path(), Updated: p.Updated.Format("2006-01-02"),
		AgencyName: s.agency(p.Agency).Name, AgencyHome: base + "/" + p.Agency + "/" + p.Language + "/",
		Intern: base + "/" + p.Agency + "/intern/",
		Chrome: s.chrome[p.Language], Nav: s.nav(base, p.Agency, p.Language), Blocks: blocks(p.Body),
	}
	for _, l := range s.langs {
		alt := Page{Agency: p.Agency, Language: l, Slug: p.Slug}
		if other, ok := s.pages[alt.Path()]; ok && !s.unpublished[alt.Path()] {
			d.Alternates = append(d.Alternates, link{Lang: l, Label: other.Title, URL: base + alt.Path()})
		}
	}
	return d
}

func (s *Site) homeData(base, agency, lang string) pageData {
	a := s.agency(agency)
	d := pageData{
		Lang: lang, Dir: dir(lang), Title: a.Name, Canonical: base + "/" + agency + "/" + lang + "/",
		AgencyName: a.Name, AgencyHome: base + "/" + agency + "/" + lang + "/", Intern: base + "/" + agency + "/intern/",
		Chrome: s.chrome[lang], Nav: s.nav(base, agency, lang),
	}
	for _, l := range s.langs {
		d.Alternates = append(d.Alternates, link{Lang: l, Label: l, URL: base + "/" + agency + "/" + l + "/"})
	}
	return d
}

func (s *Site) indexData(base string) []link {
	var out []link
	for _, a := range Agencies {
		out = append(out, link{Lang: "sv", Label: a.Name, URL: base + "/" + a.Path + "/sv/"})
	}
	return out
}

func dir(lang string) string {
	if rtl[lang] {
		return "rtl"
	}
	return "ltr"
}
