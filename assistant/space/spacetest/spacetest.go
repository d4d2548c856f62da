// Package spacetest holds what the own space's tests share to check that a person's data is
// where it should be and nowhere else: the schema's tables, and the rows that still hold a value.
package spacetest

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Tables lists the tables of the database's schema.
func Tables(t testing.TB, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(t.Context(), `SELECT table_name::text FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// Holding sweeps every table of the schema for rows whose text holds any of values, and returns
// how many each table has, leaving out the tables that have none.
func Holding(t testing.TB, pool *pgxpool.Pool, values ...string) map[string]int {
	t.Helper()
	found := map[string]int{}
	for _, table := range Tables(t, pool) {
		var n int
		err := pool.QueryRow(t.Context(), "SELECT count(*) FROM "+pgx.Identifier{table}.Sanitize()+
			" t WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) v WHERE strpos(t::text, v) > 0)", values).Scan(&n)
		if err != nil {
			t.Fatalf("sweep %s: %v", table, err)
		}
		if n > 0 {
			found[table] = n
		}
	}
	return found
}

// NewUUID returns a fresh random UUID from the database, for a row that does not exist yet.
func NewUUID(t testing.TB, pool *pgxpool.Pool) string {
	t.Helper()
	var id string
	if err := pool.QueryRow(t.Context(), "SELECT gen_random_uuid()::text").Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}
