package alexa

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The JSON Alexa sends and expects, as documented in the Alexa Skills Kit's request and
// response JSON reference. Only the fields Lots reads or writes are declared.

// requestEnvelope is the body of a request from Alexa.
type requestEnvelope struct {
	Version string   `json:"version"`
	Session *session `json:"session"` // absent for requests outside a session
	Context struct {
		System struct {
			Application application `json:"application"`
		} `json:"System"`
	} `json:"context"`
	Request request `json:"request"`
}

type application struct {
	ApplicationID string `json:"applicationId"`
}

type session struct {
	New         bool           `json:"new"`
	SessionID   string         `json:"sessionId"`
	Application application    `json:"application"`
	Attributes  map[string]any `json:"attributes"`
}

type request struct {
	Type      string  `json:"type"` // LaunchRequest, IntentRequest, SessionEndedRequest, …
	RequestID string  `json:"requestId"`
	Timestamp string  `json:"timestamp"` // ISO 8601
	Locale    string  `json:"locale"`    // e.g. en-US, sv-SE
	Intent    *intent `json:"intent"`    // IntentRequest
	Reason    string  `json:"reason"`    // SessionEndedRequest: USER_INITIATED, ERROR, EXCEEDED_MAX_REPROMPTS
	Error     *struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"` // SessionEndedRequest with reason ERROR
}

type intent struct {
	Name  string          `json:"name"`
	Slots map[string]slot `json:"slots"`
}

type slot struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// parseRequest decodes a request body.
func parseRequest(body []byte) (requestEnvelope, error) {
	var env requestEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return requestEnvelope{}, fmt.Errorf("request body: %w", err)
	}
	if env.Request.Type == "" {
		return requestEnvelope{}, errors.New("request body: no request type")
	}
	return env, nil
}

// timestamp is when Alexa sent the request.
func (e *requestEnvelope) timestamp() (time.Time, error) {
	ts, err := time.Parse(time.RFC3339, e.Request.Timestamp)
	if err != nil {
		return time.Time{}, fmt.Errorf("request timestamp: %w", err)
	}
	return ts, nil
}

// applicationIDs are the skill IDs the request names: its context's and its session's.
func (e *requestEnvelope) applicationIDs() []string {
	var ids []string
	if id := e.Context.System.Application.ApplicationID; id != "" {
		ids = append(ids, id)
	}
	if e.Session != nil && e.Session.Application.ApplicationID != "" {
		ids = append(ids, e.Session.Application.ApplicationID)
	}
	return ids
}

// attribute is a string session attribute, or "".
func (e *requestEnvelope) attribute(name string) string {
	if e.Session == nil {
		return ""
	}
	s, _ := e.Session.Attributes[name].(string)
	return s
}

// slotValue is the value of the intent's slot, or "".
func (e *requestEnvelope) slotValue(name string) string {
	if e.Request.Intent == nil {
		return ""
	}
	return e.Request.Intent.Slots[name].Value
}

// responseEnvelope is the body of a response to Alexa.
type responseEnvelope struct {
	Version           string            `json:"version"`
	SessionAttributes map[string]string `json:"sessionAttributes,omitempty"`
	Response          response          `json:"response"`
}

type response struct {
	OutputSpeech     *outputSpeech `json:"outputSpeech,omitempty"`
	Card             *card         `json:"card,omitempty"`
	Reprompt         *reprompt     `json:"reprompt,omitempty"`
	ShouldEndSession *bool         `json:"shouldEndSession,omitempty"`
}

type outputSpeech struct {
	Type string `json:"type"` // always SSML
	SSML string `json:"ssml"`
}

// card is a Simple card: a title and plain text, shown in the Alexa app.
type card struct {
	Type    string `json:"type"`
	Title   string `json:"title"`
	Content string `json:"content"`
}

type reprompt struct {
	OutputSpeech outputSpeech `json:"outputSpeech"`
}

// empty is the response to requests that take no speech, such as SessionEndedRequest.
func empty() responseEnvelope {
	return responseEnvelope{Version: "1.0"}
}

// speak is a response that says ssml; with a reprompt the session stays open for an answer.
func speak(ssml, repromptSSML string) responseEnvelope {
	end := repromptSSML == ""
	r := responseEnvelope{Version: "1.0", Response: response{
		OutputSpeech:     &outputSpeech{Type: "SSML", SSML: ssml},
		ShouldEndSession: &end,
	}}
	if !end {
		r.Response.Reprompt = &reprompt{OutputSpeech: outputSpeech{Type: "SSML", SSML: repromptSSML}}
	}
	return r
}

// nameOrEmpty is the intent's name, or "" for a request without one.
func (i *intent) nameOrEmpty() string {
	if i == nil {
		return ""
	}
	return i.Name
}
