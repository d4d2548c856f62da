package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nyisverige/lots/ingest"
	"github.com/nyisverige/lots/ingest/jobs"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
	"github.com/nyisverige/lots/web/auth"
)

// sourceForm is the add and edit form of a source, as typed.
type sourceForm struct {
	ID              int64 // 0 when adding
	Name            string
	Agency          string
	Agencies        []string // the agencies u may choose; nil for an admin (free text)
	StartURLs       string   // one a line
	SitemapURLs     string
	AllowedPrefixes string
	Languages       []string
	AllLanguages    []LanguageOption
	RecrawlDays     string
	CrawlDelay      string // seconds
	Concurrency     string
	Local           bool
	LocalAllowed    bool // only an admin may let a source be crawled on private addresses
	RequireApproval bool
	Problems        map[string]string // field → message, already in the page's language
	Detail          string            // what the validation said, when it is not about one field
}

func newSourceForm(u auth.User, v View) sourceForm {
	f := sourceForm{Agencies: u.Agencies(), RecrawlDays: "7", CrawlDelay: "1", Concurrency: "2", LocalAllowed: u.IsAdmin(),
		AllLanguages: v.Languages, Problems: map[string]string{}}
	if len(f.Agencies) == 1 {
		f.Agency = f.Agencies[0]
	}
	return f
}

func formOfSource(u auth.User, v View, st ingest.SourceStatus) sourceForm {
	f := newSourceForm(u, v)
	f.ID, f.Name, f.Agency = st.ID, st.Name, st.Agency
	f.StartURLs, f.SitemapURLs = strings.Join(st.StartURLs, "\n"), strings.Join(st.SitemapURLs, "\n")
	f.AllowedPrefixes = strings.Join(st.AllowedPrefixes, "\n")
	f.Languages = st.Languages
	f.RecrawlDays = strconv.FormatFloat(st.RecrawlInterval.Hours()/24, 'f', -1, 64)
	f.CrawlDelay = strconv.FormatFloat(st.CrawlDelay.Seconds(), 'f', -1, 64)
	f.Concurrency = strconv.Itoa(st.Concurrency)
	f.Local, f.RequireApproval = st.Local, st.RequireApproval
	return f
}

// readSourceForm reads the posted form into f and the source it describes; problems are noted
// per field in f.Problems.
func readSourceForm(r *http.Request, u auth.User, t map[string]string, f *sourceForm) store.Source {
	lines := func(name string) []string {
		var out []string
		for _, l := range strings.FieldsFunc(r.PostFormValue(name), func(c rune) bool { return c == '\n' || c == '\r' || c == ' ' || c == ',' }) {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
		return out
	}
	if f.ID == 0 {
		f.Name = strings.TrimSpace(r.PostFormValue("name"))
	}
	f.Agency = strings.TrimSpace(r.PostFormValue("agency"))
	f.StartURLs, f.SitemapURLs = r.PostFormValue("start_urls"), r.PostFormValue("sitemap_urls")
	f.AllowedPrefixes = r.PostFormValue("allowed_prefixes")
	f.Languages = slices.DeleteFunc(r.PostForm["languages"], func(l string) bool { return !slices.Contains(retrieval.Languages, l) })
	f.RecrawlDays, f.CrawlDelay, f.Concurrency = r.PostFormValue("recrawl_days"), r.PostFormValue("crawl_delay"), r.PostFormValue("concurrency")
	f.Local = r.PostFormValue("local") == "on" || r.PostFormValue("local") == "true"
	f.RequireApproval = r.PostFormValue("require_approval") == "on" || r.PostFormValue("require_approval") == "true"

	src := store.Source{Name: f.Name, Agency: f.Agency, StartURLs: lines("start_urls"), SitemapURLs: lines("sitemap_urls"),
		AllowedPrefixes: lines("allowed_prefixes"), Languages: f.Languages, Local: f.Local, Status: store.StatusProposed}
	if f.Name == "" {
		f.Problems["name"] = t["console_field_required"]
	}
	switch {
	case f.Agency == "":
		f.Problems["agency"] = t["console_field_required"]
	case !u.CanSteward(f.Agency):
		f.Problems["agency"] = t["console_not_your_agency"]
	}
	if len(src.AllowedPrefixes) == 0 {
		f.Problems["allowed_prefixes"] = t["console_field_required"]
	}
	if len(src.StartURLs) == 0 && len(src.SitemapURLs) == 0 {
		f.Problems["start_urls"] = t["console_source_start_or_sitemap"]
	}
	if days, err := strconv.ParseFloat(strings.TrimSpace(f.RecrawlDays), 64); err != nil || days*24 < 1 || days > 365 || math.IsNaN(days) {
		f.Problems["recrawl_days"] = t["console_source_bad_days"]
	} else {
		src.RecrawlInterval = time.Duration(days * 24 * float64(time.Hour)).Round(time.Minute)
	}
	if secs, err := strconv.ParseFloat(strings.TrimSpace(f.CrawlDelay), 64); err != nil || secs < 0 || secs > 60 || math.IsNaN(secs) {
		f.Problems["crawl_delay"] = t["console_source_bad_delay"]
	} else {
		src.CrawlDelay = time.Duration(secs * float64(time.Second))
	}
	if n, err := strconv.Atoi(strings.TrimSpace(f.Concurrency)); err != nil || n < 1 || n > 32 {
		f.Problems["concurrency"] = t["console_source_bad_concurrency"]
	} else {
		src.Concurrency = n
	}
	if f.Local && !u.IsAdmin() {
		f.Problems["local"] = t["console_source_local_admin"]
	}
	return src
}

// langChoice is a language's checkbox in the source form.
type langChoice struct {
	Code, Name string
	Checked    bool
}

// LanguageChoices are the form's language checkboxes.
func (f sourceForm) LanguageChoices() []langChoice {
	out := make([]langChoice, 0, len(f.AllLanguages))
	for _, l := range f.AllLanguages {
		out = append(out, langChoice{Code: l.Code, Name: l.Name, Checked: slices.Contains(f.Languages, l.Code)})
	}
	return out
}

func (s *Server) renderSourceForm(w http.ResponseWriter, r *http.Request, status int, v View, f sourceForm) {
	if len(f.Problems) > 0 || f.Detail != "" {
		v.Error = v.T["console_source_invalid"]
	}
	s.renderConsole(w, status, "console_source_form.html", v, "/console/sources", f)
}

// refuseSourceForm answers a source form with problems: the API gets them as JSON, a person the
// form again with what they typed.
func (s *Server) refuseSourceForm(w http.ResponseWriter, r *http.Request, v View, f sourceForm) {
	if isAPI(r) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": "invalid", "message": s.strings["en"]["console_source_invalid"],
			"fields": f.Problems, "detail": f.Detail})
		return
	}
	s.renderSourceForm(w, r, http.StatusBadRequest, v, f)
}

func (s *Server) consoleSourceNew(w http.ResponseWriter, r *http.Request, u auth.User) {
	v := s.consoleView(w, r, "console_source_new_title")
	s.renderSourceForm(w, r, http.StatusOK, v, newSourceForm(u, v))
}

func (s *Server) consoleSourceEdit(w http.ResponseWriter, r *http.Request, u auth.User) {
	src, ok := s.sourceByID(w, r, u)
	if !ok {
		return
	}
	v := s.consoleView(w, r, "console_source_edit_title")
	s.renderSourceForm(w, r, http.StatusOK, v, formOfSource(u, v, src.SourceStatus))
}

func (s *Server) actAddSource(w http.ResponseWriter, r *http.Request, u auth.User) {
	v := s.consoleView(w, r, "console_source_new_title")
	f := newSourceForm(u, v)
	src := readSourceForm(r, u, v.T, &f)
	if f.Agency != "" && !s.forAgency(w, r, u, f.Agency) {
		return
	}
	if len(f.Problems) > 0 {
		s.refuseSourceForm(w, r, v, f)
		return
	}
	saved, err := s.cfg.Console.Sources.AddSource(r.Context(), src, f.RequireApproval)
	switch {
	case errors.Is(err, ingest.ErrSourceExists):
		f.Problems["name"] = v.T["console_source_exists"]
		s.refuseSourceForm(w, r, v, f)
		return
	case err != nil && saved.ID == 0:
		// The validation of sources.yaml said no: show what it said (in English, as written there).
		f.Detail = err.Error()
		s.refuseSourceForm(w, r, v, f)
		return
	case err != nil:
		s.internalError(w, r, "add source", err)
		return
	}
	s.record(r.Context(), u, "source.add", "source", saved.Name, saved.Agency,
		map[string]any{"prefixes": saved.AllowedPrefixes, "require_approval": f.RequireApproval})
	s.done(w, r, http.StatusCreated, map[string]any{"id": saved.ID, "name": saved.Name, "status": saved.Status},
		fmt.Sprintf("/console/sources/%d", saved.ID), "console_done_source_added")
}

func (s *Server) actEditSource(w http.ResponseWriter, r *http.Request, u auth.User) {
	cur, ok := s.sourceByID(w, r, u)
	if !ok {
		return
	}
	v := s.consoleView(w, r, "console_source_edit_title")
	f := formOfSource(u, v, cur.SourceStatus)
	src := readSourceForm(r, u, v.T, &f)
	if f.Agency != "" && !s.forAgency(w, r, u, f.Agency) {
		return
	}
	if cur.Local && !u.IsAdmin() && f.Problems["local"] != "" {
		delete(f.Problems, "local") // a steward may keep what an admin allowed
	}
	if len(f.Problems) > 0 {
		s.refuseSourceForm(w, r, v, f)
		return
	}
	saved, err := s.cfg.Console.Sources.EditSource(r.Context(), cur.Name, src, f.RequireApproval)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			s.consoleError(w, r, http.StatusNotFound, "console_not_found")
			return
		}
		f.Detail = err.Error()
		s.refuseSourceForm(w, r, v, f)
		return
	}
	s.record(r.Context(), u, "source.edit", "source", saved.Name, saved.Agency,
		map[string]any{"prefixes": saved.AllowedPrefixes, "require_approval": f.RequireApproval, "previous_agency": cur.Agency})
	s.done(w, r, http.StatusOK, map[string]any{"id": saved.ID, "name": saved.Name},
		fmt.Sprintf("/console/sources/%d", cur.ID), "console_done_source_saved")
}

// actSourceStatus vets, pauses or retires a source.
func (s *Server) actSourceStatus(change string) func(http.ResponseWriter, *http.Request, auth.User) {
	return func(w http.ResponseWriter, r *http.Request, u auth.User) {
		src, ok := s.sourceByID(w, r, u)
		if !ok {
			return
		}
		ctx := r.Context()
		detail := map[string]any{"previous": src.Status}
		var err error
		switch change {
		case "vet":
			err = s.cfg.Console.Sources.Vet(ctx, src.Name)
		case "pause":
			err = s.cfg.Console.Sources.Pause(ctx, src.Name)
		case "retire":
			var removed int64
			removed, err = s.cfg.Console.Sources.Retire(ctx, src.Name, actor(u))
			detail["pages_removed"] = removed
		}
		if err != nil {
			s.internalError(w, r, "source "+change, err)
			return
		}
		s.record(ctx, u, "source."+change, "source", src.Name, src.Agency, detail)
		s.done(w, r, http.StatusOK, map[string]any{"id": src.ID, "name": src.Name, "action": change},
			fmt.Sprintf("/console/sources/%d", src.ID), "console_done_source_"+change)
	}
}

// actRecrawl queues a crawl of a vetted source now; one already queued or running is the one
// asked for.
func (s *Server) actRecrawl(w http.ResponseWriter, r *http.Request, u auth.User) {
	src, ok := s.sourceByID(w, r, u)
	if !ok {
		return
	}
	id, err := s.cfg.Console.Sources.Recrawl(r.Context(), src.Name, actor(u))
	switch {
	case errors.Is(err, ingest.ErrNotVetted):
		s.consoleError(w, r, http.StatusConflict, "console_recrawl_not_vetted")
		return
	case err != nil && !errors.Is(err, jobs.ErrDuplicate):
		s.internalError(w, r, "recrawl", err)
		return
	}
	s.record(r.Context(), u, "source.recrawl", "source", src.Name, src.Agency, map[string]any{"job": id})
	s.done(w, r, http.StatusAccepted, map[string]any{"id": src.ID, "job": id},
		fmt.Sprintf("/console/sources/%d", src.ID), "console_done_recrawl")
}
