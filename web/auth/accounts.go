package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// SessionCookie is the cookie holding a signed-in session's token.
const SessionCookie = "lots_session"

// Sentinel errors callers act on.
var (
	ErrNoSession   = errors.New("no such session, or it has expired")
	ErrNoUser      = errors.New("no such user")
	ErrNoPasskey   = errors.New("no such passkey")
	ErrBadCode     = errors.New("the recovery code is wrong or was used already")
	ErrFlowExpired = errors.New("the sign-in took too long or was already finished; start again")
	ErrLastSignIn  = errors.New("this is the last way to sign in to the space")
	ErrSignIn      = errors.New("the sign-in failed")
)

// AccountsConfig sets how long sessions last.
type AccountsConfig struct {
	SessionIdle time.Duration // a session unused this long ends; default 8 hours
	SessionMax  time.Duration // a session ends this long after sign-in, used or not; default 7 days
}

// Accounts keeps users, their sessions, recovery codes and staff roles, and the state of
// sign-ins under way.
type Accounts struct {
	pool  *pgxpool.Pool
	log   *slog.Logger
	audit *Audit
	cfg   AccountsConfig
}

// NewAccounts returns the accounts on pool.
func NewAccounts(pool *pgxpool.Pool, log *slog.Logger, cfg AccountsConfig) *Accounts {
	if cfg.SessionIdle <= 0 {
		cfg.SessionIdle = 8 * time.Hour
	}
	if cfg.SessionMax <= 0 {
		cfg.SessionMax = 7 * 24 * time.Hour
	}
	return &Accounts{pool: pool, log: log, audit: NewAudit(pool), cfg: cfg}
}

// Audit returns the audit log the accounts record sign-ins and role changes in.
func (a *Accounts) Audit() *Audit { return a.audit }

// CreateUser creates a user with no way to sign in yet, speaking language.
func (a *Accounts) CreateUser(ctx context.Context, language string) (User, error) {
	u := User{Language: language}
	if err := a.pool.QueryRow(ctx, `INSERT INTO users (language) VALUES ($1) RETURNING id::text`, language).Scan(&u.ID); err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// userColumns are a user's columns with their roles, of users u, for scanUser.
const userColumns = `u.id::text, u.language, coalesce(u.email, ''),
	coalesce((SELECT array_agg(r.role || ':' || r.agency ORDER BY r.role, r.agency) FROM user_roles r WHERE r.user_id = u.id), '{}')`

// selectUser loads a user with their roles; $1 is the user's id.
const selectUser = `SELECT ` + userColumns + ` FROM users u WHERE u.id = $1::uuid`

// User loads the user with id, with their roles.
func (a *Accounts) User(ctx context.Context, id string) (User, error) {
	u, err := scanUser(a.pool.QueryRow(ctx, selectUser, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, ErrNoUser
	}
	if err != nil {
		return User{}, fmt.Errorf("load user: %w", err)
	}
	return u, nil
}

func scanUser(row pgx.Row) (User, error) {
	var u User
	var roles []string
	if err := row.Scan(&u.ID, &u.Language, &u.Email, &roles); err != nil {
		return User{}, err
	}
	u.Roles = parseRoles(roles)
	return u, nil
}

// parseRoles reads roles as the queries give them: "steward:csn", "admin:".
func parseRoles(roles []string) []Role {
	var out []Role
	for _, r := range roles {
		name, agency, _ := strings.Cut(r, ":")
		out = append(out, Role{Name: name, Agency: agency})
	}
	return out
}

// DeleteUser deletes the user and, through the schema's cascades, everything they own.
func (a *Accounts) DeleteUser(ctx context.Context, id string) error {
	tag, err := a.pool.Exec(ctx, `DELETE FROM users WHERE id = $1::uuid`, id)
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNoUser
	}
	return nil
}

// newToken returns a random 32-byte token, base64url-encoded, and its SHA-256 hash.
func newToken() (token string, hash []byte) {
	b := make([]byte, 32)
	rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// StartSession signs the user in: it returns a new session's token for the cookie, and when it
// ends unless used. Expired sessions of everyone are deleted on the way.
func (a *Accounts) StartSession(ctx context.Context, userID string) (token string, expires time.Time, err error) {
	token, hash := newToken()
	idle := a.cfg.SessionIdle
	if idle > a.cfg.SessionMax {
		idle = a.cfg.SessionMax
	}
	expires = time.Now().Add(idle)
	// One statement: the sweep, the session and the user's last sign-in land together or not at all.
	if _, err := a.pool.Exec(ctx, `WITH expired AS (DELETE FROM sessions WHERE expires_at < now()),
			seen AS (UPDATE users SET last_seen_at = now() WHERE id = $2::uuid)
		INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2::uuid, $3)`, hash, userID, expires); err != nil {
		return "", time.Time{}, fmt.Errorf("start session: %w", err)
	}
	return token, expires, nil
}

// touchEvery is how often a session's last use is written: not on every request.
const touchEvery = time.Minute

// Session returns the user signed in with token. Each use moves the idle expiry on, never past
// SessionMax after sign-in. An unknown or expired token gives ErrNoSession.
func (a *Accounts) Session(ctx context.Context, token string) (User, error) {
	if token == "" {
		return User{}, ErrNoSession
	}
	hash := hashToken(token)
	var lastSeen time.Time
	var u User
	var roles []string
	err := a.pool.QueryRow(ctx, `SELECT `+userColumns+`, s.last_seen_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1 AND s.expires_at > now()`, hash).Scan(&u.ID, &u.Language, &u.Email, &roles, &lastSeen)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, ErrNoSession
	}
	if err != nil {
		return User{}, fmt.Errorf("load session: %w", err)
	}
	u.Roles = parseRoles(roles)
	if time.Since(lastSeen) > touchEvery {
		_, err := a.pool.Exec(ctx, `WITH s AS (
				UPDATE sessions SET last_seen_at = now(),
					expires_at = least(created_at + make_interval(secs => $2), now() + make_interval(secs => $3))
				WHERE token_hash = $1 RETURNING user_id)
			UPDATE users SET last_seen_at = now() WHERE id = (SELECT user_id FROM s)`,
			hash, a.cfg.SessionMax.Seconds(), a.cfg.SessionIdle.Seconds())
		if err != nil {
			return User{}, fmt.Errorf("touch session: %w", err)
		}
	}
	return u, nil
}

// EndSession signs the session with token out.
func (a *Accounts) EndSession(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	if _, err := a.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hashToken(token)); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// EndSessions signs the user out everywhere.
func (a *Accounts) EndSessions(ctx context.Context, userID string) error {
	if _, err := a.pool.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1::uuid`, userID); err != nil {
		return fmt.Errorf("end sessions: %w", err)
	}
	return nil
}

// RecordSignIn notes a sign-in in the audit log; method is "passkey", "recovery" or "oidc".
func (a *Accounts) RecordSignIn(ctx context.Context, userID, method, provider string) {
	detail := map[string]any{"method": method}
	if provider != "" {
		detail["provider"] = provider
	}
	err := a.audit.Record(ctx, Entry{ActorID: userID, Actor: "self", Action: "auth.signin", SubjectType: "user",
		SubjectID: userID, OwnerID: userID, Detail: detail})
	if err != nil {
		a.log.WarnContext(ctx, "audit sign-in", "err", err)
	}
}
