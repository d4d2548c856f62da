// Package space keeps a signed-in person's own space: the applications they prepare (drafts),
// the handoffs from the chat that wait for them to sign in, the conversations they chose to
// keep, and their consents. Every read and write is scoped by the user's id, identity numbers
// are sealed (encrypted) at rest, and a person can export everything Lots holds about them and
// delete it all.
package space

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNotFound means there is no such draft, handoff or conversation for this user (or it has
// expired). A user asking for another user's draft gets it too: the draft does not exist for them.
var ErrNotFound = errors.New("not found")

// Purposes a user consents to, one by one.
const (
	PurposeDrafts        = "drafts"        // keep applications being prepared in the own space
	PurposeConversations = "conversations" // keep chosen chat conversations beyond their expiry
)

// Purposes lists every purpose, in the order the privacy page shows them.
var Purposes = []string{PurposeDrafts, PurposeConversations}

// Store is the own space in PostgreSQL.
type Store struct {
	pool      *pgxpool.Pool
	sealer    *Sealer
	retention time.Duration // the chat's: an unsaved conversation expires this long after its last turn
}

// New returns the own space on pool; sealer seals identity numbers, and retention is the
// chat's conversation retention (an unsaved conversation returns to it).
func New(pool *pgxpool.Pool, sealer *Sealer, retention time.Duration) *Store {
	return &Store{pool: pool, sealer: sealer, retention: retention}
}

// Consent is a user's consent to one purpose.
type Consent struct {
	Purpose     string     `json:"purpose"`
	GrantedAt   time.Time  `json:"granted_at"`
	WithdrawnAt *time.Time `json:"withdrawn_at,omitempty"`
}

// Active reports whether the consent is in force.
func (c Consent) Active() bool { return c.WithdrawnAt == nil }

// querier is a pool or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

const grantConsentSQL = `INSERT INTO consents (user_id, purpose) VALUES ($1::uuid, $2)
	ON CONFLICT (user_id, purpose) DO UPDATE SET granted_at = CASE WHEN consents.withdrawn_at IS NULL
		THEN consents.granted_at ELSE now() END, withdrawn_at = NULL`

// Grant records the user's consent to purpose (again, when they had withdrawn it).
func (s *Store) Grant(ctx context.Context, userID, purpose string) error {
	return grant(ctx, s.pool, userID, purpose)
}

func grant(ctx context.Context, q querier, userID, purpose string) error {
	if _, err := q.Exec(ctx, grantConsentSQL, userID, purpose); err != nil {
		return fmt.Errorf("record consent %s: %w", purpose, err)
	}
	return nil
}

// Withdraw withdraws the user's consent to purpose and deletes the data kept for it at once:
// the drafts for PurposeDrafts; for PurposeConversations the saved conversations return to
// the chat's normal expiry.
func (s *Store) Withdraw(ctx context.Context, userID, purpose string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE consents SET withdrawn_at = now()
			WHERE user_id = $1::uuid AND purpose = $2 AND withdrawn_at IS NULL`, userID, purpose); err != nil {
			return fmt.Errorf("withdraw consent %s: %w", purpose, err)
		}
		switch purpose {
		case PurposeDrafts:
			if _, err := tx.Exec(ctx, "DELETE FROM drafts WHERE user_id = $1::uuid", userID); err != nil {
				return fmt.Errorf("withdraw consent %s: delete drafts: %w", purpose, err)
			}
		case PurposeConversations:
			if err := s.unsaveAll(ctx, tx, userID); err != nil {
				return fmt.Errorf("withdraw consent %s: %w", purpose, err)
			}
		}
		return nil
	})
}

// Consents returns the user's consents, in force or withdrawn.
func (s *Store) Consents(ctx context.Context, userID string) ([]Consent, error) {
	rows, err := s.pool.Query(ctx, `SELECT purpose, granted_at, withdrawn_at FROM consents
		WHERE user_id = $1::uuid ORDER BY purpose`, userID)
	if err != nil {
		return nil, fmt.Errorf("list consents: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Consent, error) {
		var c Consent
		err := row.Scan(&c.Purpose, &c.GrantedAt, &c.WithdrawnAt)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("list consents: %w", err)
	}
	return out, nil
}

// notFound turns "no rows" and a malformed id (which names nothing) into ErrNotFound.
func notFound(err error) error {
	var pgErr *pgconn.PgError
	if errors.Is(err, pgx.ErrNoRows) || errors.As(err, &pgErr) && pgErr.Code == "22P02" {
		return ErrNotFound
	}
	return err
}
