package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Flow kinds: what a sign-in under way is waiting for.
const (
	FlowPasskeyCreate = "passkey.create" // a new space's first passkey
	FlowPasskeyAdd    = "passkey.add"    // another passkey for a signed-in user
	FlowPasskeyLogin  = "passkey.login"
	FlowOIDC          = "oidc"
	FlowRecoveryCodes = "recovery.codes" // a new space's recovery codes, still to be shown
)

// flowTTL is how long a sign-in may take from its start to its end.
const flowTTL = 10 * time.Minute

// SaveFlow keeps the state of a sign-in under way on the server (never in the browser, which
// holds only the returned random token) for ten minutes.
func (a *Accounts) SaveFlow(ctx context.Context, kind string, data any) (token string, err error) {
	js, err := json.Marshal(data)
	if err != nil {
		return "", fmt.Errorf("save %s flow: %w", kind, err)
	}
	token, hash := newToken()
	if _, err := a.pool.Exec(ctx, `WITH expired AS (DELETE FROM signin_flows WHERE expires_at < now())
		INSERT INTO signin_flows (token_hash, kind, data, expires_at) VALUES ($1, $2, $3, $4)`,
		hash, kind, js, time.Now().Add(flowTTL)); err != nil {
		return "", fmt.Errorf("save %s flow: %w", kind, err)
	}
	return token, nil
}

// TakeFlow reads the state of the sign-in with token into data and forgets it, so that it
// finishes once. An unknown, expired or other kind's token gives ErrFlowExpired.
func (a *Accounts) TakeFlow(ctx context.Context, kind, token string, data any) error {
	if token == "" {
		return ErrFlowExpired
	}
	var js []byte
	var gotKind string
	var live bool
	err := a.pool.QueryRow(ctx, `DELETE FROM signin_flows WHERE token_hash = $1 RETURNING kind, data, expires_at > now()`, hashToken(token)).
		Scan(&gotKind, &js, &live)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrFlowExpired
	}
	if err != nil {
		return fmt.Errorf("take %s flow: %w", kind, err)
	}
	// Checked after the delete: a token is tried once, whatever it was.
	if gotKind != kind || !live {
		return ErrFlowExpired
	}
	if err := json.Unmarshal(js, data); err != nil {
		return fmt.Errorf("take %s flow: %w", kind, err)
	}
	return nil
}

// FlowInvite is a staff role offered by a one-time link (lots users invite): for agencies
// without an OpenID Connect directory, and for a first admin.
const FlowInvite = "invite"

// invite is what an invitation grants.
type invite struct {
	Role Role   `json:"role"`
	By   string `json:"by"`
}

// Invite returns a one-time token that gives role r to whoever signs in and accepts it within
// ttl.
func (a *Accounts) Invite(ctx context.Context, r Role, by string, ttl time.Duration) (string, error) {
	if err := checkRole(r); err != nil {
		return "", err
	}
	js, err := json.Marshal(invite{Role: r, By: by})
	if err != nil {
		return "", fmt.Errorf("invite: %w", err)
	}
	token, hash := newToken()
	if _, err := a.pool.Exec(ctx, `INSERT INTO signin_flows (token_hash, kind, data, expires_at) VALUES ($1, $2, $3, $4)`,
		hash, FlowInvite, js, time.Now().Add(ttl)); err != nil {
		return "", fmt.Errorf("invite: %w", err)
	}
	a.recordRole(ctx, "role.invite", r, by, "")
	return token, nil
}

// InviteRole tells what the invitation with token offers, without using it up; ErrFlowExpired
// when there is none.
func (a *Accounts) InviteRole(ctx context.Context, token string) (Role, error) {
	var js []byte
	err := a.pool.QueryRow(ctx, `SELECT data FROM signin_flows WHERE token_hash = $1 AND kind = $2 AND expires_at > now()`,
		hashToken(token), FlowInvite).Scan(&js)
	if errors.Is(err, pgx.ErrNoRows) {
		return Role{}, ErrFlowExpired
	}
	if err != nil {
		return Role{}, fmt.Errorf("read invitation: %w", err)
	}
	var inv invite
	if err := json.Unmarshal(js, &inv); err != nil {
		return Role{}, fmt.Errorf("read invitation: %w", err)
	}
	return inv.Role, nil
}

// AcceptInvite gives the invitation's role to the user and uses the invitation up.
func (a *Accounts) AcceptInvite(ctx context.Context, token, userID string) (Role, error) {
	var inv invite
	if err := a.TakeFlow(ctx, FlowInvite, token, &inv); err != nil {
		return Role{}, err
	}
	if _, err := a.pool.Exec(ctx, `INSERT INTO user_roles (user_id, role, agency) VALUES ($1::uuid, $2, $3) ON CONFLICT DO NOTHING`,
		userID, inv.Role.Name, inv.Role.Agency); err != nil {
		return Role{}, fmt.Errorf("accept invitation: %w", err)
	}
	a.recordRole(ctx, "role.accept", inv.Role, inv.By, userID)
	return inv.Role, nil
}
