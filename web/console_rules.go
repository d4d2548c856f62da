package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/nyisverige/lots/ingest"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
	"github.com/nyisverige/lots/web/auth"
)

// rulesPage is what console_rules.html shows.
type rulesPage struct {
	Rules     []ruleView
	Languages []string
	Form      store.Rule // the form's values, kept when they are refused
	Problem   string     // why the form was refused, already in the page's language
}

// ruleView is a rule and whether the user may delete it.
type ruleView struct {
	store.Rule
	Agency   string
	Editable bool
}

// agencyOfURL is the agency of the source whose allowed prefixes hold rawURL, or "".
func (s *Server) agencyOfURL(ctx context.Context, rawURL string) (string, error) {
	srcs, err := s.cfg.Console.Store.Sources(ctx)
	if err != nil {
		return "", err
	}
	for _, src := range srcs {
		if ingest.InScope(rawURL, src.AllowedPrefixes) {
			return src.Agency, nil
		}
	}
	return "", nil
}

func (s *Server) ruleViews(ctx context.Context, u auth.User) ([]ruleView, error) {
	rules, err := s.cfg.Console.Store.Rules(ctx, "")
	if err != nil {
		return nil, err
	}
	out := make([]ruleView, 0, len(rules))
	for _, rule := range rules {
		agency, err := s.agencyOfURL(ctx, rule.URL)
		if err != nil {
			return nil, err
		}
		out = append(out, ruleView{Rule: rule, Agency: agency, Editable: u.CanSteward(agency)})
	}
	return out, nil
}

func (s *Server) consoleRules(w http.ResponseWriter, r *http.Request, u auth.User) {
	s.renderRules(w, r, u, http.StatusOK, store.Rule{Action: store.RulePin, Language: r.URL.Query().Get("rule_language"),
		Question: r.URL.Query().Get("question"), URL: r.URL.Query().Get("url")}, "")
}

func (s *Server) renderRules(w http.ResponseWriter, r *http.Request, u auth.User, status int, form store.Rule, problemKey string) {
	rules, err := s.ruleViews(r.Context(), u)
	if err != nil {
		s.internalError(w, r, "rules", err)
		return
	}
	v := s.consoleView(w, r, "console_rules_title")
	p := rulesPage{Rules: rules, Languages: retrieval.Languages, Form: form}
	if problemKey != "" {
		p.Problem = v.T[problemKey]
		v.Error = p.Problem
	}
	s.renderConsole(w, status, "console_rules.html", v, "/console/rules", p)
}

func (s *Server) apiRules(w http.ResponseWriter, r *http.Request, u auth.User) {
	rules, err := s.ruleViews(r.Context(), u)
	if err != nil {
		s.internalError(w, r, "rules", err)
		return
	}
	writeJSON(w, http.StatusOK, rules)
}

// actAddRule pins or suppresses a passage for a question; the page must be one of the steward's
// agencies' sources.
func (s *Server) actAddRule(w http.ResponseWriter, r *http.Request, u auth.User) {
	rule := store.Rule{
		Language: r.PostFormValue("rule_language"), Question: strings.TrimSpace(r.PostFormValue("question")),
		URL: strings.TrimSpace(r.PostFormValue("url")), Heading: r.PostFormValue("heading"), Passage: r.PostFormValue("passage"),
		Action: r.PostFormValue("action"), Note: strings.TrimSpace(r.PostFormValue("note")), CreatedBy: actor(u),
	}
	refuse := func(status int, key string) {
		if isAPI(r) {
			s.consoleError(w, r, status, key)
			return
		}
		s.renderRules(w, r, u, status, rule, key)
	}
	switch {
	case !slices.Contains(retrieval.Languages, rule.Language):
		refuse(http.StatusBadRequest, "console_rule_bad_language")
		return
	case rule.Question == "" || rule.URL == "" || rule.Note == "":
		refuse(http.StatusBadRequest, "console_rule_missing")
		return
	case rule.Action != store.RulePin && rule.Action != store.RuleSuppress:
		refuse(http.StatusBadRequest, "console_rule_bad_action")
		return
	}
	agency, err := s.agencyOfURL(r.Context(), rule.URL)
	if err != nil {
		s.internalError(w, r, "rules", err)
		return
	}
	if agency == "" {
		refuse(http.StatusBadRequest, "console_rule_unknown_page")
		return
	}
	if !u.CanSteward(agency) {
		refuse(http.StatusForbidden, "console_not_your_agency")
		return
	}
	saved, err := s.cfg.Console.Store.AddRule(r.Context(), rule)
	if errors.Is(err, store.ErrInvalidRule) {
		refuse(http.StatusBadRequest, "console_rule_missing")
		return
	}
	if err != nil {
		s.internalError(w, r, "add rule", err)
		return
	}
	// The store recorded it in the audit log, under the page's agency.
	s.done(w, r, http.StatusCreated, saved, "/console/rules", "console_done_rule_added")
}

func (s *Server) actDeleteRule(w http.ResponseWriter, r *http.Request, u auth.User) {
	id, ok := s.pathID(w, r)
	if !ok {
		return
	}
	rules, err := s.cfg.Console.Store.Rules(r.Context(), "")
	if err != nil {
		s.internalError(w, r, "rules", err)
		return
	}
	i := slices.IndexFunc(rules, func(rule store.Rule) bool { return rule.ID == id })
	if i < 0 {
		s.consoleError(w, r, http.StatusNotFound, "console_not_found")
		return
	}
	agency, err := s.agencyOfURL(r.Context(), rules[i].URL)
	if err != nil {
		s.internalError(w, r, "rules", err)
		return
	}
	if !s.forAgency(w, r, u, agency) {
		return
	}
	if err := s.cfg.Console.Store.DeleteRule(r.Context(), id, actor(u)); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			s.consoleError(w, r, http.StatusNotFound, "console_not_found")
			return
		}
		s.internalError(w, r, "delete rule", err)
		return
	}
	// The store recorded it in the audit log, under the page's agency.
	s.done(w, r, http.StatusOK, map[string]any{"deleted": id}, "/console/rules", "console_done_rule_deleted")
}
