package space

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultAbandonAfter is how long a draft nobody touches is kept before retention deletes it.
const DefaultAbandonAfter = 90 * 24 * time.Hour

// DeleteAbandonedDrafts deletes drafts not handed off and not changed for olderThan.
func (s *Store) DeleteAbandonedDrafts(ctx context.Context, olderThan time.Duration) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM drafts WHERE status <> 'handed_off'
		AND updated_at < now() - make_interval(secs => $1)`, olderThan.Seconds())
	if err != nil {
		return 0, fmt.Errorf("delete abandoned drafts: %w", err)
	}
	return tag.RowsAffected(), nil
}

// DeleteExpiredHandoffs deletes handoffs nobody claimed in time.
func (s *Store) DeleteExpiredHandoffs(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, "DELETE FROM handoffs WHERE expires_at <= now()")
	if err != nil {
		return 0, fmt.Errorf("delete expired handoffs: %w", err)
	}
	return tag.RowsAffected(), nil
}

// Retain runs the own space's retention: abandoned drafts and expired handoffs.
func (s *Store) Retain(ctx context.Context, abandonAfter time.Duration) (drafts, handoffs int64, err error) {
	if drafts, err = s.DeleteAbandonedDrafts(ctx, abandonAfter); err != nil {
		return 0, 0, err
	}
	if handoffs, err = s.DeleteExpiredHandoffs(ctx); err != nil {
		return drafts, 0, err
	}
	return drafts, handoffs, nil
}

// Reseal seals again, under the current key, every draft and handoff sealed under a previous
// one, so that the previous key can be retired. It returns how many it sealed again.
func (s *Store) Reseal(ctx context.Context) (int, error) {
	n := 0
	for _, table := range []struct{ name, id, bound string }{
		{"drafts", "id::text", "'draft:' || id::text"},
		{"handoffs", "encode(token_hash, 'hex')", "'handoff:' || encode(token_hash, 'hex')"},
	} {
		rows, err := s.pool.Query(ctx, "SELECT "+table.id+", "+table.bound+", sealed FROM "+table.name+" WHERE sealed IS NOT NULL")
		if err != nil {
			return n, fmt.Errorf("reseal %s: %w", table.name, err)
		}
		type row struct {
			id, bound string
			sealed    []byte
		}
		all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var v row
			err := r.Scan(&v.id, &v.bound, &v.sealed)
			return v, err
		})
		if err != nil {
			return n, fmt.Errorf("reseal %s: %w", table.name, err)
		}
		for _, r := range all {
			if s.sealer.isCurrent(r.sealed) {
				continue
			}
			plain, err := s.sealer.Open(r.sealed, r.bound)
			if err != nil {
				return n, fmt.Errorf("reseal %s %s: %w", table.name, r.id, err)
			}
			// Only if unchanged meanwhile: a concurrent edit sealed it under the current key.
			if _, err := s.pool.Exec(ctx, "UPDATE "+table.name+" SET sealed = $2 WHERE "+table.id+" = $1 AND sealed = $3",
				r.id, s.sealer.Seal(plain, r.bound), r.sealed); err != nil {
				return n, fmt.Errorf("reseal %s %s: %w", table.name, r.id, err)
			}
			n++
		}
	}
	return n, nil
}
