package auth

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoGrant means there was no such role to revoke.
var ErrNoGrant = errors.New("no such role grant")

// Grant is a staff role granted to an e-mail address, and whether its owner has signed in.
type Grant struct {
	Email     string
	Role      Role
	GrantedBy string
	CreatedAt time.Time
	UserID    string // the user with this e-mail, "" until they sign in with OpenID Connect
	Active    bool   // the user has the role now
}

// NormalizeEmail trims and lower-cases an e-mail address, and checks it is one.
func NormalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Address != e || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") {
		return "", fmt.Errorf("%q is not an e-mail address", email)
	}
	return e, nil
}

// checkRole says what is wrong with a role: an admin has no agency, a steward has one.
func checkRole(r Role) error {
	switch {
	case r.Name == RoleAdmin && r.Agency != "":
		return fmt.Errorf("the admin role is for all agencies: give no agency")
	case r.Name == RoleSteward && strings.TrimSpace(r.Agency) == "":
		return fmt.Errorf("the steward role needs an agency")
	case r.Name != RoleAdmin && r.Name != RoleSteward:
		return fmt.Errorf("role %q: want %s or %s", r.Name, RoleSteward, RoleAdmin)
	}
	return nil
}

// Grant gives the role to whoever signs in with OpenID Connect with this verified e-mail
// address: at once if they have signed in before, else at their first sign-in. by names who
// granted it, for the audit log ("cli:<name>", or an admin's e-mail).
func (a *Accounts) Grant(ctx context.Context, email string, r Role, by string) error {
	email, err := NormalizeEmail(email)
	if err != nil {
		return err
	}
	if err := checkRole(r); err != nil {
		return err
	}
	var owner string
	err = pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO role_grants (email, role, agency, granted_by) VALUES ($1, $2, $3, $4)
			ON CONFLICT (email, role, agency) DO NOTHING`, email, r.Name, r.Agency, by); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `WITH u AS (SELECT id FROM users WHERE email = $1),
				ins AS (INSERT INTO user_roles (user_id, role, agency) SELECT id, $2, $3 FROM u ON CONFLICT DO NOTHING)
			SELECT coalesce((SELECT id::text FROM u), '')`, email, r.Name, r.Agency).Scan(&owner)
	})
	if err != nil {
		return fmt.Errorf("grant %s: %w", r.Name, err)
	}
	a.recordRole(ctx, "role.grant", r, by, owner)
	return nil
}

// Revoke takes the role from the e-mail address's grant and from its user.
func (a *Accounts) Revoke(ctx context.Context, email string, r Role, by string) error {
	email, err := NormalizeEmail(email)
	if err != nil {
		return err
	}
	var grants, roles int64
	var owner string
	err = pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM role_grants WHERE email = $1 AND role = $2 AND agency = $3`, email, r.Name, r.Agency)
		if err != nil {
			return err
		}
		grants = tag.RowsAffected()
		return tx.QueryRow(ctx, `WITH u AS (SELECT id FROM users WHERE email = $1),
				del AS (DELETE FROM user_roles WHERE user_id = (SELECT id FROM u) AND role = $2 AND agency = $3 RETURNING 1)
			SELECT coalesce((SELECT id::text FROM u), ''), (SELECT count(*) FROM del)`, email, r.Name, r.Agency).Scan(&owner, &roles)
	})
	if err != nil {
		return fmt.Errorf("revoke %s: %w", r.Name, err)
	}
	if grants == 0 && roles == 0 {
		return ErrNoGrant
	}
	a.recordRole(ctx, "role.revoke", r, by, owner)
	return nil
}

func (a *Accounts) recordRole(ctx context.Context, action string, r Role, by, owner string) {
	// The e-mail addresses stay out of the log: the role's user id says whose it is.
	err := a.audit.Record(ctx, Entry{Actor: by, Action: action, SubjectType: "role", SubjectID: r.Name, Agency: r.Agency, OwnerID: owner})
	if err != nil {
		a.log.WarnContext(ctx, "audit "+action, "err", err)
	}
}

// Grants lists the role grants and whether their users have them, by e-mail address; roles a
// user has without a grant are listed too, with GrantedBy "".
func (a *Accounts) Grants(ctx context.Context) ([]Grant, error) {
	rows, err := a.pool.Query(ctx, `SELECT g.email, g.role, g.agency, g.granted_by, g.created_at, coalesce(u.id::text, ''),
			EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = g.role AND r.agency = g.agency)
		FROM role_grants g LEFT JOIN users u ON u.email = g.email
		UNION ALL
		SELECT coalesce(u.email, ''), r.role, r.agency, '', r.created_at, u.id::text, true
		FROM user_roles r JOIN users u ON u.id = r.user_id
		WHERE NOT EXISTS (SELECT 1 FROM role_grants g WHERE g.email = u.email AND g.role = r.role AND g.agency = r.agency)
		ORDER BY 1, 2, 3`)
	if err != nil {
		return nil, fmt.Errorf("list role grants: %w", err)
	}
	grants, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Grant, error) {
		var g Grant
		err := row.Scan(&g.Email, &g.Role.Name, &g.Role.Agency, &g.GrantedBy, &g.CreatedAt, &g.UserID, &g.Active)
		return g, err
	})
	if err != nil {
		return nil, fmt.Errorf("list role grants: %w", err)
	}
	return grants, nil
}

// applyGrants gives the user the roles granted to their verified e-mail address.
func applyGrants(ctx context.Context, tx pgx.Tx, userID, email string) (int64, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO user_roles (user_id, role, agency)
		SELECT $1::uuid, role, agency FROM role_grants WHERE email = $2
		ON CONFLICT DO NOTHING`, userID, email)
	if err != nil {
		return 0, fmt.Errorf("apply role grants: %w", err)
	}
	return tag.RowsAffected(), nil
}
