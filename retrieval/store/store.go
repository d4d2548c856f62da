// Package store keeps Lots' data in PostgreSQL with pgvector: the vetted sources, the crawl
// frontier, pages, chunks with their vectors, and index versions. It owns the schema.
package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	pgxvec "github.com/pgvector/pgvector-go/pgx"
)

// ErrNotFound is returned when a named row does not exist.
var ErrNotFound = errors.New("not found")

// Store is the PostgreSQL store. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

// Open connects to the database at url. It does not migrate; call Migrate or CheckSchema.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		// Every search is filtered (language, source); without iterative scans the HNSW
		// index returns ef_search candidates and the filter can starve the result.
		if _, err := conn.Exec(ctx, "SET hnsw.iterative_scan = relaxed_order"); err != nil {
			return fmt.Errorf("set hnsw.iterative_scan: %w", err)
		}
		// The vector type exists only after the first migration; register it when it does.
		var exists bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'vector')").Scan(&exists); err != nil {
			return fmt.Errorf("look up vector type: %w", err)
		}
		if exists {
			if err := pgxvec.RegisterTypes(ctx, conn); err != nil {
				return fmt.Errorf("register pgvector types: %w", err)
			}
		}
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Close closes every connection.
func (s *Store) Close() { s.pool.Close() }

// Pool gives the connection pool to packages that keep their own tables in this database.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }
