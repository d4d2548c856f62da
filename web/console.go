package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nyisverige/lots/assistant/process"
	"github.com/nyisverige/lots/evals"
	"github.com/nyisverige/lots/ingest"
	"github.com/nyisverige/lots/ingest/jobs"
	"github.com/nyisverige/lots/retrieval/store"
	"github.com/nyisverige/lots/web/auth"
)

// ConsoleConfig holds what the stewards' console needs. The console is served when Store,
// Sources, Jobs, Signals and Audit are set; otherwise /console is not found.
type ConsoleConfig struct {
	Store   *store.Store    // index versions, passage rules, crawl runs and exclusions
	Sources *ingest.Manager // sources, their crawls, change review and exclusions
	Jobs    *jobs.Queue     // recrawls, index builds and evaluations run as jobs
	Signals *evals.Signals  // questions not covered, low-confidence answers and feedback
	Audit   *auth.Audit     // every steward action, viewable and exportable
	// Processes is the process catalog stewards edit; the own space uses an edit at once. nil:
	// the catalog's pages answer 404.
	Processes *process.Store
	Refresh   time.Duration // how often a page with a running job refreshes itself; default 5s
	// RefreshIndex chunks again, into an index version, the pages crawled since it was built or
	// last live; the console runs it before publishing and after a rollback.
	RefreshIndex func(ctx context.Context, id int) error
}

func (c ConsoleConfig) enabled() bool {
	return c.Store != nil && c.Sources != nil && c.Jobs != nil && c.Signals != nil && c.Audit != nil
}

// consoleRoute is one page or call of the console. Every route is role-checked the same way:
// who may reach it says scope, and a route naming a source, a change or a page checks the
// agency of what it names in its handler (forAgency).
type consoleRoute struct {
	pattern string // e.g. "POST /console/sources/{id}/vet"
	handler func(w http.ResponseWriter, r *http.Request, u auth.User)
}

// consoleRoutes lists every console route; pages under /console, the JSON API under
// /console/api. A change (POST) is served at both, by one handler answering HTML or JSON.
func (s *Server) consoleRouteList() []consoleRoute {
	routes := []consoleRoute{
		{"GET /console", s.consoleOverview},
		{"GET /console/sources", s.consoleSources},
		{"GET /console/sources/new", s.consoleSourceNew},
		{"GET /console/sources/{id}", s.consoleSource},
		{"GET /console/sources/{id}/edit", s.consoleSourceEdit},
		{"GET /console/changes", s.consoleChanges},
		{"GET /console/changes/{id}", s.consoleChange},
		{"GET /console/rules", s.consoleRules},
		{"GET /console/processes", s.consoleProcesses},
		{"GET /console/processes/{id}", s.consoleProcess},
		{"GET /console/index", s.consoleIndex},
		{"GET /console/signals", s.consoleSignals},
		{"GET /console/signals.csv", s.consoleSignalsCSV},
		{"GET /console/audit", s.consoleAudit},
		{"GET /console/audit.csv", s.consoleAuditCSV},

		{"GET /console/api/sources", s.apiSources},
		{"GET /console/api/sources/{id}", s.apiSource},
		{"GET /console/api/changes", s.apiChanges},
		{"GET /console/api/changes/{id}", s.apiChange},
		{"GET /console/api/rules", s.apiRules},
		{"GET /console/api/processes", s.apiProcesses},
		{"GET /console/api/processes/{id}", s.apiProcess},
		{"GET /console/api/index", s.apiIndex},
		{"GET /console/api/signals", s.apiSignals},
		{"GET /console/api/audit", s.apiAudit},
	}
	actions := []consoleRoute{
		{"POST /sources", s.actAddSource},
		{"POST /sources/{id}", s.actEditSource},
		{"POST /sources/{id}/vet", s.actSourceStatus("vet")},
		{"POST /sources/{id}/pause", s.actSourceStatus("pause")},
		{"POST /sources/{id}/retire", s.actSourceStatus("retire")},
		{"POST /sources/{id}/recrawl", s.actRecrawl},
		{"POST /changes/{id}/approve", s.actReview(true)},
		{"POST /changes/{id}/reject", s.actReview(false)},
		{"POST /pages/exclude", s.actExclude(true)},
		{"POST /pages/include", s.actExclude(false)},
		{"POST /rules", s.actAddRule},
		{"POST /rules/{id}/delete", s.actDeleteRule},
		{"POST /processes/{id}", s.actEditProcess},
		{"POST /index/build", s.actBuildIndex},
		{"POST /index/{id}/evaluate", s.actEvaluateIndex},
		{"POST /index/{id}/publish", s.actPublishIndex},
		{"POST /index/rollback", s.actRollback},
	}
	for _, a := range actions {
		method, path, _ := strings.Cut(a.pattern, " ")
		routes = append(routes, consoleRoute{method + " /console" + path, a.handler},
			consoleRoute{method + " /console/api" + path, a.handler})
	}
	return routes
}

func (s *Server) consoleRoutes(mux sessionMux) {
	if !s.cfg.Console.enabled() {
		return
	}
	if s.cfg.Console.Refresh <= 0 {
		s.cfg.Console.Refresh = 5 * time.Second
	}
	for _, rt := range s.consoleRouteList() {
		mux.Handle(rt.pattern, s.staffOnly(rt.handler))
	}
}

// isAPI reports whether the request is a call of the console's JSON API.
func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/console/api/") }

// staffOnly lets staff through: nobody signed in is sent to sign in (a page) or told 401 (the
// API); a signed-in newcomer gets 403. A change must carry the CSRF token.
func (s *Server) staffOnly(next func(http.ResponseWriter, *http.Request, auth.User)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := auth.UserFrom(r.Context())
		switch {
		case !ok && isAPI(r):
			writeJSONError(w, http.StatusUnauthorized, "unauthorized", "sign in first")
			return
		case !ok:
			next := r.URL.Path
			if r.Method != http.MethodGet {
				next = "/console"
			}
			http.Redirect(w, r, "/signin?lang="+pageLanguage(r)+"&next="+url.QueryEscape(next), http.StatusSeeOther)
			return
		case !u.IsStaff():
			s.consoleError(w, r, http.StatusForbidden, "console_forbidden")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			if err := parseInput(r); err != nil {
				s.consoleError(w, r, http.StatusBadRequest, "console_bad_input")
				return
			}
			if !consoleCSRF(r) {
				s.consoleError(w, r, http.StatusForbidden, "console_bad_csrf")
				return
			}
		}
		next(w, r, u)
	})
}

// consoleCSRF checks the double-submit token: a form's "csrf" field, or the X-CSRF-Token header
// of an API call, must equal the CSRF cookie.
func consoleCSRF(r *http.Request) bool { return checkCSRF(r) || checkCSRFHeader(r) }

// parseInput reads a change's input into r.PostForm, from a form or a JSON object: strings as
// they are, numbers and booleans as written, arrays as repeated values.
func parseInput(r *http.Request) error {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return r.ParseForm()
	}
	var obj map[string]json.RawMessage
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&obj); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("console input: %w", err)
	}
	r.PostForm = url.Values{}
	r.Form = url.Values{}
	for k, raw := range obj {
		var vals []string
		var one any
		if err := json.Unmarshal(raw, &one); err != nil {
			return fmt.Errorf("console input %s: %w", k, err)
		}
		switch v := one.(type) {
		case []any:
			for _, e := range v {
				vals = append(vals, jsonScalar(e))
			}
		case nil:
		default:
			vals = []string{jsonScalar(v)}
		}
		r.PostForm[k] = vals
		r.Form[k] = vals
	}
	return nil
}

func jsonScalar(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// consoleError answers a refused or failed request: JSON for the API, a page for people. key
// names the message in the UI strings.
func (s *Server) consoleError(w http.ResponseWriter, r *http.Request, status int, key string) {
	if isAPI(r) {
		v := s.strings["en"]
		writeJSONError(w, status, strings.TrimPrefix(key, "console_"), v[key])
		return
	}
	v := s.view(w, r, "console", "console_title")
	v.Error = v.T[key]
	if v.Error == "" {
		v.Error = key
	}
	s.renderConsole(w, status, "console_error.html", v, "", nil)
}

// forAgency reports whether u may act on the agency's things, answering 403 when not.
func (s *Server) forAgency(w http.ResponseWriter, r *http.Request, u auth.User, agency string) bool {
	if u.CanSteward(agency) {
		return true
	}
	s.consoleError(w, r, http.StatusForbidden, "console_not_your_agency")
	return false
}

// actor is how the audit log and the job queue name the user.
func actor(u auth.User) string {
	if u.Email != "" {
		return u.Email
	}
	return "user:" + u.ID
}

// record writes a steward's action to the audit log. A failure is logged, not shown: the action
// itself is done.
func (s *Server) record(ctx context.Context, u auth.User, action, subjectType, subjectID, agency string, detail map[string]any) {
	err := s.cfg.Console.Audit.Record(ctx, auth.Entry{ActorID: u.ID, Actor: actor(u), Action: action,
		SubjectType: subjectType, SubjectID: subjectID, Agency: agency, Detail: detail})
	if err != nil {
		s.log.ErrorContext(ctx, "console: audit", "action", action, "err", err)
	}
}

// done answers a change that succeeded: the API gets data as JSON, a person is sent to the page
// to see it, with a confirmation (a key of the UI strings).
func (s *Server) done(w http.ResponseWriter, r *http.Request, status int, data any, page, flashKey string) {
	if isAPI(r) {
		writeJSON(w, status, data)
		return
	}
	sep := "?"
	if strings.Contains(page, "?") {
		sep = "&"
	}
	http.Redirect(w, r, page+sep+"lang="+pageLanguage(r)+"&done="+url.QueryEscape(flashKey), http.StatusSeeOther)
}

func writeJSON(w http.ResponseWriter, status int, data any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(data)
}

// consoleView starts a console page's View; a confirmation named by ?done= is shown once.
func (s *Server) consoleView(w http.ResponseWriter, r *http.Request, titleKey string) View {
	v := s.view(w, r, "console", titleKey)
	if key := r.URL.Query().Get("done"); strings.HasPrefix(key, "console_done_") {
		v.Flash = v.T[key]
	}
	return v
}

// pathID is the {id} of the path as a positive number; 404 when it is not one.
func (s *Server) pathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.consoleError(w, r, http.StatusNotFound, "console_not_found")
		return 0, false
	}
	return id, true
}

// internalError logs err and answers 500 without details.
func (s *Server) internalError(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.ErrorContext(r.Context(), "console: "+what, "err", err)
	s.consoleError(w, r, http.StatusInternalServerError, "console_failed")
}

// consolePage is the Data of every console view: the console's own menu and the page's content.
type consolePage struct {
	Nav  []navItem
	Page any
}

// navItem is an entry of the console's menu.
type navItem struct {
	Href, Label string
	Current     bool
}

// consoleMenu lists the console's sections: key of its label, path.
var consoleMenu = []struct{ key, path string }{
	{"console_overview_title", "/console"},
	{"console_sources_title", "/console/sources"},
	{"console_changes_title", "/console/changes"},
	{"console_rules_title", "/console/rules"},
	{"console_processes_title", "/console/processes"},
	{"console_index_title", "/console/index"},
	{"console_signals_title", "/console/signals"},
	{"console_audit_title", "/console/audit"},
}

// renderConsole renders a console view with the console's menu, current marking the section.
func (s *Server) renderConsole(w http.ResponseWriter, status int, name string, v View, current string, page any) {
	p := consolePage{Page: page}
	for _, m := range consoleMenu {
		if m.path == "/console/processes" && s.cfg.Console.Processes == nil {
			continue
		}
		p.Nav = append(p.Nav, navItem{Href: m.path + "?lang=" + v.Lang, Label: v.T[m.key], Current: m.path == current})
	}
	v.Data = p
	s.renderView(w, status, name, v)
}

// How long the console's history is kept: finished jobs, and the record of page changes (with
// their texts) once reviewed or live.
const (
	keepFinishedJobs = 30 * 24 * time.Hour
	keepPageChanges  = 180 * 24 * time.Hour
)

// consoleRetention prunes finished jobs and old page changes; Run's retention loop calls it
// every hour.
func (s *Server) consoleRetention(ctx context.Context) {
	if !s.cfg.Console.enabled() {
		return
	}
	jobs, err := s.cfg.Console.Jobs.Prune(ctx, keepFinishedJobs)
	if err != nil {
		s.log.WarnContext(ctx, "retention: finished jobs", "err", err)
	}
	changes, err := s.cfg.Console.Store.PruneChanges(ctx, keepPageChanges)
	if err != nil {
		s.log.WarnContext(ctx, "retention: page changes", "err", err)
	}
	if jobs > 0 || changes > 0 {
		s.log.InfoContext(ctx, "retention: pruned the console's history", "jobs", jobs, "page_changes", changes)
	}
}
