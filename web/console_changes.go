package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/nyisverige/lots/ingest"
	"github.com/nyisverige/lots/retrieval/store"
	"github.com/nyisverige/lots/web/auth"
)

// changesPage is what console_changes.html shows.
type changesPage struct {
	Changes []store.PageChange
	State   string // the filter: pending (default), live, approved, rejected or "all"
	Kind    string
	Source  string
	Sources []string // the sources u may review, for the filter
	States  []string
	Kinds   []string
}

// changePage is what console_change.html shows.
type changePage struct {
	Change ingest.ChangeDiff
	Agency string
}

// agencies maps the names of the sources to their agencies.
func (s *Server) agencies(ctx context.Context) (map[string]string, error) {
	srcs, err := s.cfg.Console.Store.Sources(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(srcs))
	for _, src := range srcs {
		m[src.Name] = src.Agency
	}
	return m, nil
}

func (s *Server) changesPageData(r *http.Request, u auth.User) (changesPage, error) {
	q := r.URL.Query()
	p := changesPage{State: q.Get("state"), Kind: q.Get("kind"), Source: q.Get("source"),
		States: []string{store.ReviewPending, store.ReviewLive, store.ReviewApproved, store.ReviewRejected, "all"},
		Kinds:  []string{store.ChangeNew, store.ChangeChanged, store.ChangeGone}}
	if !slices.Contains(p.States, p.State) {
		p.State = store.ReviewPending
	}
	if !slices.Contains(p.Kinds, p.Kind) {
		p.Kind = ""
	}
	agencies, err := s.agencies(r.Context())
	if err != nil {
		return p, err
	}
	for name, agency := range agencies {
		if u.CanSteward(agency) {
			p.Sources = append(p.Sources, name)
		}
	}
	slices.Sort(p.Sources)
	if !slices.Contains(p.Sources, p.Source) {
		p.Source = ""
	}
	f := ingest.ChangeFilter{Source: p.Source, State: p.State, Kind: p.Kind, Limit: 500}
	if p.State == "all" {
		f.State = ""
	}
	changes, err := s.cfg.Console.Sources.Changes(r.Context(), f)
	if err != nil {
		return p, err
	}
	p.Changes = slices.DeleteFunc(changes, func(c store.PageChange) bool { return !u.CanSteward(agencies[c.Source]) })
	return p, nil
}

func (s *Server) consoleChanges(w http.ResponseWriter, r *http.Request, u auth.User) {
	p, err := s.changesPageData(r, u)
	if err != nil {
		s.internalError(w, r, "changes", err)
		return
	}
	v := s.consoleView(w, r, "console_changes_title")
	s.renderConsole(w, http.StatusOK, "console_changes.html", v, "/console/changes", p)
}

func (s *Server) apiChanges(w http.ResponseWriter, r *http.Request, u auth.User) {
	p, err := s.changesPageData(r, u)
	if err != nil {
		s.internalError(w, r, "changes", err)
		return
	}
	writeJSON(w, http.StatusOK, p.Changes)
}

// changeByID returns the change named by the path's {id} with its diff, answering 404 or 403
// itself.
func (s *Server) changeByID(w http.ResponseWriter, r *http.Request, u auth.User) (changePage, bool) {
	id, ok := s.pathID(w, r)
	if !ok {
		return changePage{}, false
	}
	ch, err := s.cfg.Console.Sources.Change(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		s.consoleError(w, r, http.StatusNotFound, "console_not_found")
		return changePage{}, false
	}
	if err != nil {
		s.internalError(w, r, "change", err)
		return changePage{}, false
	}
	// A change whose source is gone belongs to no agency: only an admin may see it.
	var agency string
	src, err := s.cfg.Console.Store.SourceByName(r.Context(), ch.Source)
	switch {
	case err == nil:
		agency = src.Agency
	case !errors.Is(err, store.ErrNotFound):
		s.internalError(w, r, "change", err)
		return changePage{}, false
	}
	if !s.forAgency(w, r, u, agency) {
		return changePage{}, false
	}
	return changePage{Change: ch, Agency: agency}, true
}

func (s *Server) consoleChange(w http.ResponseWriter, r *http.Request, u auth.User) {
	p, ok := s.changeByID(w, r, u)
	if !ok {
		return
	}
	v := s.consoleView(w, r, "console_change_title")
	s.renderConsole(w, http.StatusOK, "console_change.html", v, "/console/changes", p)
}

func (s *Server) apiChange(w http.ResponseWriter, r *http.Request, u auth.User) {
	p, ok := s.changeByID(w, r, u)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, p.Change)
}

// actReview approves or rejects a pending change.
func (s *Server) actReview(approve bool) func(http.ResponseWriter, *http.Request, auth.User) {
	return func(w http.ResponseWriter, r *http.Request, u auth.User) {
		p, ok := s.changeByID(w, r, u)
		if !ok {
			return
		}
		id := p.Change.ID
		note := strings.TrimSpace(r.PostFormValue("note"))
		action, flash := "change.approve", "console_done_approved"
		var err error
		if approve {
			err = s.cfg.Console.Sources.Approve(r.Context(), id, actor(u))
		} else {
			action, flash = "change.reject", "console_done_rejected"
			err = s.cfg.Console.Sources.Reject(r.Context(), id, actor(u), note)
		}
		if errors.Is(err, store.ErrNotPending) {
			s.consoleError(w, r, http.StatusConflict, "console_change_not_pending")
			return
		}
		if err != nil {
			s.internalError(w, r, action, err)
			return
		}
		s.record(r.Context(), u, action, "page_change", strconv.FormatInt(id, 10), p.Agency,
			map[string]any{"source": p.Change.Source, "url": p.Change.URL, "kind": p.Change.Kind, "note": note})
		s.done(w, r, http.StatusOK, map[string]any{"id": id, "approved": approve}, "/console/changes?state=pending", flash)
	}
}

// actExclude keeps a page out of the index (or lets it back in); the page must lie within one of
// the steward's agencies' sources.
func (s *Server) actExclude(exclude bool) func(http.ResponseWriter, *http.Request, auth.User) {
	return func(w http.ResponseWriter, r *http.Request, u auth.User) {
		pageURL := strings.TrimSpace(r.PostFormValue("url"))
		note := strings.TrimSpace(r.PostFormValue("note"))
		back := r.PostFormValue("back")
		if !strings.HasPrefix(back, "/console") || strings.HasPrefix(back, "//") {
			back = "/console/changes"
		}
		agency, err := s.agencyOfURL(r.Context(), pageURL)
		if err != nil {
			s.internalError(w, r, "exclude", err)
			return
		}
		if pageURL == "" || agency == "" {
			s.consoleError(w, r, http.StatusBadRequest, "console_exclude_unknown_page")
			return
		}
		if !s.forAgency(w, r, u, agency) {
			return
		}
		action, flash := "page.exclude", "console_done_excluded"
		if exclude {
			_, err = s.cfg.Console.Sources.Exclude(r.Context(), pageURL, note, actor(u))
		} else {
			action, flash = "page.include", "console_done_included"
			err = s.cfg.Console.Sources.Include(r.Context(), pageURL)
		}
		if errors.Is(err, ingest.ErrBadURL) {
			s.consoleError(w, r, http.StatusBadRequest, "console_exclude_unknown_page")
			return
		}
		if errors.Is(err, store.ErrNotFound) {
			s.consoleError(w, r, http.StatusNotFound, "console_not_found")
			return
		}
		if err != nil {
			s.internalError(w, r, action, err)
			return
		}
		s.record(r.Context(), u, action, "page", pageURL, agency, map[string]any{"note": note})
		s.done(w, r, http.StatusOK, map[string]any{"url": pageURL, "excluded": exclude}, back, flash)
	}
}
