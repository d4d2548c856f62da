package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/nyisverige/lots/web/auth"
)

// inviteData is what templates/views/signin_invite.html shows: the role a one-time link offers.
type inviteData struct {
	Token  string
	Role   auth.Role
	Accept string // the sentence naming the role, in the page's language
}

// invitePage is GET /signin/invite/{token}: a signed-in user sees the role the link offers and
// accepts it with a form (a link alone never changes anything).
func (s *Server) invitePage(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	role, err := s.cfg.Auth.Accounts.InviteRole(r.Context(), token)
	if errors.Is(err, auth.ErrFlowExpired) {
		s.signinProblem(w, r, http.StatusNotFound, "invite_invalid")
		return
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "read invitation", "err", err)
		s.signinProblem(w, r, http.StatusInternalServerError, "invite_unavailable")
		return
	}
	v := s.view(w, r, "signin", "invite_title")
	d := inviteData{Token: token, Role: role, Accept: v.T["invite_lead_admin"]}
	if role.Name == auth.RoleSteward {
		d.Accept = fmt.Sprintf(v.T["invite_lead_steward"], role.Agency)
	}
	v.Data = d
	s.renderView(w, http.StatusOK, "signin_invite.html", v)
}

// acceptInvite is POST /signin/invite/{token}: the role becomes the signed-in user's.
func (s *Server) acceptInvite(w http.ResponseWriter, r *http.Request) {
	if !s.signinForm(w, r) {
		return
	}
	u, _ := auth.UserFrom(r.Context())
	_, err := s.cfg.Auth.Accounts.AcceptInvite(r.Context(), r.PathValue("token"), u.ID)
	if errors.Is(err, auth.ErrFlowExpired) {
		s.signinProblem(w, r, http.StatusNotFound, "invite_invalid")
		return
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "accept invitation", "err", err)
		s.signinProblem(w, r, http.StatusInternalServerError, "invite_unavailable")
		return
	}
	http.Redirect(w, r, "/console?lang="+pageLanguage(r), http.StatusSeeOther)
}
