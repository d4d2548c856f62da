package process

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNotFound means no process has the id asked for.
var ErrNotFound = errors.New("process not found")

// Store keeps the catalog in the processes table (retrieval/store/migrations/003_accounts.sql), where
// stewards edit it.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a Store on the pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Stored is a definition as the store holds it: who changed it last, and when.
type Stored struct {
	Definition
	UpdatedBy string    `json:"updated_by"`
	UpdatedAt time.Time `json:"updated_at"`
}

const upsertProcessSQL = `
INSERT INTO processes (id, agency, definition, updated_by, updated_at)
VALUES ($1, $2, $3, $4, now())
ON CONFLICT (id) DO UPDATE
   SET agency = EXCLUDED.agency, definition = EXCLUDED.definition,
       updated_by = EXCLUDED.updated_by, updated_at = now()
 WHERE processes.definition IS DISTINCT FROM EXCLUDED.definition`

const listProcessesSQL = `SELECT definition, updated_by, updated_at FROM processes ORDER BY id`

const getProcessSQL = `SELECT definition, updated_by, updated_at FROM processes WHERE id = $1`

// Sync writes every definition of the catalog to the store (by is who or what did it, e.g.
// "lots processes load"). A definition that did not change keeps its row, including who last
// changed it. It returns how many rows it added or changed.
func (s *Store) Sync(ctx context.Context, c Catalog, by string) (int, error) {
	changed := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, d := range c.List() {
			n, err := upsert(ctx, tx, d, by)
			if err != nil {
				return err
			}
			changed += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sync process catalog: %w", err)
	}
	return changed, nil
}

// execer is a pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func upsert(ctx context.Context, q execer, d Definition, by string) (int, error) {
	data, err := json.Marshal(d)
	if err != nil {
		return 0, fmt.Errorf("save process %s: %w", d.ID, err)
	}
	tag, err := q.Exec(ctx, upsertProcessSQL, d.ID, d.Agency, data, by)
	if err != nil {
		return 0, fmt.Errorf("save process %s: %w", d.ID, err)
	}
	return int(tag.RowsAffected()), nil
}

// List returns every stored definition, by id.
func (s *Store) List(ctx context.Context) ([]Stored, error) {
	rows, err := s.pool.Query(ctx, listProcessesSQL)
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanStored)
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	return out, nil
}

// Catalog returns the stored definitions as a Catalog, for a Detector that follows stewards' edits.
func (s *Store) Catalog(ctx context.Context) (Catalog, error) {
	stored, err := s.List(ctx)
	if err != nil {
		return Catalog{}, err
	}
	defs := make([]Definition, len(stored))
	for i, st := range stored {
		defs[i] = st.Definition
	}
	return NewCatalog(defs...)
}

// Get returns the definition with the id, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (Stored, error) {
	rows, err := s.pool.Query(ctx, getProcessSQL, id)
	if err != nil {
		return Stored{}, fmt.Errorf("get process %s: %w", id, err)
	}
	st, err := pgx.CollectExactlyOneRow(rows, scanStored)
	if errors.Is(err, pgx.ErrNoRows) {
		return Stored{}, fmt.Errorf("get process %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Stored{}, fmt.Errorf("get process %s: %w", id, err)
	}
	return st, nil
}

// Put validates a definition written in the catalog's YAML format and saves it, adding the process
// or replacing the one with its id. An invalid definition is refused with an *InvalidError (every
// problem with its line) and the stored one stays as it was. by is the steward.
func (s *Store) Put(ctx context.Context, raw []byte, by string) (Definition, error) {
	d, err := Parse("", raw)
	if err != nil {
		return Definition{}, err
	}
	if _, err := upsert(ctx, s.pool, d, by); err != nil {
		return Definition{}, err
	}
	return d, nil
}

func scanStored(row pgx.CollectableRow) (Stored, error) {
	var (
		data []byte
		st   Stored
	)
	if err := row.Scan(&data, &st.UpdatedBy, &st.UpdatedAt); err != nil {
		return Stored{}, err
	}
	if err := json.Unmarshal(data, &st.Definition); err != nil {
		return Stored{}, fmt.Errorf("read stored definition: %w", err)
	}
	return st, nil
}

// Version names the stored catalog's state (how many definitions, and the latest change), so a
// server can tell cheaply whether it changed since it last looked.
func (s *Store) Version(ctx context.Context) (string, error) {
	var n int
	var latest *time.Time
	if err := s.pool.QueryRow(ctx, "SELECT count(*), max(updated_at) FROM processes").Scan(&n, &latest); err != nil {
		return "", fmt.Errorf("catalog version: %w", err)
	}
	if latest == nil {
		return "0", nil
	}
	return fmt.Sprint(n, "@", latest.UnixNano()), nil
}
