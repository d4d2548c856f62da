package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// RecoveryCodeCount is how many recovery codes a user gets at a time.
const RecoveryCodeCount = 10

// recoveryAlphabet leaves out symbols that look alike (0 and O, 1, I and L): 31 symbols.
const recoveryAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// recoveryLength is the symbols in a code: 16 of 31 give 79 bits, beyond guessing.
const recoveryLength = 16

// NewRecoveryCodes replaces the user's recovery codes with RecoveryCodeCount new ones and
// returns them, to be shown once: only their hashes are kept.
func (a *Accounts) NewRecoveryCodes(ctx context.Context, userID string) ([]string, error) {
	codes := make([]string, RecoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
	}
	err := pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1::uuid`, userID); err != nil {
			return err
		}
		for _, c := range codes {
			if _, err := tx.Exec(ctx, `INSERT INTO recovery_codes (code_hash, user_id) VALUES ($1, $2::uuid)`, hashRecoveryCode(c), userID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("new recovery codes: %w", err)
	}
	return codes, nil
}

// newRecoveryCode is four groups of four symbols: "7KQM-WX3P-…".
func newRecoveryCode() string {
	var b strings.Builder
	buf := make([]byte, recoveryLength)
	for i := 0; i < recoveryLength; {
		rand.Read(buf)
		for _, c := range buf {
			// Take bytes below the largest multiple of the alphabet's size: no bias.
			if i == recoveryLength || int(c) >= 256-256%len(recoveryAlphabet) {
				continue
			}
			if i > 0 && i%4 == 0 {
				b.WriteByte('-')
			}
			b.WriteByte(recoveryAlphabet[int(c)%len(recoveryAlphabet)])
			i++
		}
	}
	return b.String()
}

// normalizeRecoveryCode forgives what people do when typing a code: lower case, spaces, missing
// or extra dashes.
func normalizeRecoveryCode(code string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(code) {
		if r != '-' && r != ' ' && r != '\t' && r != '\u00a0' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func hashRecoveryCode(code string) []byte {
	h := sha256.Sum256([]byte("lots recovery code\x00" + normalizeRecoveryCode(code)))
	return h[:]
}

// UseRecoveryCode signs in with a recovery code: it returns the code's user and uses the code
// up. A wrong or used code gives ErrBadCode.
func (a *Accounts) UseRecoveryCode(ctx context.Context, code string) (userID string, err error) {
	n := normalizeRecoveryCode(code)
	if len(n) != recoveryLength {
		return "", ErrBadCode
	}
	err = a.pool.QueryRow(ctx, `DELETE FROM recovery_codes WHERE code_hash = $1 RETURNING user_id::text`, hashRecoveryCode(n)).Scan(&userID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ErrBadCode
	}
	if err != nil {
		return "", fmt.Errorf("use recovery code: %w", err)
	}
	return userID, nil
}

// RecoveryCodesLeft counts the user's unused recovery codes.
func (a *Accounts) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	var n int
	if err := a.pool.QueryRow(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = $1::uuid`, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count recovery codes: %w", err)
	}
	return n, nil
}
