package web

import (
	"context"
	"errors"
	"net/http"
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
	Catalog  process.Catalog   // the processes a draft is prepared for (their rows are in the processes table)
	Detector *process.Detector // finds "I want to start X" in a question; nil: the chat offers nothing
	Audit    *auth.Audit       // records each read of a draft, a summary and an export
	// AbandonAfter is how long a draft nobody changes is kept; default 90 days.
	AbandonAfter time.Duration
}

func (c SpaceConfig) enabled() bool { return c.Store != nil && c.Catalog.Len() > 0 }

func (s *Server) spaceRoutes(mux *http.ServeMux) {
	if !s.cfg.Space.enabled() {
		return
	}
	if s.cfg.Space.AbandonAfter <= 0 {
		s.cfg.Space.AbandonAfter = space.DefaultAbandonAfter
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
	abandon := s.cfg.Space.AbandonAfter
	if abandon <= 0 {
		abandon = space.DefaultAbandonAfter
	}
	drafts, handoffs, err := s.cfg.Space.Store.Retain(ctx, abandon)
	if err != nil {
		s.log.WarnContext(ctx, "retention: own space", "err", err)
		return
	}
	if drafts > 0 || handoffs > 0 {
		s.log.InfoContext(ctx, "retention: deleted abandoned drafts and expired handoffs", "drafts", drafts, "handoffs", handoffs)
	}
}
