package space

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// HandoffLifetime is how long a handoff accepted before sign-in waits to be claimed.
const HandoffLifetime = time.Hour

func tokenHash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

func handoffBound(hash []byte) string { return "handoff:" + hex.EncodeToString(hash) }

// CreateHandoff keeps what a person who is not signed in accepted in the chat for
// HandoffLifetime, and returns the token that claims it (only its hash is stored).
func (s *Store) CreateHandoff(ctx context.Context, d NewDraft) (token string, err error) {
	b := make([]byte, 32)
	rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	hash := tokenHash(token)
	plain, sealed, err := s.sealedFields(d.Fields, d.Sensitive, handoffBound(hash))
	if err != nil {
		return "", fmt.Errorf("store handoff: %w", err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO handoffs (token_hash, process_id, language, fields, sealed, expires_at)
		VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))`,
		hash, d.ProcessID, d.Language, plain, sealed, HandoffLifetime.Seconds())
	if err != nil {
		return "", fmt.Errorf("store handoff of %s: %w", d.ProcessID, err)
	}
	return token, nil
}

// ClaimHandoff turns the handoff of token into a draft of the user, once: the handoff is
// deleted. It returns ErrNotFound for an unknown, used or expired token.
func (s *Store) ClaimHandoff(ctx context.Context, token, userID string) (Draft, error) {
	hash := tokenHash(token)
	var out Draft
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var d NewDraft
		var plain, sealed []byte
		err := tx.QueryRow(ctx, `DELETE FROM handoffs WHERE token_hash = $1 AND expires_at > now()
			RETURNING process_id, language, fields, sealed`, hash).Scan(&d.ProcessID, &d.Language, &plain, &sealed)
		if err != nil {
			return fmt.Errorf("claim handoff: %w", notFound(err))
		}
		if d.Fields, d.Sensitive, err = s.openFields(plain, sealed, handoffBound(hash)); err != nil {
			return fmt.Errorf("claim handoff: %w", err)
		}
		out, err = s.createDraft(ctx, tx, userID, d)
		return err
	})
	return out, err
}
