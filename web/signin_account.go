package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/nyisverige/lots/web/auth"
)

// accountData is what account.html shows: how the user signs in.
type accountData struct {
	Passkeys      []passkeyRow
	CanAdd        bool // passkeys are configured
	CodesLeft     int
	Email         string
	Roles         []auth.Role
	CSRFForJS     string
	RecoveryCodes int // how many a fresh set has
}

type passkeyRow struct {
	ID       string
	Added    string // 2006-01-02
	LastUsed string // "" when never used
}

// accountDone are the confirmations of ?done= on the account page.
var accountDone = map[string]string{
	"added":   "account_done_added",
	"removed": "account_done_removed",
}

// accountPage is GET /account: the user's passkeys and recovery codes.
func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) {
	v := s.view(w, r, "signin", "account_title")
	if key, ok := accountDone[r.URL.Query().Get("done")]; ok {
		v.Flash = v.T[key]
	}
	s.renderAccount(w, r, v, http.StatusOK)
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, v View, status int) {
	u, _ := auth.UserFrom(r.Context())
	d := accountData{CanAdd: s.cfg.Auth.Passkeys != nil, Email: u.Email, Roles: u.Roles, CSRFForJS: v.CSRFToken,
		RecoveryCodes: auth.RecoveryCodeCount}
	var err error
	if d.CodesLeft, err = s.cfg.Auth.Accounts.RecoveryCodesLeft(r.Context(), u.ID); err != nil {
		s.log.ErrorContext(r.Context(), "account page", "err", err)
		s.signinProblem(w, r, http.StatusServiceUnavailable, "error_unavailable")
		return
	}
	if s.cfg.Auth.Passkeys != nil {
		keys, err := s.cfg.Auth.Passkeys.List(r.Context(), u.ID)
		if err != nil {
			s.log.ErrorContext(r.Context(), "account page", "err", err)
			s.signinProblem(w, r, http.StatusServiceUnavailable, "error_unavailable")
			return
		}
		for _, k := range keys {
			row := passkeyRow{ID: k.ID, Added: k.CreatedAt.Format("2006-01-02")}
			if !k.LastUsed.IsZero() {
				row.LastUsed = k.LastUsed.Format("2006-01-02")
			}
			d.Passkeys = append(d.Passkeys, row)
		}
	}
	v.Data = d
	s.renderView(w, status, "account.html", v)
}

// signinForm parses a form of the sign-in or account pages and checks its CSRF token; on failure
// it has answered.
func (s *Server) signinForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return false
	}
	if !checkCSRF(r) {
		s.signinProblem(w, r, http.StatusForbidden, "signin_error_csrf")
		return false
	}
	return true
}

// passkeyRemove is POST /account/passkeys/remove.
func (s *Server) passkeyRemove(w http.ResponseWriter, r *http.Request) {
	if !s.signinForm(w, r) {
		return
	}
	u, _ := auth.UserFrom(r.Context())
	if s.cfg.Auth.Passkeys == nil {
		http.NotFound(w, r)
		return
	}
	err := s.cfg.Auth.Passkeys.Remove(r.Context(), u.ID, r.PostFormValue("id"))
	if err == nil {
		s.auditSelf(r.Context(), u.ID, "auth.passkey_remove")
		http.Redirect(w, r, "/account?done=removed&lang="+url.QueryEscape(pageLanguage(r)), http.StatusSeeOther)
		return
	}
	v := s.view(w, r, "signin", "account_title")
	status := http.StatusConflict
	switch {
	case errors.Is(err, auth.ErrLastSignIn):
		v.Error = v.T["account_error_last"]
	case errors.Is(err, auth.ErrNoPasskey):
		v.Error, status = v.T["account_error_failed"], http.StatusNotFound
	default:
		s.log.InfoContext(r.Context(), "remove passkey", "err", err)
		v.Error, status = v.T["account_error_failed"], http.StatusBadRequest
	}
	s.renderAccount(w, r, v, status)
}

// regenerateCodes is POST /account/codes: new recovery codes replace the old, shown once.
func (s *Server) regenerateCodes(w http.ResponseWriter, r *http.Request) {
	if !s.signinForm(w, r) {
		return
	}
	u, _ := auth.UserFrom(r.Context())
	s.showNewCodes(w, r, u, "/account?lang="+url.QueryEscape(pageLanguage(r)))
}

// signoutEverywhere is POST /account/signout-everywhere: every session of the user ends.
func (s *Server) signoutEverywhere(w http.ResponseWriter, r *http.Request) {
	if !s.signinForm(w, r) {
		return
	}
	u, _ := auth.UserFrom(r.Context())
	if err := s.cfg.Auth.Accounts.EndSessions(r.Context(), u.ID); err != nil {
		s.log.ErrorContext(r.Context(), "sign out everywhere", "err", err)
		s.signinProblem(w, r, http.StatusServiceUnavailable, "error_unavailable")
		return
	}
	s.clearCookie(w, r, auth.SessionCookie, "/")
	s.rotateCSRF(w, r)
	s.auditSelf(r.Context(), u.ID, "auth.signout_everywhere")
	http.Redirect(w, r, "/signin?done=signedout&lang="+url.QueryEscape(pageLanguage(r)), http.StatusSeeOther)
}
