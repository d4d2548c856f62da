package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/nyisverige/lots/ingest"
	"github.com/nyisverige/lots/ingest/jobs"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
	"github.com/nyisverige/lots/web/auth"
)

// sourceView is a source with what the console shows of it.
type sourceView struct {
	ingest.SourceStatus
	PageCounts []langCount // pages indexed per language
	Errors     int         // URLs refused, failed or gone in the last run
	Crawling   bool        // a recrawl is queued or running
}

// langCount is a count in one language.
type langCount struct {
	Lang  string
	Count int
}

// errorGroup is a kind of crawl error and its URLs.
type errorGroup struct {
	Kind string
	URLs []store.URLError
}

// sourcePage is what console_source.html shows.
type sourcePage struct {
	Source     sourceView
	Runs       []store.RunSummary
	ErrorKinds []errorGroup
	Exclusions []store.Exclusion
	Changes    []store.PageChange // pending
	Progress   string             // the crawl's progress in words
	Refresh    int                // seconds between refreshes while crawling
}

// visibleSources lists the sources u stewards (an admin all), by name.
func (s *Server) visibleSources(ctx context.Context, u auth.User) ([]sourceView, error) {
	all, err := s.cfg.Console.Sources.Statuses(ctx)
	if err != nil {
		return nil, err
	}
	var out []sourceView
	for _, st := range all {
		if u.CanSteward(st.Agency) {
			out = append(out, newSourceView(st))
		}
	}
	return out, nil
}

func newSourceView(st ingest.SourceStatus) sourceView {
	v := sourceView{SourceStatus: st, Crawling: st.Job != nil}
	for _, l := range retrieval.Languages {
		if n := st.PagesByLanguage[l]; n > 0 {
			v.PageCounts = append(v.PageCounts, langCount{l, n})
		}
	}
	for l, n := range st.PagesByLanguage {
		if !slices.Contains(retrieval.Languages, l) && n > 0 {
			v.PageCounts = append(v.PageCounts, langCount{l, n})
		}
	}
	for _, n := range st.ErrorsByKind {
		v.Errors += n
	}
	return v
}

// sourceByID returns the source named by the path's {id}, with its errors, answering 404 (no such
// source) or 403 (another agency's) itself.
func (s *Server) sourceByID(w http.ResponseWriter, r *http.Request, u auth.User) (sourceView, bool) {
	id, ok := s.pathID(w, r)
	if !ok {
		return sourceView{}, false
	}
	all, err := s.cfg.Console.Store.Sources(r.Context())
	if err != nil {
		s.internalError(w, r, "sources", err)
		return sourceView{}, false
	}
	i := slices.IndexFunc(all, func(src store.Source) bool { return src.ID == id })
	if i < 0 {
		s.consoleError(w, r, http.StatusNotFound, "console_not_found")
		return sourceView{}, false
	}
	if !s.forAgency(w, r, u, all[i].Agency) {
		return sourceView{}, false
	}
	st, err := s.cfg.Console.Sources.Status(r.Context(), all[i].Name)
	if err != nil {
		s.internalError(w, r, "source status", err)
		return sourceView{}, false
	}
	return newSourceView(st), true
}

func (s *Server) consoleSources(w http.ResponseWriter, r *http.Request, u auth.User) {
	srcs, err := s.visibleSources(r.Context(), u)
	if err != nil {
		s.internalError(w, r, "sources", err)
		return
	}
	v := s.consoleView(w, r, "console_sources_title")
	s.renderConsole(w, http.StatusOK, "console_sources.html", v, "/console/sources", srcs)
}

func (s *Server) apiSources(w http.ResponseWriter, r *http.Request, u auth.User) {
	srcs, err := s.visibleSources(r.Context(), u)
	if err != nil {
		s.internalError(w, r, "sources", err)
		return
	}
	writeJSON(w, http.StatusOK, srcs)
}

func (s *Server) sourcePageData(ctx context.Context, src sourceView, t map[string]string) (sourcePage, error) {
	st := s.cfg.Console.Store
	p := sourcePage{Source: src, Refresh: int(s.cfg.Console.Refresh / time.Second), Progress: crawlProgress(t, src)}
	var err error
	if p.Runs, err = st.Runs(ctx, src.ID, 10); err != nil {
		return p, err
	}
	byKind := map[string][]store.URLError{}
	for _, e := range src.SourceStatus.Errors {
		byKind[e.Kind] = append(byKind[e.Kind], e)
	}
	for k, es := range byKind {
		p.ErrorKinds = append(p.ErrorKinds, errorGroup{Kind: k, URLs: es})
	}
	sort.Slice(p.ErrorKinds, func(i, j int) bool { return p.ErrorKinds[i].Kind < p.ErrorKinds[j].Kind })
	if p.Exclusions, err = st.Exclusions(ctx, src.ID); err != nil {
		return p, err
	}
	if p.Changes, err = st.Changes(ctx, store.ChangeFilter{SourceID: src.ID, State: store.ReviewPending, Limit: 50}); err != nil {
		return p, err
	}
	return p, nil
}

func (s *Server) consoleSource(w http.ResponseWriter, r *http.Request, u auth.User) {
	src, ok := s.sourceByID(w, r, u)
	if !ok {
		return
	}
	v := s.consoleView(w, r, "console_source_title")
	p, err := s.sourcePageData(r.Context(), src, v.T)
	if err != nil {
		s.internalError(w, r, "source", err)
		return
	}
	v.Title = src.Name + " – " + v.Title
	s.renderConsole(w, http.StatusOK, "console_source.html", v, "/console/sources", p)
}

// sourceStatus is a source's crawl status as console.js polls it.
type sourceStatus struct {
	ID        int64          `json:"id"`
	Name      string         `json:"name"`
	Agency    string         `json:"agency"`
	Status    string         `json:"status"`
	Crawling  bool           `json:"crawling"`
	Job       *jobs.Job      `json:"job,omitempty"`
	LastCrawl *time.Time     `json:"last_crawl,omitempty"`
	Pages     map[string]int `json:"pages"`
	Errors    map[string]int `json:"errors"`
	Pending   int            `json:"pending_changes"`
	// Progress is the crawl's progress in words, in the page's language (?lang=).
	Progress string `json:"progress"`
}

func (s *Server) apiSource(w http.ResponseWriter, r *http.Request, u auth.User) {
	src, ok := s.sourceByID(w, r, u)
	if !ok {
		return
	}
	st := sourceStatus{ID: src.ID, Name: src.Name, Agency: src.Agency, Status: src.Status, Crawling: src.Crawling,
		Job: src.Job, Pages: src.PagesByLanguage, Errors: src.ErrorsByKind, Pending: src.PendingChanges,
		Progress: crawlProgress(s.strings[pageLanguage(r)], src)}
	if !src.LastCrawl.IsZero() {
		st.LastCrawl = &src.LastCrawl
	}
	writeJSON(w, http.StatusOK, st)
}

// crawlProgress says how far a source's crawl has come, in words.
func crawlProgress(t map[string]string, src sourceView) string {
	switch {
	case src.Job != nil && src.Job.State == jobs.StateQueued:
		return t["console_crawl_queued"]
	case src.Job != nil && src.Job.Progress.Total > 0:
		return fmt.Sprintf(t["console_crawl_running_n"], src.Job.Progress.Done, src.Job.Progress.Total)
	case src.Job != nil:
		return t["console_crawl_running"]
	case src.LastRun.ID == 0:
		return t["console_crawl_never"]
	case src.LastRun.FinishedAt.IsZero():
		return t["console_crawl_interrupted"]
	default:
		return fmt.Sprintf(t["console_crawl_done"], src.LastRun.FinishedAt.Format("2006-01-02 15:04"),
			src.LastRun.Fetched, src.LastRun.Unchanged, src.LastRun.Removed, src.LastRun.Failed)
	}
}
