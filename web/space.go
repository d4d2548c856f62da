package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nyisverige/lots/assistant/process"
	"github.com/nyisverige/lots/assistant/space"
	"github.com/nyisverige/lots/web/auth"
)

// SpaceConfig holds what the own space needs. The space (its pages, and the chat's offers to
// start a process) is served when Store and Catalog are set; otherwise /space is not found and
// the chat offers nothing.
type SpaceConfig struct {
	Store    *space.Store      // drafts, handoffs, saved conversations, consents, export and deletion
	Catalog  process.Catalog   // the processes a draft is prepared for, at start (their rows are in the processes table)
	Detector *process.Detector // finds "I want to start X" in a question; nil: the chat offers nothing
	// NewDetector builds the Detector again when a steward changes the catalog in the console;
	// nil: process.NewDetector (keywords only).
	NewDetector func(process.Catalog) (*process.Detector, error)
	Audit       *auth.Audit // records each read of a draft, a summary and an export
	// AbandonAfter is how long a draft nobody changes is kept; default 90 days.
	AbandonAfter time.Duration
	// ReloadEvery is how often the server looks for catalog edits made through another server
	// (its own console's edits apply at once); default 1 minute.
	ReloadEvery time.Duration

	live *liveCatalog // the catalog and detector in use; spaceRoutes starts it from Catalog and Detector
}

func (c SpaceConfig) enabled() bool { return c.Store != nil && c.Catalog.Len() > 0 }

// liveCatalog is the catalog and detector the space uses now. The console swaps in new ones
// after a steward's edit while chats and pages read them, so an edit needs no restart.
type liveCatalog struct {
	mu  sync.Mutex // one reload at a time: a slow one must not replace a later one's catalog
	cur atomic.Pointer[catalogInUse]
}

type catalogInUse struct {
	catalog  process.Catalog
	detector *process.Detector
}

// processes returns the catalog and the detector (nil: the chat offers nothing) in use now.
func (s *Server) processes() (process.Catalog, *process.Detector) {
	if l := s.cfg.Space.live; l != nil {
		in := l.cur.Load()
		return in.catalog, in.detector
	}
	return s.cfg.Space.Catalog, s.cfg.Space.Detector
}

// reloadCatalog makes the space use the catalog load returns from now on: the chat's offers,
// their details and the drafts' pages follow it. It does nothing when the space is off.
func (s *Server) reloadCatalog(ctx context.Context, load func(context.Context) (process.Catalog, error)) error {
	l := s.cfg.Space.live
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	c, err := load(ctx)
	if err != nil {
		return fmt.Errorf("reload the process catalog: %w", err)
	}
	in := &catalogInUse{catalog: c}
	if l.cur.Load().detector != nil { // no detector at start: the chat offers nothing, still
		build := s.cfg.Space.NewDetector
		if build == nil {
			build = func(c process.Catalog) (*process.Detector, error) { return process.NewDetector(c), nil }
		}
		d, err := build(c)
		if err != nil {
			return fmt.Errorf("intent detector for the changed catalog: %w", err)
		}
		in.detector = d
	}
	l.cur.Store(in)
	return nil
}

func (s *Server) spaceRoutes(mux sessionMux) {
	if !s.cfg.Space.enabled() {
		return
	}
	if s.cfg.Space.live == nil {
		s.cfg.Space.live = &liveCatalog{}
		s.cfg.Space.live.cur.Store(&catalogInUse{catalog: s.cfg.Space.Catalog, detector: s.cfg.Space.Detector})
	}
	routes := map[string]func(http.ResponseWriter, *http.Request, auth.User){
		"GET /space":                              s.spaceIndex,
		"GET /space/drafts/{id}":                  s.spaceDraft,
		"POST /space/drafts/{id}":                 s.spaceSaveDraft,
		"POST /space/drafts/{id}/handoff":         s.spaceHandOff,
		"POST /space/drafts/{id}/delete":          s.spaceDeleteDraft,
		"GET /space/drafts/{id}/summary":          s.spaceSummary,
		"GET /space/export":                       s.spaceExport,
		"GET /space/delete":                       s.spaceDeleteConfirm,
		"POST /space/delete":                      s.spaceDeleteAll,
		"POST /space/conversations/{id}/save":     s.spaceSaveConversation(true),
		"POST /space/conversations/{id}/unsave":   s.spaceSaveConversation(false),
		"POST /space/consents/{purpose}/withdraw": s.spaceWithdraw,
		"GET /space/handoff/{token}":              s.spaceClaim,
	}
	for pattern, h := range routes {
		mux.Handle(pattern, s.spaceOnly(h))
	}
	mux.HandleFunc("GET /space/deleted", s.spaceDeleted)
}

// spaceOnly lets a signed-in user through (requireUser sends anyone else to sign in, and back to
// the page afterwards). A form post must carry the CSRF token.
func (s *Server) spaceOnly(next func(http.ResponseWriter, *http.Request, auth.User)) http.Handler {
	return s.requireUser(func(w http.ResponseWriter, r *http.Request) {
		u, _ := auth.UserFrom(r.Context())
		w.Header().Set("Cache-Control", "no-store")
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			if err := r.ParseForm(); err != nil {
				s.spaceError(w, r, http.StatusBadRequest, "error_bad_request")
				return
			}
			if !checkCSRF(r) {
				s.spaceError(w, r, http.StatusForbidden, "space_csrf_error")
				return
			}
		}
		next(w, r, u)
	})
}

// spaceError renders a page saying what went wrong, in the page's language.
func (s *Server) spaceError(w http.ResponseWriter, r *http.Request, status int, key string) {
	v := s.view(w, r, "space", "space_title")
	v.Error = v.T[key]
	if status == http.StatusNotFound {
		v.Title = v.T["space_not_found_title"]
	}
	s.renderView(w, status, "space_error.html", v)
}

// spaceFailed logs an unexpected error and tells the user to try again later; ErrNotFound (also
// another user's draft) is a plain 404.
func (s *Server) spaceFailed(w http.ResponseWriter, r *http.Request, what string, err error) {
	if errors.Is(err, space.ErrNotFound) {
		s.spaceError(w, r, http.StatusNotFound, "space_not_found")
		return
	}
	s.log.ErrorContext(r.Context(), what, "err", err)
	s.spaceError(w, r, http.StatusServiceUnavailable, "error_unavailable")
}

// audit records that the user read their own data. A failure to record is logged: the read
// was already allowed.
func (s *Server) audit(ctx context.Context, u auth.User, action, subjectType, subjectID, agency string) {
	if s.cfg.Space.Audit == nil {
		return
	}
	err := s.cfg.Space.Audit.Record(ctx, auth.Entry{ActorID: u.ID, Actor: "self", Action: action,
		SubjectType: subjectType, SubjectID: subjectID, Agency: agency, OwnerID: u.ID})
	if err != nil {
		s.log.WarnContext(ctx, "audit", "action", action, "err", err)
	}
}

// spaceRetention deletes abandoned drafts and expired handoffs; Run's retention loop calls it
// every hour.
func (s *Server) spaceRetention(ctx context.Context) {
	if !s.cfg.Space.enabled() {
		return
	}
	drafts, handoffs, err := s.cfg.Space.Store.Retain(ctx, s.cfg.Space.AbandonAfter)
	if err != nil {
		s.log.WarnContext(ctx, "retention: own space", "err", err)
		return
	}
	if drafts > 0 || handoffs > 0 {
		s.log.InfoContext(ctx, "retention: deleted abandoned drafts and expired handoffs", "drafts", drafts, "handoffs", handoffs)
	}
}

// catalogLoop follows stewards' edits made through another server: every ReloadEvery it reloads
// the catalog when the stored one changed since it last looked.
func (s *Server) catalogLoop(ctx context.Context) {
	st := s.cfg.Console.Processes
	if st == nil || s.cfg.Space.live == nil {
		return
	}
	seen, _ := st.Version(ctx) // the catalog the server started with
	every := s.cfg.Space.ReloadEvery
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now, err := st.Version(ctx)
		if err != nil {
			s.log.WarnContext(ctx, "process catalog: look for changes", "err", err)
			continue
		}
		if now == seen {
			continue
		}
		if err := s.reloadCatalog(ctx, st.Catalog); err != nil {
			s.log.WarnContext(ctx, "process catalog: reload", "err", err)
			continue
		}
		s.log.InfoContext(ctx, "process catalog reloaded after a change")
		seen = now
	}
}
