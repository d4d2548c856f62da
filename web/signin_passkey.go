package web

// The passkey ceremonies, called by static/signin.js with the CSRF token in the X-CSRF-Token
// header: begin returns the options for navigator.credentials, finish takes the authenticator's
// answer. The ceremony's state stays on the server; the browser holds its token in a cookie.

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"

	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/web/auth"
)

// maxCeremony bounds a ceremony's request: an authenticator's answer is a few kilobytes.
const maxCeremony = 64 << 10

// beginRequest is the body of a begin call.
type beginRequest struct {
	Language string `json:"language"`
	Next     string `json:"next"`
}

// ceremonyStart checks what every ceremony call needs: passkeys configured, the CSRF header, a
// JSON body of sensible size. It writes the error and returns false when something is missing.
func (s *Server) ceremonyStart(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if s.cfg.Auth.Passkeys == nil {
		writeJSONError(w, http.StatusNotFound, "unavailable", "passkeys are not available on this site")
		return nil, false
	}
	if !checkCSRFHeader(r) {
		writeJSONError(w, http.StatusForbidden, "csrf", "the X-CSRF-Token header does not match; reload the page")
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCeremony))
	if err != nil {
		writeJSONError(w, http.StatusRequestEntityTooLarge, "too_large", "the request is too large")
		return nil, false
	}
	return body, true
}

func (s *Server) readBegin(w http.ResponseWriter, r *http.Request) (beginRequest, bool) {
	body, ok := s.ceremonyStart(w, r)
	if !ok {
		return beginRequest{}, false
	}
	if !s.allowAttempt(r) {
		writeJSONError(w, http.StatusTooManyRequests, "rate_limited", "too many sign-in attempts; wait a minute")
		return beginRequest{}, false
	}
	var req beginRequest
	if len(body) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			writeJSONError(w, http.StatusBadRequest, "bad_request", `want {"language": "sv", "next": "/space"}`)
			return beginRequest{}, false
		}
	}
	if !slices.Contains(retrieval.Languages, req.Language) {
		req.Language = pageLanguage(r)
	}
	req.Next = localPath(req.Next)
	return req, true
}

func writeCeremonyJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(v)
}

// ceremonyFailed answers a failed finish: "expired" when the ceremony is gone (start again),
// "failed" when the authenticator's answer did not verify, 500 for the server's own trouble.
func (s *Server) ceremonyFailed(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, auth.ErrFlowExpired):
		writeJSONError(w, http.StatusBadRequest, "expired", "the ceremony expired or was finished; start again")
	case errors.Is(err, auth.ErrSignIn), errors.Is(err, auth.ErrNoUser):
		s.log.InfoContext(r.Context(), "passkey ceremony refused", "err", err)
		writeJSONError(w, http.StatusUnauthorized, "failed", "the passkey was not accepted")
	default:
		s.log.ErrorContext(r.Context(), "passkey ceremony", "err", err)
		writeJSONError(w, http.StatusInternalServerError, "unavailable", "the server cannot finish the ceremony now")
	}
}

// passkeyBegin serves a ceremony's begin call: start asks for the options navigator.credentials
// takes, and the ceremony's token goes into the browser's flow cookie.
func (s *Server) passkeyBegin(w http.ResponseWriter, r *http.Request, start func(req beginRequest) (any, string, error)) {
	req, ok := s.readBegin(w, r)
	if !ok {
		return
	}
	opts, token, err := start(req)
	if err != nil {
		s.ceremonyFailed(w, r, err)
		return
	}
	s.setFlowCookie(w, r, passkeyFlowCookie, token, false)
	writeCeremonyJSON(w, map[string]any{"options": opts})
}

// passkeyFinish serves a ceremony's finish call: finish checks the authenticator's answer against
// the ceremony the flow cookie names and says where the browser goes next.
func (s *Server) passkeyFinish(w http.ResponseWriter, r *http.Request, finish func(token string, answer []byte) (redirect string, err error)) {
	body, ok := s.ceremonyStart(w, r)
	if !ok {
		return
	}
	redirect, err := finish(s.takeCookie(w, r, passkeyFlowCookie), body)
	if err != nil {
		s.ceremonyFailed(w, r, err)
		return
	}
	writeCeremonyJSON(w, map[string]string{"redirect": redirect})
}

// passkeyCreateBegin is POST /signin/passkey/create/begin: a new space's first passkey.
func (s *Server) passkeyCreateBegin(w http.ResponseWriter, r *http.Request) {
	s.passkeyBegin(w, r, func(req beginRequest) (any, string, error) {
		return s.cfg.Auth.Passkeys.BeginCreate(r.Context(), req.Language, s.strings[req.Language]["signin_passkey_name"], req.Next)
	})
}

// passkeyCreateFinish is POST /signin/passkey/create/finish: the space is created and signed in,
// and the browser goes on to its recovery codes.
func (s *Server) passkeyCreateFinish(w http.ResponseWriter, r *http.Request) {
	s.passkeyFinish(w, r, func(token string, answer []byte) (string, error) {
		userID, next, err := s.cfg.Auth.Passkeys.FinishCreate(r.Context(), token, answer)
		if err != nil {
			return "", err
		}
		if err := s.signIn(w, r, userID, "passkey", ""); err != nil {
			return "", err
		}
		codes, err := s.cfg.Auth.Accounts.SaveFlow(r.Context(), auth.FlowRecoveryCodes, codesFlow{UserID: userID, Next: next})
		if err != nil {
			return "", err
		}
		s.setFlowCookie(w, r, codesFlowCookie, codes, false)
		return "/signin/codes?lang=" + url.QueryEscape(pageLanguage(r)), nil
	})
}

// passkeyLoginBegin is POST /signin/passkey/login/begin.
func (s *Server) passkeyLoginBegin(w http.ResponseWriter, r *http.Request) {
	s.passkeyBegin(w, r, func(req beginRequest) (any, string, error) {
		return s.cfg.Auth.Passkeys.BeginLogin(r.Context(), req.Next)
	})
}

// passkeyLoginFinish is POST /signin/passkey/login/finish: signed in, the browser goes next.
func (s *Server) passkeyLoginFinish(w http.ResponseWriter, r *http.Request) {
	s.passkeyFinish(w, r, func(token string, answer []byte) (string, error) {
		userID, next, err := s.cfg.Auth.Passkeys.FinishLogin(r.Context(), token, answer)
		if err != nil {
			return "", err
		}
		if err := s.signIn(w, r, userID, "passkey", ""); err != nil {
			return "", err
		}
		return afterSignIn(next, pageLanguage(r)), nil
	})
}

// passkeyAddBegin is POST /account/passkeys/begin: another passkey for the signed-in user.
func (s *Server) passkeyAddBegin(w http.ResponseWriter, r *http.Request) {
	s.passkeyBegin(w, r, func(req beginRequest) (any, string, error) {
		u, _ := auth.UserFrom(r.Context())
		return s.cfg.Auth.Passkeys.BeginAdd(r.Context(), u.ID, s.strings[req.Language]["signin_passkey_name"])
	})
}

// passkeyAddFinish is POST /account/passkeys/finish.
func (s *Server) passkeyAddFinish(w http.ResponseWriter, r *http.Request) {
	s.passkeyFinish(w, r, func(token string, answer []byte) (string, error) {
		u, _ := auth.UserFrom(r.Context())
		if err := s.cfg.Auth.Passkeys.FinishAdd(r.Context(), u.ID, token, answer); err != nil {
			return "", err
		}
		s.auditSelf(r.Context(), u.ID, "auth.passkey_add")
		return "/account?done=added&lang=" + url.QueryEscape(pageLanguage(r)), nil
	})
}
