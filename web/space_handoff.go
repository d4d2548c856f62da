package web

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/assistant/process"
	"github.com/nyisverige/lots/assistant/space"
	"github.com/nyisverige/lots/web/auth"
)

// The chat's side of the own space (web/PROTOCOL.md, "Starting a process"): after an answer to a
// question that wishes to start a process, the server offers to prepare it; the person accepts
// with the details they confirm, or declines. Nothing is stored before they accept, and only
// what they confirmed.

// offer is the state of an offer made on a connection: it is answered once and not made again.
type offer struct {
	lang     string // the asker's language when it was made
	answered bool
}

// keptQuestions is how many of a connection's questions are read for details to pre-fill.
const keptQuestions = 5

// rememberQuestion keeps the connection's last questions, in memory only, for pre-filling.
func (c *client) rememberQuestion(text string) {
	c.questions = append(c.questions, text)
	if len(c.questions) > keptQuestions {
		c.questions = c.questions[len(c.questions)-keptQuestions:]
	}
}

// detectWish finds a wish to start a process of the catalog in the question, when the own space
// is on and the process has not been offered on this connection yet.
func (c *client) detectWish(ctx context.Context, question string) (process.Definition, bool) {
	catalog, detector := c.s.processes()
	if !c.s.cfg.Space.enabled() || detector == nil {
		return process.Definition{}, false
	}
	match, ok := detector.Detect(ctx, question, c.lang)
	if _, made := c.offers[match.Process]; !ok || made {
		return process.Definition{}, false
	}
	return catalog.Get(match.Process)
}

// answerWish answers a question that wishes to start def. Such a question often carries
// personal details (a date, a town, children) that no agency page covers; when it finds nothing
// as asked, the process's own title in the asker's language is answered instead, so the asker
// gets the agency's information along with the offer.
func (c *client) answerWish(ctx context.Context, q assistant.Question, def process.Definition) (assistant.Answer, error) {
	ans, err := c.s.asst.Answer(ctx, q)
	if err != nil || ans.Answered {
		return ans, err
	}
	alt, err := c.s.asst.Answer(ctx, assistant.Question{Text: def.Title.In(ans.Language), Language: ans.Language})
	if err != nil || !alt.Answered {
		return ans, nil
	}
	return alt, nil
}

// offerHandoff sends handoff.offer for def after the answer.
func (c *client) offerHandoff(ctx context.Context, def process.Definition, ans assistant.Answer) {
	lang := ans.Language
	t := c.s.strings[lang]
	if t == nil {
		t = c.s.strings["sv"]
	}
	title := def.Title.In(lang)
	proposals := []outbound{}
	for _, p := range process.Propose(def, c.questions, lang) {
		f, ok := def.Field(p.Field)
		if !ok {
			continue
		}
		shown := newFieldView(lang, t, f, map[string]string{f.Name: p.Value}, nil, nil, false).Shown
		proposals = append(proposals, outbound{"field": p.Field, "label": f.Label.In(lang), "value": p.Value,
			"shown": shown, "source": p.Source, "sensitive": f.Sensitive})
	}
	if c.offers == nil {
		c.offers = map[string]*offer{}
	}
	c.offers[def.ID] = &offer{lang: lang}
	c.out(outbound{"type": "handoff.offer", "process": def.ID, "title": title, "agency": def.AgencyNameIn(lang),
		"language": lang, "reason": fmt.Sprintf(t["offer_reason"], title), "proposals": proposals,
		"citations": ans.Citations})
}

// handoffAccept stores what the person accepted: a draft in their space when they are signed
// in, otherwise a handoff waiting for them to sign in. Every field is checked first; one
// refused field refuses all and nothing is stored.
func (c *client) handoffAccept(ctx context.Context, m inbound) {
	sp := c.s.cfg.Space
	if !sp.enabled() {
		c.error(m.ID, "bad_request", "starting a process is not available")
		return
	}
	catalog, _ := c.s.processes()
	def, ok := catalog.Get(m.Process)
	if !ok {
		c.error(m.ID, "bad_request", fmt.Sprintf("unknown process %q", m.Process))
		return
	}
	o := c.offers[def.ID]
	if o == nil || o.answered {
		c.error(m.ID, "bad_request", fmt.Sprintf("no open offer for process %q", def.ID))
		return
	}
	lang := m.Language
	if c.s.strings[lang] == nil {
		lang = o.lang
	}
	d := space.NewDraft{ProcessID: def.ID, Language: lang, Fields: map[string]string{}}
	for name, raw := range m.Fields {
		f, ok := def.Field(name)
		if !ok {
			c.error(m.ID, "bad_request", fmt.Sprintf("process %q has no field %q", def.ID, name))
			return
		}
		v, err := f.Check(raw)
		if err != nil {
			msg := err.Error()
			var fe *process.FieldError
			if errors.As(err, &fe) {
				msg = fe.Message(lang)
			}
			// Never the value: it may be an identity number.
			c.out(outbound{"type": "error", "id": m.ID, "code": "invalid_field", "field": name, "message": msg})
			return
		}
		if v != "" {
			d.Fields[name] = v
		}
		if f.Sensitive {
			d.Sensitive = append(d.Sensitive, name)
		}
	}
	if u, ok := c.signedIn(ctx); ok {
		draft, err := sp.Store.CreateDraft(ctx, u.ID, d)
		if err != nil {
			c.s.log.ErrorContext(ctx, "create draft from the chat", "process", def.ID, "err", err)
			c.error(m.ID, "unavailable", "the service cannot store the draft now; try again later")
			return
		}
		o.answered = true
		c.out(outbound{"type": "handoff.created", "id": m.ID, "process": def.ID, "draft_id": draft.ID,
			"url": draftURL(draft.ID, lang) + "&done=created"})
		return
	}
	token, err := sp.Store.CreateHandoff(ctx, d)
	if err != nil {
		c.s.log.ErrorContext(ctx, "store handoff", "process", def.ID, "err", err)
		c.error(m.ID, "unavailable", "the service cannot store the handoff now; try again later")
		return
	}
	o.answered = true
	c.out(outbound{"type": "handoff.signin", "id": m.ID, "process": def.ID,
		"url": "/signin?" + url.Values{"lang": {lang}, "next": {"/space/handoff/" + token}}.Encode()})
}

// handoffDecline answers an offer with no: nothing is stored, and it is not offered again on
// this connection.
func (c *client) handoffDecline(m inbound) {
	o := c.offers[m.Process]
	if o == nil || o.answered {
		c.error(m.ID, "bad_request", fmt.Sprintf("no open offer for process %q", m.Process))
		return
	}
	o.answered = true
	c.out(outbound{"type": "handoff.declined", "id": m.ID, "process": m.Process})
}

// signedIn is the user the websocket was opened by, while their session lasts: signing out in
// another tab ends it here too.
func (c *client) signedIn(ctx context.Context) (auth.User, bool) {
	if c.user == nil {
		return auth.User{}, false
	}
	accounts := c.s.cfg.Auth.Accounts
	if accounts == nil {
		return *c.user, true
	}
	u, err := accounts.Session(ctx, c.session)
	if err != nil {
		if !errors.Is(err, auth.ErrNoSession) {
			c.s.log.ErrorContext(ctx, "session", "err", err)
		}
		return auth.User{}, false
	}
	return u, true
}
