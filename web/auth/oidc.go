package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/jackc/pgx/v5"
	"golang.org/x/oauth2"
)

// ErrUnknownProvider means no OpenID Connect provider has that name.
var ErrUnknownProvider = errors.New("no such sign-in provider")

// ProviderConfig is an OpenID Connect provider people may sign in with: an e-identification
// broker, or an agency's staff directory.
type ProviderConfig struct {
	Name         string   // in the sign-in address, /signin/oidc/<Name>: lower-case letters, digits and -
	Label        string   // the button's text, a proper name shown as is in every language, e.g. "Freja eID"
	Issuer       string   // e.g. https://login.example.se; its /.well-known/openid-configuration is read
	ClientID     string   // as registered with the provider
	ClientSecret string   // as registered with the provider; from the environment only
	Scopes       []string // besides openid; default: email
}

// Provider is what the sign-in page shows of a provider.
type Provider struct {
	Name  string
	Label string
}

var providerName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// OIDC signs people in with OpenID Connect providers: the authorization code flow with state,
// nonce and PKCE, the ID token verified against the provider's published keys.
type OIDC struct {
	accounts    *Accounts
	redirectURL string // with %s for the provider's name
	client      *http.Client
	providers   []*oidcProvider
}

type oidcProvider struct {
	cfg ProviderConfig

	mu        sync.Mutex
	discovery *oidc.Provider // read on first use, so the site starts while a provider is down
}

// NewOIDC returns sign-in with the providers for the site at publicURL, whose callback is
// <publicURL>/signin/oidc/<name>/callback. client makes the requests to the providers; nil: one
// with a 10-second timeout.
func NewOIDC(a *Accounts, publicURL string, providers []ProviderConfig, client *http.Client) (*OIDC, error) {
	u, err := url.Parse(publicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("openid connect: public URL %q: want https://host[:port]", publicURL)
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	o := &OIDC{accounts: a, client: client, redirectURL: strings.TrimSuffix(publicURL, "/") + "/signin/oidc/%s/callback"}
	for _, p := range providers {
		switch {
		case !providerName.MatchString(p.Name):
			return nil, fmt.Errorf("openid connect provider %q: the name must be lower-case letters, digits and -", p.Name)
		case p.Issuer == "" || p.ClientID == "":
			return nil, fmt.Errorf("openid connect provider %s: needs an issuer and a client id", p.Name)
		case slices.ContainsFunc(o.providers, func(q *oidcProvider) bool { return q.cfg.Name == p.Name }):
			return nil, fmt.Errorf("openid connect provider %s: named twice", p.Name)
		}
		if p.Label == "" {
			p.Label = p.Name
		}
		if len(p.Scopes) == 0 {
			p.Scopes = []string{"email"}
		}
		o.providers = append(o.providers, &oidcProvider{cfg: p})
	}
	return o, nil
}

// Providers lists the providers in the order they were configured.
func (o *OIDC) Providers() []Provider {
	var out []Provider
	for _, p := range o.providers {
		out = append(out, Provider{Name: p.cfg.Name, Label: p.cfg.Label})
	}
	return out
}

func (o *OIDC) provider(name string) (*oidcProvider, error) {
	for _, p := range o.providers {
		if p.cfg.Name == name {
			return p, nil
		}
	}
	return nil, ErrUnknownProvider
}

// discover reads the provider's configuration once; a failure is retried at the next sign-in.
// go-oidc refuses a configuration naming another issuer than the one configured.
func (o *OIDC) discover(ctx context.Context, p *oidcProvider) (*oidc.Provider, oauth2.Config, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.discovery == nil {
		d, err := oidc.NewProvider(oidc.ClientContext(ctx, o.client), p.cfg.Issuer)
		if err != nil {
			return nil, oauth2.Config{}, fmt.Errorf("%w: discover %s: %v", ErrSignIn, p.cfg.Name, err)
		}
		p.discovery = d
	}
	return p.discovery, oauth2.Config{
		ClientID:     p.cfg.ClientID,
		ClientSecret: p.cfg.ClientSecret,
		Endpoint:     p.discovery.Endpoint(),
		RedirectURL:  fmt.Sprintf(o.redirectURL, p.cfg.Name),
		Scopes:       append([]string{oidc.ScopeOpenID}, p.cfg.Scopes...),
	}, nil
}

// oidcFlow is what a sign-in keeps on the server while the person is at the provider.
type oidcFlow struct {
	Provider string `json:"provider"`
	State    string `json:"state"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"`
	Language string `json:"language"`
	Next     string `json:"next"`
}

// Begin starts a sign-in with the named provider: it returns the provider's address to send the
// browser to, and the flow's token for a cookie.
func (o *OIDC) Begin(ctx context.Context, name, language, next string) (authURL, token string, err error) {
	p, err := o.provider(name)
	if err != nil {
		return "", "", err
	}
	_, cfg, err := o.discover(ctx, p)
	if err != nil {
		return "", "", err
	}
	state, _ := newToken()
	nonce, _ := newToken()
	f := oidcFlow{Provider: name, State: state, Nonce: nonce, Verifier: oauth2.GenerateVerifier(), Language: language, Next: next}
	token, err = o.accounts.SaveFlow(ctx, FlowOIDC, f)
	if err != nil {
		return "", "", err
	}
	return cfg.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(f.Verifier)), token, nil
}

// OIDCSignIn is who signed in with a provider, and where to.
type OIDCSignIn struct {
	UserID   string
	Language string // the page's language when the sign-in began
	Next     string
	NewUser  bool
}

// Finish ends a sign-in at the provider's callback: the flow of token must be this provider's
// and its state the callback's; the code is exchanged with the PKCE verifier; the ID token's
// signature, issuer, audience, expiry and nonce are checked. The user is found by (issuer,
// subject), or created; a verified e-mail address is kept, and the roles granted to it given.
func (o *OIDC) Finish(ctx context.Context, name, token string, callback url.Values) (OIDCSignIn, error) {
	var f oidcFlow
	if err := o.accounts.TakeFlow(ctx, FlowOIDC, token, &f); err != nil {
		return OIDCSignIn{}, err
	}
	if f.Provider != name {
		return OIDCSignIn{}, fmt.Errorf("%w: the callback is another provider's", ErrSignIn)
	}
	if subtle.ConstantTimeCompare([]byte(f.State), []byte(callback.Get("state"))) != 1 {
		return OIDCSignIn{}, fmt.Errorf("%w: the state does not match", ErrSignIn)
	}
	if e := callback.Get("error"); e != "" {
		return OIDCSignIn{}, fmt.Errorf("%w: the provider answered %q", ErrSignIn, e)
	}
	p, err := o.provider(name)
	if err != nil {
		return OIDCSignIn{}, err
	}
	disc, cfg, err := o.discover(ctx, p)
	if err != nil {
		return OIDCSignIn{}, err
	}
	ctx = oidc.ClientContext(ctx, o.client)
	tok, err := cfg.Exchange(ctx, callback.Get("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return OIDCSignIn{}, fmt.Errorf("%w: exchange the code with %s: %v", ErrSignIn, name, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return OIDCSignIn{}, fmt.Errorf("%w: %s gave no ID token", ErrSignIn, name)
	}
	idt, err := disc.Verifier(&oidc.Config{ClientID: p.cfg.ClientID}).Verify(ctx, raw)
	if err != nil {
		return OIDCSignIn{}, fmt.Errorf("%w: ID token from %s: %v", ErrSignIn, name, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return OIDCSignIn{}, fmt.Errorf("%w: the ID token's nonce does not match", ErrSignIn)
	}
	email, err := verifiedEmail(ctx, disc, tok, idt)
	if err != nil {
		return OIDCSignIn{}, fmt.Errorf("%w: %s: %v", ErrSignIn, name, err)
	}
	userID, created, err := o.accounts.identify(ctx, idt.Issuer, idt.Subject, email, f.Language)
	if err != nil {
		return OIDCSignIn{}, err
	}
	return OIDCSignIn{UserID: userID, Language: f.Language, Next: f.Next, NewUser: created}, nil
}

// verifiedEmail returns the e-mail address the provider vouches for, from the ID token or else
// from its userinfo endpoint; "" when it vouches for none.
func verifiedEmail(ctx context.Context, disc *oidc.Provider, tok *oauth2.Token, idt *oidc.IDToken) (string, error) {
	var claims struct {
		Email         string `json:"email"`
		EmailVerified any    `json:"email_verified"` // a boolean, or "true" from some providers
	}
	if err := idt.Claims(&claims); err != nil {
		return "", fmt.Errorf("ID token claims: %w", err)
	}
	verified := claims.EmailVerified == true || claims.EmailVerified == "true"
	if claims.Email == "" && disc.UserInfoEndpoint() != "" {
		info, err := disc.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return "", fmt.Errorf("userinfo: %w", err)
		}
		if info.Subject != idt.Subject {
			return "", errors.New("userinfo is about another subject than the ID token")
		}
		claims.Email, verified = info.Email, info.EmailVerified
	}
	if claims.Email == "" || !verified {
		return "", nil
	}
	email, err := NormalizeEmail(claims.Email)
	if err != nil {
		return "", nil // not an address roles could be granted to
	}
	return email, nil
}

// identify finds the user of (issuer, subject), or creates one; it keeps a verified e-mail
// address when no other user has it, and gives the roles granted to it.
func (a *Accounts) identify(ctx context.Context, issuer, subject, email, language string) (userID string, created bool, err error) {
	var granted int64
	err = pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT user_id::text FROM user_identities WHERE issuer = $1 AND subject = $2`, issuer, subject).Scan(&userID)
		if errors.Is(err, pgx.ErrNoRows) {
			created = true
			if err := tx.QueryRow(ctx, `INSERT INTO users (language) VALUES ($1) RETURNING id::text`, language).Scan(&userID); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `INSERT INTO user_identities (issuer, subject, user_id) VALUES ($1, $2, $3::uuid)`, issuer, subject, userID)
		}
		if err != nil || email == "" {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE users SET email = $2 WHERE id = $1::uuid
			AND NOT EXISTS (SELECT 1 FROM users WHERE email = $2 AND id <> $1::uuid)`, userID, email)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			// Another user has the address (signed in through another provider): roles stay with them.
			a.log.WarnContext(ctx, "openid connect: the e-mail address belongs to another user; not kept", "user", userID)
			return nil
		}
		granted, err = applyGrants(ctx, tx, userID, email)
		return err
	})
	if err != nil {
		return "", false, fmt.Errorf("openid connect sign-in: %w", err)
	}
	if granted > 0 {
		if err := a.audit.Record(ctx, Entry{ActorID: userID, Actor: "self", Action: "role.apply", SubjectType: "user",
			SubjectID: userID, OwnerID: userID, Detail: map[string]any{"roles": granted}}); err != nil {
			a.log.WarnContext(ctx, "audit role.apply", "err", err)
		}
	}
	return userID, created, nil
}
