package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/nyisverige/lots/assistant/process"
	"github.com/nyisverige/lots/assistant/space"
	"github.com/nyisverige/lots/evals"
	"github.com/nyisverige/lots/web"
	"github.com/nyisverige/lots/web/auth"
)

// bindAccounts reads the OpenID Connect providers (LOTS_OIDC_<NAME>_ISSUER, _CLIENT_ID,
// _CLIENT_SECRET, _LABEL, _SCOPES) and the sealing keys (base64, 32 bytes each).
func (c *Config) bindAccounts(providers, key, previous string) error {
	var errs []error
	for _, name := range strings.Split(providers, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		prefix := "LOTS_OIDC_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "_"
		p := auth.ProviderConfig{Name: name, Label: env(prefix+"LABEL", name), Issuer: env(prefix+"ISSUER", ""),
			ClientID: env(prefix+"CLIENT_ID", ""), ClientSecret: env(prefix+"CLIENT_SECRET", "")}
		if scopes := env(prefix+"SCOPES", ""); scopes != "" {
			p.Scopes = strings.Fields(strings.ReplaceAll(scopes, ",", " "))
		}
		if p.Issuer == "" || p.ClientID == "" {
			errs = append(errs, fmt.Errorf("OpenID Connect provider %s: set %sISSUER and %sCLIENT_ID", name, prefix, prefix))
			continue
		}
		c.OIDC = append(c.OIDC, p)
	}
	if key != "" {
		k, err := decodeKey(key)
		if err != nil {
			errs = append(errs, fmt.Errorf("LOTS_SECRET_KEY: %w", err))
		}
		c.SecretKey = k
	}
	for _, p := range strings.Split(previous, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		k, err := decodeKey(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("LOTS_SECRET_KEY_PREVIOUS: %w", err))
			continue
		}
		c.SecretPrevious = append(c.SecretPrevious, k)
	}
	return errors.Join(errs...)
}

func decodeKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(k) != 32 {
		return nil, errors.New("want 32 random bytes in base64 (openssl rand -base64 32)")
	}
	return k, nil
}

// publicURL is the configured public address, or http://localhost:<port> for a server on this
// machine (passkeys refuse IP addresses).
func (c *Config) publicURL(addr string) string {
	if c.PublicURL != "" {
		return strings.TrimSuffix(c.PublicURL, "/")
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		port = "8080"
	}
	return "http://localhost:" + port
}

// demoSecretKey returns the key in file, making a random one (readable only by its owner) when
// the file does not exist: lots demo needs no setup.
func demoSecretKey(file string) ([]byte, error) {
	if data, err := os.ReadFile(file); err == nil {
		return decodeKey(string(data))
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("secret key %s: %w", file, err)
	}
	k := make([]byte, 32)
	rand.Read(k)
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return nil, fmt.Errorf("secret key %s: %w", file, err)
	}
	if err := os.WriteFile(file, []byte(base64.StdEncoding.EncodeToString(k)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("secret key %s: %w", file, err)
	}
	return k, nil
}

// webAccounts builds sign-in, the own space and the stewards' console for lots serve. The own
// space needs a sealing key; without one it is off (and said so).
func (a *app) webAccounts(ctx context.Context, publicURL string, cfg *web.Config) error {
	accounts := auth.NewAccounts(a.store.Pool(), a.log, auth.AccountsConfig{SessionIdle: a.cfg.SessionIdle, SessionMax: a.cfg.SessionMax})
	passkeys, err := auth.NewPasskeys(accounts, auth.PasskeyConfig{PublicURL: publicURL})
	if err != nil {
		return fmt.Errorf("passkeys: %w", err)
	}
	var oidc *auth.OIDC
	if len(a.cfg.OIDC) > 0 {
		if oidc, err = auth.NewOIDC(accounts, publicURL, a.cfg.OIDC, nil); err != nil {
			return fmt.Errorf("OpenID Connect: %w", err)
		}
	}
	cfg.Auth = web.AuthConfig{Accounts: accounts, Passkeys: passkeys, OIDC: oidc, SecureCookies: strings.HasPrefix(publicURL, "https://")}

	processes := process.NewStore(a.store.Pool())
	if err := syncCatalog(ctx, processes); err != nil {
		return err
	}
	if a.cfg.SecretKey == nil {
		a.log.Warn("the own space is off: set LOTS_SECRET_KEY (openssl rand -base64 32) to seal identity numbers")
	} else if cfg.Space, err = a.webSpace(ctx, processes, accounts.Audit()); err != nil {
		return err
	}
	q := a.newQueue()
	cfg.Console = web.ConsoleConfig{Store: a.store, Sources: a.newManager(q), Jobs: q,
		Signals: evals.NewSignals(a.store.Pool(), 0), Audit: accounts.Audit(), Processes: processes,
		RefreshIndex: func(ctx context.Context, id int) error { return a.refreshIndex(ctx, id, io.Discard) }}
	return nil
}

// webSpace builds the own space: drafts sealed with the configured key, for the processes of
// the stored catalog (with the stewards' edits), offered in the chat by the intent detector.
func (a *app) webSpace(ctx context.Context, processes *process.Store, audit *auth.Audit) (web.SpaceConfig, error) {
	sealer, err := space.NewSealer(a.cfg.SecretKey, a.cfg.SecretPrevious...)
	if err != nil {
		return web.SpaceConfig{}, err
	}
	catalog, err := processes.Catalog(ctx)
	if err != nil {
		return web.SpaceConfig{}, err
	}
	newDetector := func(c process.Catalog) (*process.Detector, error) {
		if a.cfg.ChatModel == "" {
			return process.NewDetector(c), nil
		}
		return process.NewModelDetector(c, process.ModelConfig{BaseURL: a.cfg.ChatURL, APIKey: a.cfg.ChatKey, Model: a.cfg.ChatModel}, a.log)
	}
	detector, err := newDetector(catalog)
	if err != nil {
		return web.SpaceConfig{}, err
	}
	return web.SpaceConfig{Store: space.New(a.store.Pool(), sealer, a.cfg.Retention), Catalog: catalog,
		Detector: detector, NewDetector: newDetector, Audit: audit, AbandonAfter: a.cfg.DraftRetention}, nil
}

// catalogSyncer is who lots serve's start-up writes the embedded catalog as.
const catalogSyncer = "lots"

// syncCatalog writes the embedded catalog to the store at start-up: a process new in the binary
// is added and one changed in it is updated, unless a steward has edited it since (in the
// console or with lots processes put): their edit stays. lots processes load writes all.
func syncCatalog(ctx context.Context, processes *process.Store) error {
	embedded, err := process.Embedded()
	if err != nil {
		return err
	}
	stored, err := processes.List(ctx)
	if err != nil {
		return err
	}
	edited := map[string]bool{}
	for _, st := range stored {
		edited[st.ID] = st.UpdatedBy != catalogSyncer
	}
	var defs []process.Definition
	for _, d := range embedded.List() {
		if !edited[d.ID] {
			defs = append(defs, d)
		}
	}
	sync, err := process.NewCatalog(defs...)
	if err != nil {
		return err
	}
	_, err = processes.Sync(ctx, sync, catalogSyncer)
	return err
}
