package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// PasskeyConfig names the site passkeys are made for.
type PasskeyConfig struct {
	PublicURL string // the site's address as people type it, e.g. https://lots.example.se; its host is the passkeys' relying party
	Name      string // shown by the authenticator, e.g. "Lots"
}

// Passkeys registers passkeys (WebAuthn discoverable credentials) and signs in with them, so
// that a newcomer with no e-identification and no user name can have a space of their own.
type Passkeys struct {
	accounts *Accounts
	wa       *webauthn.WebAuthn
}

// NewPasskeys returns passkeys for the site at cfg.PublicURL.
func NewPasskeys(a *Accounts, cfg PasskeyConfig) (*Passkeys, error) {
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" {
		return nil, fmt.Errorf("passkeys: public URL %q: want https://host[:port]", cfg.PublicURL)
	}
	if cfg.Name == "" {
		cfg.Name = "Lots"
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          u.Hostname(),
		RPDisplayName: cfg.Name,
		RPOrigins:     []string{u.Scheme + "://" + u.Host},
		// A passkey is the only factor, so the authenticator must verify its owner (PIN,
		// fingerprint, face); discoverable, so that no user name is asked for.
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementRequired,
			UserVerification: protocol.VerificationRequired,
		},
		AttestationPreference: protocol.PreferNoAttestation,
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: 5 * time.Minute, TimeoutUVD: 5 * time.Minute},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: 5 * time.Minute, TimeoutUVD: 5 * time.Minute},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("passkeys: %w", err)
	}
	return &Passkeys{accounts: a, wa: wa}, nil
}

// passkeyUser is a user as WebAuthn sees them: the uuid's 16 bytes as the user handle (random,
// no personal data), and their credentials.
type passkeyUser struct {
	id    []byte
	name  string
	creds []webauthn.Credential
}

func (u *passkeyUser) WebAuthnID() []byte                         { return u.id }
func (u *passkeyUser) WebAuthnName() string                       { return u.name }
func (u *passkeyUser) WebAuthnDisplayName() string                { return u.name }
func (u *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func userHandle(userID string) ([]byte, error) {
	id, err := uuid.Parse(userID)
	if err != nil {
		return nil, fmt.Errorf("user id %q: %w", userID, err)
	}
	return id[:], nil
}

// passkeyFlow is what a ceremony keeps on the server between its begin and its finish.
type passkeyFlow struct {
	Session  webauthn.SessionData `json:"session"`
	UserID   string               `json:"user_id,omitempty"`
	Language string               `json:"language,omitempty"`
	Next     string               `json:"next,omitempty"`
}

// BeginCreate starts a new space's first passkey. name is what the authenticator will call the
// passkey (e.g. "My space on Lots", in the person's language); next is kept for the finish. It
// returns the options for navigator.credentials.create and the ceremony's token.
func (p *Passkeys) BeginCreate(ctx context.Context, language, name, next string) (*protocol.CredentialCreation, string, error) {
	id := uuid.New()
	u := &passkeyUser{id: id[:], name: name}
	opts, session, err := p.wa.BeginRegistration(u)
	if err != nil {
		return nil, "", fmt.Errorf("begin passkey registration: %w", err)
	}
	token, err := p.accounts.SaveFlow(ctx, FlowPasskeyCreate, passkeyFlow{Session: *session, UserID: id.String(), Language: language, Next: next})
	if err != nil {
		return nil, "", err
	}
	return opts, token, nil
}

// FinishCreate checks the authenticator's answer to BeginCreate and creates the space (the user
// and their passkey) in one go. It returns the new user's id and the next page.
func (p *Passkeys) FinishCreate(ctx context.Context, token string, response []byte) (userID, next string, err error) {
	var f passkeyFlow
	if err := p.accounts.TakeFlow(ctx, FlowPasskeyCreate, token, &f); err != nil {
		return "", "", err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return "", "", fmt.Errorf("%w: passkey registration: %v", ErrSignIn, err)
	}
	handle, err := userHandle(f.UserID)
	if err != nil {
		return "", "", err
	}
	cred, err := p.wa.CreateCredential(&passkeyUser{id: handle}, f.Session, parsed)
	if err != nil {
		return "", "", fmt.Errorf("%w: passkey registration: %v", ErrSignIn, err)
	}
	err = pgx.BeginFunc(ctx, p.accounts.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO users (id, language) VALUES ($1::uuid, $2)`, f.UserID, f.Language); err != nil {
			return err
		}
		return insertPasskey(ctx, tx, f.UserID, cred)
	})
	if err != nil {
		return "", "", fmt.Errorf("create space: %w", err)
	}
	return f.UserID, f.Next, nil
}

func insertPasskey(ctx context.Context, tx pgx.Tx, userID string, cred *webauthn.Credential) error {
	js, err := json.Marshal(cred)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO passkeys (id, user_id, credential) VALUES ($1, $2::uuid, $3)`, cred.ID, userID, js)
	return err
}

// BeginAdd starts another passkey for a signed-in user (a new phone, a security key).
func (p *Passkeys) BeginAdd(ctx context.Context, userID, name string) (*protocol.CredentialCreation, string, error) {
	u, err := p.load(ctx, userID)
	if err != nil {
		return nil, "", err
	}
	u.name = name
	var exclude []protocol.CredentialDescriptor
	for _, c := range u.creds {
		exclude = append(exclude, c.Descriptor())
	}
	opts, session, err := p.wa.BeginRegistration(u, webauthn.WithExclusions(exclude))
	if err != nil {
		return nil, "", fmt.Errorf("begin passkey registration: %w", err)
	}
	token, err := p.accounts.SaveFlow(ctx, FlowPasskeyAdd, passkeyFlow{Session: *session, UserID: userID})
	if err != nil {
		return nil, "", err
	}
	return opts, token, nil
}

// FinishAdd checks the authenticator's answer to BeginAdd and keeps the new passkey. The
// ceremony must be the same user's.
func (p *Passkeys) FinishAdd(ctx context.Context, userID, token string, response []byte) error {
	var f passkeyFlow
	if err := p.accounts.TakeFlow(ctx, FlowPasskeyAdd, token, &f); err != nil {
		return err
	}
	if f.UserID != userID {
		return ErrFlowExpired
	}
	u, err := p.load(ctx, userID)
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return fmt.Errorf("%w: passkey registration: %v", ErrSignIn, err)
	}
	cred, err := p.wa.CreateCredential(u, f.Session, parsed)
	if err != nil {
		return fmt.Errorf("%w: passkey registration: %v", ErrSignIn, err)
	}
	if err := pgx.BeginFunc(ctx, p.accounts.pool, func(tx pgx.Tx) error { return insertPasskey(ctx, tx, userID, cred) }); err != nil {
		return fmt.Errorf("add passkey: %w", err)
	}
	return nil
}

// BeginLogin starts a sign-in with any passkey of this site: the authenticator offers the
// person their passkeys, so no user name is asked for.
func (p *Passkeys) BeginLogin(ctx context.Context, next string) (*protocol.CredentialAssertion, string, error) {
	opts, session, err := p.wa.BeginDiscoverableLogin()
	if err != nil {
		return nil, "", fmt.Errorf("begin passkey sign-in: %w", err)
	}
	token, err := p.accounts.SaveFlow(ctx, FlowPasskeyLogin, passkeyFlow{Session: *session, Next: next})
	if err != nil {
		return nil, "", err
	}
	return opts, token, nil
}

// FinishLogin checks the authenticator's answer to BeginLogin and returns whose passkey it was
// and the next page.
func (p *Passkeys) FinishLogin(ctx context.Context, token string, response []byte) (userID, next string, err error) {
	var f passkeyFlow
	if err := p.accounts.TakeFlow(ctx, FlowPasskeyLogin, token, &f); err != nil {
		return "", "", err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return "", "", fmt.Errorf("%w: passkey sign-in: %v", ErrSignIn, err)
	}
	var owner string
	handler := func(rawID, handle []byte) (webauthn.User, error) {
		id, err := uuid.FromBytes(handle)
		if err != nil {
			return nil, fmt.Errorf("user handle: %w", err)
		}
		u, err := p.load(ctx, id.String())
		if err != nil {
			return nil, err
		}
		if len(u.creds) == 0 {
			return nil, ErrNoUser
		}
		owner = id.String()
		return u, nil
	}
	_, cred, err := p.wa.ValidatePasskeyLogin(handler, f.Session, parsed)
	if err != nil {
		return "", "", fmt.Errorf("%w: passkey sign-in: %v", ErrSignIn, err)
	}
	if cred.Authenticator.CloneWarning {
		// The signature counter went back: two copies of the key may exist.
		return "", "", fmt.Errorf("%w: passkey sign-in: the passkey's counter went back; it may have been copied", ErrSignIn)
	}
	js, err := json.Marshal(cred)
	if err != nil {
		return "", "", fmt.Errorf("passkey sign-in: %w", err)
	}
	if _, err := p.accounts.pool.Exec(ctx, `UPDATE passkeys SET credential = $3, last_used_at = now() WHERE id = $1 AND user_id = $2::uuid`,
		cred.ID, owner, js); err != nil {
		return "", "", fmt.Errorf("passkey sign-in: %w", err)
	}
	return owner, f.Next, nil
}

// load returns the user with their passkeys, for a ceremony.
func (p *Passkeys) load(ctx context.Context, userID string) (*passkeyUser, error) {
	handle, err := userHandle(userID)
	if err != nil {
		return nil, err
	}
	rows, err := p.accounts.pool.Query(ctx, `SELECT credential FROM passkeys WHERE user_id = $1::uuid ORDER BY created_at`, userID)
	if err != nil {
		return nil, fmt.Errorf("load passkeys: %w", err)
	}
	creds, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (webauthn.Credential, error) {
		var js []byte
		var c webauthn.Credential
		if err := row.Scan(&js); err != nil {
			return c, err
		}
		return c, json.Unmarshal(js, &c)
	})
	if err != nil {
		return nil, fmt.Errorf("load passkeys: %w", err)
	}
	return &passkeyUser{id: handle, creds: creds}, nil
}

// Passkey is one of a user's passkeys, for their account page.
type Passkey struct {
	ID        string // base64url of the credential id
	CreatedAt time.Time
	LastUsed  time.Time // zero when never used to sign in
}

// List returns the user's passkeys, oldest first.
func (p *Passkeys) List(ctx context.Context, userID string) ([]Passkey, error) {
	rows, err := p.accounts.pool.Query(ctx, `SELECT id, created_at, coalesce(last_used_at, 'epoch') FROM passkeys
		WHERE user_id = $1::uuid ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list passkeys: %w", err)
	}
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Passkey, error) {
		var k Passkey
		var id []byte
		err := row.Scan(&id, &k.CreatedAt, &k.LastUsed)
		k.ID = base64.RawURLEncoding.EncodeToString(id)
		if k.LastUsed.Equal(time.Unix(0, 0)) {
			k.LastUsed = time.Time{}
		}
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("list passkeys: %w", err)
	}
	return keys, nil
}

// Remove deletes one of the user's passkeys. The last one goes only when the user can still sign
// in with OpenID Connect: else it gives ErrLastSignIn.
func (p *Passkeys) Remove(ctx context.Context, userID, id string) error {
	raw, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil {
		return fmt.Errorf("remove passkey: bad id: %w", err)
	}
	err = pgx.BeginFunc(ctx, p.accounts.pool, func(tx pgx.Tx) error {
		var others, identities int
		if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM passkeys WHERE user_id = $1::uuid AND id <> $2),
				(SELECT count(*) FROM user_identities WHERE user_id = $1::uuid)`, userID, raw).Scan(&others, &identities); err != nil {
			return err
		}
		if others == 0 && identities == 0 {
			return ErrLastSignIn
		}
		tag, err := tx.Exec(ctx, `DELETE FROM passkeys WHERE user_id = $1::uuid AND id = $2`, userID, raw)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNoPasskey
		}
		return nil
	})
	if errors.Is(err, ErrLastSignIn) || errors.Is(err, ErrNoPasskey) {
		return err
	}
	if err != nil {
		return fmt.Errorf("remove passkey: %w", err)
	}
	return nil
}
