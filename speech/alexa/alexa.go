// Package alexa is an Alexa custom skill endpoint: it verifies that each request was sent by
// Alexa for this skill, answers the question in it with the assistant, and speaks the answer
// in SSML, with the sources on a card in the Alexa app.
package alexa

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/retrieval"
)

// The interaction model's names (README_SECTION.md has the model).
const (
	questionIntent = "QuestionIntent"
	questionSlot   = "question"         // AMAZON.SearchQuery
	previousAttr   = "previousQuestion" // session attribute: the topic of a follow-up
)

const (
	maxSkew       = 150 * time.Second       // Amazon's limit on a request's age
	maxBody       = 64 << 10                // Alexa's requests are a few KiB
	defaultAnswer = 6500 * time.Millisecond // Alexa waits 8 s for a response
)

// Config configures a Skill.
type Config struct {
	// ApplicationID is the skill's ID (amzn1.ask.skill.…). Requests for any other skill are
	// refused; with no ID, every request is.
	ApplicationID string
	// Roots are the trusted roots of the signing certificate's chain; nil: the system's.
	Roots *x509.CertPool
	// Client downloads certificate chains; nil: a client with a 5 s timeout. Redirects are
	// never followed.
	Client *http.Client
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// MaxSkew is how far a request's timestamp may be from now: at most, and by default, 150 s.
	MaxSkew time.Duration
	// AnswerTime bounds answering one question; default 6.5 s, as Alexa waits 8 s.
	AnswerTime time.Duration
}

// Skill answers Alexa's requests. It is an http.Handler for the skill's HTTPS endpoint.
type Skill struct {
	asst     *assistant.Assistant
	answer   func(context.Context, assistant.Question) (assistant.Answer, error) // asst.Answer
	log      *slog.Logger
	cfg      Config
	verifier *verifier
}

// New returns a Skill that answers with asst.
func New(asst *assistant.Assistant, log *slog.Logger, cfg Config) *Skill {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxSkew <= 0 || cfg.MaxSkew > maxSkew {
		cfg.MaxSkew = maxSkew
	}
	if cfg.AnswerTime <= 0 {
		cfg.AnswerTime = defaultAnswer
	}
	if cfg.ApplicationID == "" {
		log.Error("alexa: no skill application ID is configured; every request will be refused")
	}
	return &Skill{asst: asst, answer: asst.Answer, log: log, cfg: cfg, verifier: newVerifier(cfg.Client, cfg.Roots)}
}

// ServeHTTP answers one request from Alexa. A request that is not verifiably from Alexa for
// this skill, or too old, gets 400 Bad Request, as Amazon requires.
func (s *Skill) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read the request", http.StatusBadRequest)
		return
	}
	env, err := s.verify(r, body)
	if err != nil {
		s.log.WarnContext(r.Context(), "alexa: refused a request", "err", err)
		http.Error(w, "request refused: not verifiably from Alexa for this skill", http.StatusBadRequest)
		return
	}
	resp := s.respond(r.Context(), env)
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(resp); err != nil {
		s.log.WarnContext(r.Context(), "alexa: write response", "err", err)
	}
}

// verify checks, in order, the signature over the raw body (before its JSON is parsed), the
// request's age, and that it is for this skill.
func (s *Skill) verify(r *http.Request, body []byte) (requestEnvelope, error) {
	now := s.cfg.Now()
	err := s.verifier.verify(r.Context(), now, r.Header.Get("SignatureCertChainUrl"), r.Header.Get("Signature-256"), body)
	if err != nil {
		return requestEnvelope{}, err
	}
	env, err := parseRequest(body)
	if err != nil {
		return requestEnvelope{}, err
	}
	ts, err := env.timestamp()
	if err != nil {
		return requestEnvelope{}, err
	}
	if skew := now.Sub(ts).Abs(); skew > s.cfg.MaxSkew {
		return requestEnvelope{}, fmt.Errorf("request timestamp %s is %s from now, more than %s",
			env.Request.Timestamp, skew.Round(time.Second), s.cfg.MaxSkew)
	}
	ids := env.applicationIDs()
	switch {
	case s.cfg.ApplicationID == "":
		return requestEnvelope{}, errors.New("no skill application ID is configured")
	case len(ids) == 0:
		return requestEnvelope{}, errors.New("the request names no skill")
	case slices.ContainsFunc(ids, func(id string) bool { return id != s.cfg.ApplicationID }):
		return requestEnvelope{}, fmt.Errorf("the request is for another skill (%s)", strings.Join(ids, ", "))
	}
	return env, nil
}

// respond answers a verified request.
func (s *Skill) respond(ctx context.Context, env requestEnvelope) responseEnvelope {
	lang := language(env.Request.Locale)
	previous := env.attribute(previousAttr)
	switch env.Request.Type {
	case "LaunchRequest":
		return s.prompt(lang, msgWelcome, previous)
	case "IntentRequest":
		return s.intent(ctx, env, lang, previous)
	case "SessionEndedRequest":
		// Alexa takes no speech in reply; an error here means a response of ours was refused.
		args := []any{"request", env.Request.RequestID, "reason", env.Request.Reason}
		if e := env.Request.Error; e != nil {
			s.log.WarnContext(ctx, "alexa: session ended with an error", append(args, "error_type", e.Type, "error", e.Message)...)
		} else {
			s.log.DebugContext(ctx, "alexa: session ended", args...)
		}
		return empty()
	default:
		s.log.DebugContext(ctx, "alexa: request type not handled", "type", env.Request.Type)
		return empty()
	}
}

// intent answers an IntentRequest.
func (s *Skill) intent(ctx context.Context, env requestEnvelope, lang, previous string) responseEnvelope {
	switch env.Request.Intent.nameOrEmpty() {
	case questionIntent:
		return s.answerQuestion(ctx, env, lang, previous)
	case "AMAZON.HelpIntent":
		return s.prompt(lang, msgHelp, previous)
	case "AMAZON.NavigateHomeIntent":
		return s.prompt(lang, msgWelcome, previous)
	case "AMAZON.StopIntent", "AMAZON.CancelIntent":
		return speak(ssml(text(lang, msgGoodbye)), "")
	default: // AMAZON.FallbackIntent, and any intent this skill does not have
		return s.prompt(lang, msgRephrase, previous)
	}
}

// answerQuestion speaks the assistant's answer — or its honest "I don't know" — and puts the
// sources on a card; the session stays open for a follow-up, which keeps this question as
// its topic.
func (s *Skill) answerQuestion(ctx context.Context, env requestEnvelope, lang, previous string) responseEnvelope {
	q := strings.TrimSpace(env.slotValue(questionSlot))
	if q == "" || len(q) > assistant.MaxQuestionLength {
		return s.prompt(lang, msgRephrase, previous)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.AnswerTime)
	defer cancel()
	start := time.Now()
	ans, err := s.answer(ctx, assistant.Question{Text: q, Language: lang, Previous: previous})
	if errors.Is(err, assistant.ErrEmptyQuestion) {
		return s.prompt(lang, msgRephrase, previous)
	}
	if err != nil {
		s.log.ErrorContext(ctx, "alexa: answer", "request", env.Request.RequestID, "err", err)
		return s.prompt(lang, msgUnavailable, previous)
	}
	s.log.InfoContext(ctx, "alexa: answered", "request", env.Request.RequestID, "language", ans.Language,
		"answered", ans.Answered, "citations", len(ans.Citations), "duration", time.Since(start))
	said := spokenAnswer(ans.Answer)
	if len(ans.Citations) > 0 {
		said = append(said, text(lang, msgSourcesInApp))
	}
	said = append(said, text(lang, msgAnother))
	r := speak(ssml(said...), ssml(text(lang, msgAnother)))
	r.Response.Card = sourcesCard(s.asst.Messages(), ans.Language, ans.Citations)
	r.SessionAttributes = map[string]string{previousAttr: q}
	return r
}

// prompt says the sentence key and waits for a question, keeping the conversation's topic.
func (s *Skill) prompt(lang, key, previous string) responseEnvelope {
	r := speak(ssml(text(lang, key)), ssml(text(lang, msgAsk)))
	if previous != "" {
		r.SessionAttributes = map[string]string{previousAttr: previous}
	}
	return r
}

// language is the Lots language of an Alexa locale (sv-SE → sv, en-GB → en, ar-SA → ar);
// English for a language Lots does not answer in.
func language(locale string) string {
	lang, _, _ := strings.Cut(locale, "-")
	lang = strings.ToLower(lang)
	if slices.Contains(retrieval.Languages, lang) {
		return lang
	}
	return "en"
}
