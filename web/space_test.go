package web_test

// The own space's pages, as a signed-in person uses them over HTTP: one user never reaches
// another's drafts, every form needs its CSRF token, a draft's form checks each field, the
// hand-off marks the draft and opens the agency's e-service, the export holds the user's data
// and deleting leaves nothing.

import (
	"crypto/rand"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/assistant/process"
	"github.com/nyisverige/lots/assistant/space"
	"github.com/nyisverige/lots/assistant/space/spacetest"
	"github.com/nyisverige/lots/ingest/ingesttest"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
	"github.com/nyisverige/lots/web"
	"github.com/nyisverige/lots/web/auth"
)

// spaceSite is the chat server with sign-in and the own space, over a fresh database holding
// the demo corpus and the process catalog.
type spaceSite struct {
	*httptest.Server
	srv      *web.Server
	pool     *pgxpool.Pool
	space    *space.Store
	accounts *auth.Accounts
	catalog  process.Catalog
}

func newSpaceSite(t *testing.T) *spaceSite {
	t.Helper()
	st := ingesttest.DemoStore(t)
	catalog, err := process.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := process.NewStore(st.Pool()).Sync(t.Context(), catalog, "test"); err != nil {
		t.Fatal(err)
	}
	return startSpaceSite(t, st, catalog, nil)
}

// startSpaceSite serves the chat over st with sign-in and the own space for catalog (already in
// the processes table); configure, when not nil, may add to the configuration.
func startSpaceSite(t *testing.T, st *store.Store, catalog process.Catalog, configure func(*web.Config)) *spaceSite {
	t.Helper()
	pool := st.Pool()
	key := make([]byte, space.KeySize)
	rand.Read(key)
	sealer, err := space.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	accounts := auth.NewAccounts(pool, slog.New(slog.DiscardHandler), auth.AccountsConfig{})
	sp := space.New(pool, sealer, time.Hour)
	cfg := web.Config{
		AsksPerMinute: 600,
		Auth:          web.AuthConfig{Accounts: accounts},
		Space: web.SpaceConfig{Store: sp, Catalog: catalog, Detector: process.NewDetector(catalog),
			Audit: accounts.Audit()},
	}
	if configure != nil {
		configure(&cfg)
	}
	srv, ts := serve(t, assistantFor(t, st), pool, cfg)
	return &spaceSite{Server: ts, srv: srv, pool: pool, space: sp, accounts: accounts, catalog: catalog}
}

// person is a signed-in user with a browser-like HTTP client (cookies, no redirects followed).
type person struct {
	id      string
	session string // the session cookie's token
	client  *http.Client
	site    *spaceSite
	t       *testing.T
}

// signIn creates a user and a session for them, as the sign-in pages do.
func (s *spaceSite) signIn(t *testing.T, lang string) *person {
	t.Helper()
	u, err := s.accounts.CreateUser(t.Context(), lang)
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := s.accounts.StartSession(t.Context(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	p := s.anonymous(t)
	p.id, p.session = u.ID, token
	base, _ := url.Parse(s.URL)
	p.client.Jar.SetCookies(base, []*http.Cookie{{Name: auth.SessionCookie, Value: token, Path: "/"}})
	return p
}

// anonymous is someone who is not signed in.
func (s *spaceSite) anonymous(t *testing.T) *person {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &person{site: s, t: t, client: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// get fetches path and returns the status and body.
func (p *person) get(path string) (int, string) {
	p.t.Helper()
	resp, err := p.client.Get(p.site.URL + path)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// csrf is the person's CSRF token, got as a page would get it.
func (p *person) csrf() string {
	p.t.Helper()
	p.get("/?lang=sv")
	base, _ := url.Parse(p.site.URL)
	for _, c := range p.client.Jar.Cookies(base) {
		if c.Name == "lots_csrf" {
			return c.Value
		}
	}
	p.t.Fatal("no CSRF cookie")
	return ""
}

// post sends a form (with the CSRF token unless form sets "csrf" itself, "" for none) and
// returns the status, the Location header and the body.
func (p *person) post(path string, form url.Values) (int, string, string) {
	p.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", p.csrf())
	}
	resp, err := p.client.PostForm(p.site.URL+path, form)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// dial opens the chat's websocket with the person's cookies.
func (p *person) dial() *websocket.Conn {
	p.t.Helper()
	h := http.Header{}
	if p.session != "" {
		h.Set("Cookie", auth.SessionCookie+"="+p.session)
	}
	conn, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(p.site.URL, "http")+"/ws", h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		p.t.Fatalf("dial: %v (HTTP %d)", err, status)
	}
	p.t.Cleanup(func() { conn.Close() })
	return conn
}

// newDraft gives the person a draft of the personal identity number process.
func (p *person) newDraft(fields map[string]string) space.Draft {
	p.t.Helper()
	d, err := p.site.space.CreateDraft(p.t.Context(), p.id, space.NewDraft{ProcessID: "personal-identity-number", Language: "sv", Fields: fields})
	if err != nil {
		p.t.Fatal(err)
	}
	return d
}

func (s *spaceSite) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := s.pool.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestSpaceOneUserNeverReadsAnothers(t *testing.T) {
	s := newSpaceSite(t)
	alice, bob := s.signIn(t, "sv"), s.signIn(t, "sv")
	d := alice.newDraft(map[string]string{"municipality": "Kiruna", "arrival_date": "2025-03-01"})

	for _, path := range []string{"/space/drafts/" + d.ID, "/space/drafts/" + d.ID + "/summary", "/space/drafts/" + d.ID + "/summary?download=1"} {
		t.Run("GET "+path, func(t *testing.T) {
			status, body := bob.get(path)
			if status != http.StatusNotFound || strings.Contains(body, "Kiruna") {
				t.Errorf("Bob got HTTP %d (Kiruna shown: %v); want 404 without Alice's data", status, strings.Contains(body, "Kiruna"))
			}
		})
	}
	for _, path := range []string{"/space/drafts/" + d.ID, "/space/drafts/" + d.ID + "/handoff", "/space/drafts/" + d.ID + "/delete"} {
		t.Run("POST "+path, func(t *testing.T) {
			status, _, _ := bob.post(path, url.Values{"f_municipality": {"Lund"}, "action": {"ready"}})
			if status != http.StatusNotFound {
				t.Errorf("Bob's post got HTTP %d; want 404", status)
			}
		})
	}
	got, err := s.space.Draft(t.Context(), alice.id, d.ID)
	if err != nil || got.Fields["municipality"] != "Kiruna" || got.Status != space.StatusDraft {
		t.Errorf("after Bob's attempts Alice's draft is %+v, %v", got, err)
	}
	if _, body := bob.get("/space/export"); strings.Contains(body, "Kiruna") || strings.Contains(body, d.ID) {
		t.Error("Bob's export holds Alice's draft")
	}
	if _, body := bob.get("/space?lang=sv"); strings.Contains(body, d.ID) {
		t.Error("Bob's space lists Alice's draft")
	}
	if status, body := alice.get("/space/drafts/" + d.ID + "?lang=sv"); status != http.StatusOK || !strings.Contains(body, "Kiruna") {
		t.Errorf("Alice reads her draft: HTTP %d", status)
	}
	// Nobody signed in is sent to sign in, and back.
	status, loc, _ := s.anonymous(t).post("/space/delete", url.Values{"confirm": {"yes"}})
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/signin") {
		t.Errorf("an anonymous delete got HTTP %d to %q; want a redirect to sign in", status, loc)
	}
	anon := s.anonymous(t)
	resp, err := anon.client.Get(s.URL + "/space/drafts/" + d.ID)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, url.QueryEscape("/space/drafts/"+d.ID)) {
		t.Errorf("an anonymous read got HTTP %d to %q; want sign-in coming back to the draft", resp.StatusCode, loc)
	}
}

func TestSpaceFormsNeedCSRF(t *testing.T) {
	s := newSpaceSite(t)
	alice := s.signIn(t, "sv")
	d := alice.newDraft(map[string]string{"municipality": "Kiruna"})
	conv := newUUIDString(t, s.pool)
	if err := assistant.NewConversations(s.pool, time.Hour).Start(t.Context(), conv, "sv"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, path string }{
		{"save draft", "/space/drafts/" + d.ID},
		{"hand off", "/space/drafts/" + d.ID + "/handoff"},
		{"delete draft", "/space/drafts/" + d.ID + "/delete"},
		{"delete everything", "/space/delete"},
		{"save conversation", "/space/conversations/" + conv + "/save"},
		{"withdraw consent", "/space/consents/drafts/withdraw"},
	} {
		for _, token := range []string{"", "wrong-token-wrong-token-wrong-token-wrong"} {
			t.Run(tc.name, func(t *testing.T) {
				status, _, _ := alice.post(tc.path, url.Values{"csrf": {token}, "confirm": {"yes"}, "f_municipality": {"Lund"}})
				if status != http.StatusForbidden {
					t.Errorf("HTTP %d; want 403", status)
				}
			})
		}
	}
	got, err := s.space.Draft(t.Context(), alice.id, d.ID)
	if err != nil || got.Fields["municipality"] != "Kiruna" || got.Status != space.StatusDraft {
		t.Errorf("after posts without CSRF the draft is %+v, %v; want it unchanged", got, err)
	}
	if n := s.count(t, "SELECT count(*) FROM saved_conversations"); n != 0 {
		t.Errorf("%d conversations saved without CSRF", n)
	}
	if n := s.count(t, "SELECT count(*) FROM users WHERE id = $1", alice.id); n != 1 {
		t.Error("the account was deleted without CSRF")
	}
}

func TestSpaceDraftForm(t *testing.T) {
	s := newSpaceSite(t)
	alice := s.signIn(t, "ar")
	d := alice.newDraft(map[string]string{"arrival_date": "2025-03-01"})
	path := "/space/drafts/" + d.ID

	// A refused value: the page says why by the field, in Arabic, and nothing is stored.
	status, _, body := alice.post(path+"?lang=ar", url.Values{"f_arrival_date": {"2025-03-01"},
		"f_municipality": {"Atlantis"}, "f_email": {"not an address"}})
	if status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid values: HTTP %d; want 422", status)
	}
	for _, want := range []string{"اكتب اسم بلدية سويدية", "اكتب عنوان بريد إلكتروني", `aria-invalid="true"`, `value="Atlantis"`, `dir="rtl"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the refused form does not show %q", want)
		}
	}
	if got, _ := s.space.Draft(t.Context(), alice.id, d.ID); got.Fields["municipality"] != "" || got.Fields["email"] != "" {
		t.Errorf("a refused save stored %v", got.Fields)
	}

	// Ready needs the required fields.
	status, _, body = alice.post(path+"?lang=ar", url.Values{"f_arrival_date": {"2025-03-01"}, "action": {"ready"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "يرجى ملء هذا الحقل") {
		t.Errorf("ready with required fields missing: HTTP %d; want 422 with the required-field message", status)
	}

	// A good save, answers and documents; then ready.
	form := url.Values{"f_arrival_date": {"2025-03-01"}, "f_municipality": {"malmö"}, "f_citizenship": {"SY"},
		"f_children_moving": {"٢"}, "q_one-year": {"yes"}, "q_right-to-stay": {"yes"}, "doc_d0": {"yes"}, "action": {"ready"}}
	status, loc, _ := alice.post(path+"?lang=ar", form)
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, path+"?lang=ar") {
		t.Fatalf("a valid ready save: HTTP %d to %q", status, loc)
	}
	got, err := s.space.Draft(t.Context(), alice.id, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != space.StatusReady || got.Fields["municipality"] != "Malmö" || got.Fields["children_moving"] != "2" ||
		got.Eligibility["one-year"] != "yes" || !got.Documents["d0"] || got.Documents["d1"] {
		t.Errorf("after the save: %+v", got)
	}
	_, page := alice.get(loc)
	if !strings.Contains(page, "بحسب إجاباتك، يمكنك التقديم") || !strings.Contains(page, "طلبك جاهز") {
		t.Error("the draft page does not show the eligibility outcome and the confirmation")
	}

	// Not eligible: the explanation is shown by the question.
	form.Set("q_one-year", "no")
	form.Set("action", "save")
	alice.post(path+"?lang=ar", form)
	if _, page := alice.get(path + "?lang=ar"); !strings.Contains(page, "رقم التنسيق") {
		t.Error("the explanation of a not-eligible answer is not shown")
	}

	// The hand-off marks it and opens the agency's e-service.
	def, _ := s.catalog.Get("personal-identity-number")
	status, loc, _ = alice.post(path+"/handoff?lang=ar", nil)
	if status != http.StatusSeeOther || loc != def.EService.URL {
		t.Errorf("hand-off: HTTP %d to %q; want 303 to %s", status, loc, def.EService.URL)
	}
	if got, _ := s.space.Draft(t.Context(), alice.id, d.ID); got.Status != space.StatusHandedOff || got.HandedOffAt == nil {
		t.Errorf("after the hand-off the draft is %s", got.Status)
	}
	if _, page := alice.get("/space?lang=ar"); !strings.Contains(page, "تمت المتابعة لدى الجهة") {
		t.Error("the space does not list the draft as continued at the agency")
	}

	// Every read of the draft and its summary is in the audit log, as the owner's.
	alice.get(path + "/summary?lang=ar")
	for _, action := range []string{"draft.read", "draft.summary", "draft.handoff"} {
		if n := s.count(t, "SELECT count(*) FROM audit_log WHERE action = $1 AND owner_id = $2 AND subject_id = $3", action, alice.id, d.ID); n == 0 {
			t.Errorf("no audit entry %s", action)
		}
	}
}

func TestSpaceSummary(t *testing.T) {
	s := newSpaceSite(t)
	alice := s.signIn(t, "sv")
	d := alice.newDraft(map[string]string{"arrival_date": "2025-03-01", "municipality": "Kiruna", "citizenship": "UA"})
	def, _ := s.catalog.Get("personal-identity-number")
	status, page := alice.get("/space/drafts/" + d.ID + "/summary?lang=sv")
	if status != http.StatusOK {
		t.Fatalf("summary: HTTP %d", status)
	}
	status, file := alice.get("/space/drafts/" + d.ID + "/summary?lang=sv&download=1")
	if status != http.StatusOK {
		t.Fatalf("download: HTTP %d", status)
	}
	for name, body := range map[string]string{"page": page, "download": file} {
		for _, want := range []string{"Kiruna", "2025-03-01", "Ukraina", def.EService.URL, def.Documents[0].In("sv"), def.Steps[0].In("sv")} {
			if !strings.Contains(body, html.EscapeString(want)) {
				t.Errorf("the summary %s does not show %q", name, want)
			}
		}
	}
	if strings.Contains(file, `<link rel="stylesheet"`) || strings.Contains(file, "<script") || !strings.Contains(file, "<style>") {
		t.Error("the downloaded summary is not a self-contained HTML file")
	}
}

func TestSpaceExportAndDeleteAll(t *testing.T) {
	s := newSpaceSite(t)
	alice, bob := s.signIn(t, "so"), s.signIn(t, "so")
	d := alice.newDraft(map[string]string{"municipality": "Kiruna"})
	bob.newDraft(map[string]string{"municipality": "Lund"})
	alice.get("/space/drafts/" + d.ID)

	resp, err := alice.client.Get(s.URL + "/space/export")
	if err != nil {
		t.Fatal(err)
	}
	var export space.Export
	if err := json.NewDecoder(resp.Body).Decode(&export); err != nil {
		t.Fatalf("the export is not JSON: %v", err)
	}
	resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("the export is not a download: %q", resp.Header.Get("Content-Disposition"))
	}
	if export.Account.ID != alice.id || len(export.Drafts) != 1 || export.Drafts[0].Fields["municipality"] != "Kiruna" ||
		len(export.Sessions) != 1 || len(export.Consents) != 1 {
		t.Errorf("export: %+v", export)
	}
	actions := map[string]bool{}
	for _, e := range export.Audit {
		actions[e.Action] = true
	}
	if !actions["draft.read"] || !actions["space.export"] {
		t.Errorf("the export's audit log has %v; want draft.read and space.export", actions)
	}

	// Without the confirmation nothing happens.
	status, _, body := alice.post("/space/delete?lang=so", nil)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "Calaamadee sanduuqa") {
		t.Errorf("delete without confirmation: HTTP %d", status)
	}
	status, loc, _ := alice.post("/space/delete?lang=so", url.Values{"confirm": {"yes"}})
	if status != http.StatusSeeOther || loc != "/space/deleted?lang=so" {
		t.Fatalf("delete: HTTP %d to %q", status, loc)
	}
	if _, page := alice.get(loc); !strings.Contains(page, "Meeshaada waa la tirtiray") {
		t.Error("the confirmation page does not say the space is deleted")
	}
	// Nothing of Alice is left in any table; Bob keeps his.
	for table, n := range spacetest.Holding(t, s.pool, alice.id, "Kiruna") {
		t.Errorf("after deleting everything, %d rows of %s still hold Alice's data", n, table)
	}
	if n := s.count(t, "SELECT count(*) FROM drafts WHERE user_id = $1", bob.id); n != 1 {
		t.Errorf("Bob has %d drafts after Alice deleted hers; want 1", n)
	}
	// Her session went with her: the space asks to sign in.
	resp, err = alice.client.Get(s.URL + "/space")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/signin") {
		t.Errorf("after deleting, /space gave HTTP %d to %q; want sign-in", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestSpacePagesInEveryLanguage(t *testing.T) {
	s := newSpaceSite(t)
	alice := s.signIn(t, "sv")
	d := alice.newDraft(map[string]string{"municipality": "Kiruna"})
	unfilled := regexp.MustCompile(`\bspace_[a-z_]+\b|%!|%s|%d`)
	for _, lang := range retrieval.Languages {
		t.Run(lang, func(t *testing.T) {
			for _, path := range []string{"/space", "/space/drafts/" + d.ID, "/space/drafts/" + d.ID + "/summary", "/space/delete"} {
				status, body := alice.get(path + "?lang=" + lang)
				if status != http.StatusOK {
					t.Fatalf("%s: HTTP %d", path, status)
				}
				if !strings.Contains(body, `lang="`+lang+`" dir="`+pageDir(lang)+`"`) {
					t.Errorf("%s: <html> is not lang=%q dir=%q", path, lang, pageDir(lang))
				}
				if m := unfilled.FindString(body); m != "" {
					t.Errorf("%s: a string is missing or unfilled: %q", path, m)
				}
			}
		})
	}
}

func TestSpaceSavedConversation(t *testing.T) {
	s := newSpaceSite(t)
	alice := s.signIn(t, "sv")
	c := alice.dial()
	send(t, c, message{"type": "hello", "language": "sv"})
	ready := recv(t, c)
	if ready["signed_in"] != true {
		t.Errorf("ready says signed_in=%v for a signed-in person", ready["signed_in"])
	}
	conv := ready["conversation"].(string)
	askAndCollect(t, c, "q1", personalNumberQuestions["sv"], "sv")

	req, _ := http.NewRequest(http.MethodPost, s.URL+"/space/conversations/"+conv+"/save",
		strings.NewReader(url.Values{"csrf": {alice.csrf()}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := alice.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("saving from the chat: HTTP %d", resp.StatusCode)
	}
	if _, page := alice.get("/space?lang=sv"); !strings.Contains(page, personalNumberQuestions["sv"]) {
		t.Error("the space does not list the saved conversation")
	}
	if n := s.count(t, "SELECT count(*) FROM conversations WHERE id = $1 AND expires_at = 'infinity'", conv); n != 1 {
		t.Error("the saved conversation still expires")
	}
	status, _, _ := alice.post("/space/conversations/"+conv+"/unsave?lang=sv", nil)
	if status != http.StatusSeeOther {
		t.Errorf("unsave: HTTP %d", status)
	}
	if n := s.count(t, "SELECT count(*) FROM conversations WHERE id = $1 AND expires_at < 'infinity'", conv); n != 1 {
		t.Error("the unsaved conversation does not expire again")
	}
	if status, _, _ := alice.post("/space/conversations/"+newUUIDString(t, s.pool)+"/save", nil); status != http.StatusNotFound {
		t.Errorf("saving a conversation that does not exist: HTTP %d; want 404", status)
	}
}

// tables lists the tables of the database's schema.
func tables(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	return spacetest.Tables(t, pool)
}

// newUUIDString returns a fresh random UUID, for a row that does not exist yet.
func newUUIDString(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	return spacetest.NewUUID(t, pool)
}
