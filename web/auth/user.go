// Package auth signs people in (passkeys, one-time recovery codes, OpenID Connect), keeps their
// sessions, and says what their roles let them do.
package auth

import (
	"context"
	"slices"
)

// Role names.
const (
	RoleSteward = "steward" // manages one agency's sources
	RoleAdmin   = "admin"   // all agencies, users and settings
)

// Role is a staff role; Agency is "" for admin.
type Role struct {
	Name   string
	Agency string
}

// User is a signed-in person. Newcomers have no roles.
type User struct {
	ID       string // uuid
	Language string
	Email    string // from OpenID Connect, when the provider gave a verified one
	Roles    []Role
}

// IsAdmin reports whether the user has the admin role.
func (u User) IsAdmin() bool {
	return slices.ContainsFunc(u.Roles, func(r Role) bool { return r.Name == RoleAdmin })
}

// IsStaff reports whether the user may enter the stewards' console.
func (u User) IsStaff() bool { return len(u.Roles) > 0 }

// CanSteward reports whether the user may manage the agency's sources: an admin, or its steward.
func (u User) CanSteward(agency string) bool {
	return u.IsAdmin() || slices.ContainsFunc(u.Roles, func(r Role) bool { return r.Name == RoleSteward && r.Agency == agency })
}

// Agencies lists the agencies the user stewards; nil for an admin (all of them).
func (u User) Agencies() []string {
	if u.IsAdmin() {
		return nil
	}
	var out []string
	for _, r := range u.Roles {
		if r.Name == RoleSteward {
			out = append(out, r.Agency)
		}
	}
	return out
}

type userKey struct{}

// WithUser returns a context carrying the signed-in user.
func WithUser(ctx context.Context, u User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// UserFrom returns the signed-in user of the request's context, if any.
func UserFrom(ctx context.Context) (User, bool) {
	u, ok := ctx.Value(userKey{}).(User)
	return u, ok
}
