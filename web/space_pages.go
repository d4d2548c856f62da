package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/nyisverige/lots/assistant/space"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/web/auth"
)

// spaceIndexData is what /space shows.
type spaceIndexData struct {
	Drafts        []draftView
	Conversations []conversationView
	Consents      []consentView
}

type conversationView struct {
	ID       string
	Lang     string
	Dir      string
	Saved    string
	Question string // the first question, as a title
	Turns    []space.Turn
}

type consentView struct {
	Purpose string
	Label   string
	Status  string // "agreed 2026-03-01" or "withdrawn 2026-04-01", in the page's language
	Active  bool
}

// spaceIndex is the own space: drafts and started processes, saved conversations, and privacy
// (consents, export, deletion).
func (s *Server) spaceIndex(w http.ResponseWriter, r *http.Request, u auth.User) {
	ctx := r.Context()
	st := s.cfg.Space.Store
	drafts, err := st.Drafts(ctx, u.ID)
	if err != nil {
		s.spaceFailed(w, r, "list drafts", err)
		return
	}
	convs, err := st.SavedConversations(ctx, u.ID)
	if err != nil {
		s.spaceFailed(w, r, "list saved conversations", err)
		return
	}
	consents, err := st.Consents(ctx, u.ID)
	if err != nil {
		s.spaceFailed(w, r, "list consents", err)
		return
	}
	v := s.view(w, r, "space", "space_title")
	var data spaceIndexData
	for _, d := range drafts {
		def, ok := s.definition(d.ProcessID)
		if !ok {
			continue // a process taken out of the catalog: its drafts wait for retention
		}
		// The list holds no sealed fields; a sealed required field counts as filled.
		for _, f := range def.Fields {
			if f.Sensitive {
				d.Fields[f.Name] = "•"
			}
		}
		data.Drafts = append(data.Drafts, s.newDraftView(v.Lang, v.T, def, d, nil, nil, false))
	}
	for _, c := range convs {
		cv := conversationView{ID: c.ID, Lang: c.Language, Dir: dir(c.Language), Saved: c.SavedAt.Format("2006-01-02"), Turns: c.Turns}
		if len(c.Turns) > 0 {
			cv.Question = c.Turns[0].Question
		}
		data.Conversations = append(data.Conversations, cv)
	}
	for _, c := range consents {
		cv := consentView{Purpose: c.Purpose, Label: v.T["space_purpose_"+c.Purpose], Active: c.Active()}
		if cv.Active {
			cv.Status = fmt.Sprintf(v.T["space_consent_granted"], c.GrantedAt.Format("2006-01-02"))
		} else {
			cv.Status = fmt.Sprintf(v.T["space_consent_withdrawn_on"], c.WithdrawnAt.Format("2006-01-02"))
		}
		if cv.Label == "" {
			cv.Label = c.Purpose
		}
		data.Consents = append(data.Consents, cv)
	}
	v.Flash = v.T[doneFlash[r.URL.Query().Get("done")]]
	v.Data = data
	s.renderView(w, http.StatusOK, "space.html", v)
}

// spaceExport downloads everything Lots holds about the user as JSON.
func (s *Server) spaceExport(w http.ResponseWriter, r *http.Request, u auth.User) {
	// Recorded first, so that the export shows its own reading.
	s.audit(r.Context(), u, "space.export", "user", u.ID, "")
	e, err := s.cfg.Space.Store.Export(r.Context(), u.ID)
	if err != nil {
		s.spaceFailed(w, r, "export", err)
		return
	}
	b, err := space.MarshalExport(e)
	if err != nil {
		s.spaceFailed(w, r, "export", err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="lots-export-`+time.Now().UTC().Format("2006-01-02")+`.json"`)
	w.Write(b)
}

// spaceDeleteConfirm asks whether to delete everything.
func (s *Server) spaceDeleteConfirm(w http.ResponseWriter, r *http.Request, u auth.User) {
	v := s.view(w, r, "space", "space_delete_title")
	s.renderView(w, http.StatusOK, "space_delete.html", v)
}

// spaceDeleteAll deletes the user and everything about them once they ticked the confirmation,
// ends the session and sends them to a page that says it is done.
func (s *Server) spaceDeleteAll(w http.ResponseWriter, r *http.Request, u auth.User) {
	if r.PostFormValue("confirm") != "yes" {
		v := s.view(w, r, "space", "space_delete_title")
		v.Data = v.T["space_delete_must_confirm"] // by the checkbox
		s.renderView(w, http.StatusUnprocessableEntity, "space_delete.html", v)
		return
	}
	if err := s.cfg.Space.Store.DeleteAll(r.Context(), u.ID); err != nil {
		s.spaceFailed(w, r, "delete account", err)
		return
	}
	s.log.InfoContext(r.Context(), "an account was deleted by its owner")
	// The session's row went with the account; the cookie and the CSRF token go now.
	s.clearCookie(w, r, auth.SessionCookie, "/")
	s.rotateCSRF(w, r)
	http.Redirect(w, r, "/space/deleted?lang="+pageLanguage(r), http.StatusSeeOther)
}

// spaceDeleted confirms the deletion; nobody is signed in any more.
func (s *Server) spaceDeleted(w http.ResponseWriter, r *http.Request) {
	v := s.view(w, r, "space", "space_deleted_title")
	v.User = nil // the request still carried the session the deletion ended
	v.Flash = v.T["space_deleted_text"]
	s.renderView(w, http.StatusOK, "space_deleted.html", v)
}

// spaceSaveConversation saves (or unsaves) a chat conversation in the user's space. The chat
// calls it with fetch and gets JSON; the space's own form gets a redirect back.
func (s *Server) spaceSaveConversation(save bool) func(http.ResponseWriter, *http.Request, auth.User) {
	return func(w http.ResponseWriter, r *http.Request, u auth.User) {
		id := r.PathValue("id")
		var err error
		if save {
			err = s.cfg.Space.Store.SaveConversation(r.Context(), u.ID, id)
		} else {
			err = s.cfg.Space.Store.UnsaveConversation(r.Context(), u.ID, id)
		}
		wantsJSON := strings.Contains(r.Header.Get("Accept"), "application/json")
		switch {
		case err != nil && wantsJSON && errors.Is(err, space.ErrNotFound):
			writeJSONError(w, http.StatusNotFound, "not_found", "no such conversation, or it has expired")
		case err != nil && wantsJSON:
			s.log.ErrorContext(r.Context(), "save conversation", "err", err)
			writeJSONError(w, http.StatusServiceUnavailable, "unavailable", "try again later")
		case err != nil:
			s.spaceFailed(w, r, "save conversation", err)
		case wantsJSON:
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"saved":%t}`+"\n", save)
		default:
			done := "conv_saved"
			if !save {
				done = "conv_remove"
			}
			http.Redirect(w, r, "/space?lang="+pageLanguage(r)+"&done="+done, http.StatusSeeOther)
		}
	}
}

// spaceWithdraw withdraws a consent and deletes the data kept for it.
func (s *Server) spaceWithdraw(w http.ResponseWriter, r *http.Request, u auth.User) {
	purpose := r.PathValue("purpose")
	if !slices.Contains(space.Purposes, purpose) {
		s.spaceError(w, r, http.StatusNotFound, "space_not_found")
		return
	}
	if err := s.cfg.Space.Store.Withdraw(r.Context(), u.ID, purpose); err != nil {
		s.spaceFailed(w, r, "withdraw consent", err)
		return
	}
	http.Redirect(w, r, "/space?lang="+pageLanguage(r)+"&done=withdrawn", http.StatusSeeOther)
}

// spaceClaim turns a handoff accepted in the chat before sign-in into a draft of the user who
// signed in with its link.
func (s *Server) spaceClaim(w http.ResponseWriter, r *http.Request, u auth.User) {
	d, err := s.cfg.Space.Store.ClaimHandoff(r.Context(), r.PathValue("token"), u.ID)
	if errors.Is(err, space.ErrNotFound) {
		s.spaceError(w, r, http.StatusNotFound, "space_handoff_gone")
		return
	}
	if err != nil {
		s.spaceFailed(w, r, "claim handoff", err)
		return
	}
	lang := d.Language // the chat's, unless the link asks for another
	if l := r.URL.Query().Get("lang"); slices.Contains(retrieval.Languages, l) {
		lang = l
	}
	http.Redirect(w, r, draftURL(d.ID, lang)+"&done=created", http.StatusSeeOther)
}
