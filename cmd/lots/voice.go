package main

import (
	"fmt"
	"net/http"
	"os/exec"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/speech"
	"github.com/nyisverige/lots/speech/alexa"
	"github.com/nyisverige/lots/speech/phone"
)

// newVoice builds the speech engines and pipeline the configuration asks for, or nil when
// speech is off (or, with "auto", when the local programs are not installed).
func (a *app) newVoice(asst *assistant.Assistant) (*speech.Voice, error) {
	mode := a.cfg.Speech
	if mode == "off" {
		return nil, nil
	}
	local := mode == "local"
	if mode == "auto" {
		_, errE := exec.LookPath("espeak-ng")
		_, errP := exec.LookPath("pocketsphinx_continuous")
		local = errE == nil && errP == nil
	}
	cfg := speech.Config{Local: local, Espeak: speech.EspeakConfig{Rate: a.cfg.SpeechRate}}
	if a.cfg.STTModel != "" {
		cfg.STT = speech.OpenAIConfig{BaseURL: a.cfg.STTURL, APIKey: a.cfg.STTKey, Model: a.cfg.STTModel}
	}
	if a.cfg.TTSModel != "" {
		cfg.TTS = speech.OpenAIConfig{BaseURL: a.cfg.TTSURL, APIKey: a.cfg.TTSKey, Model: a.cfg.TTSModel, Voice: a.cfg.TTSVoice}
	}
	if !cfg.Local && cfg.STT.Model == "" && cfg.TTS.Model == "" {
		a.log.Info("speech is off: run scripts/speech for the local engines, or configure LOTS_STT_MODEL / LOTS_TTS_MODEL")
		return nil, nil
	}
	engines, err := speech.NewEngines(cfg, asst.Messages(), a.log)
	if err != nil {
		return nil, fmt.Errorf("speech: %w", err)
	}
	a.log.Info("speech", "hears", engines.Hears(), "speaks", engines.Speaks())
	return speech.NewVoice(engines, asst, a.log, speech.VoiceConfig{WaitForChecks: a.cfg.ChatModel != ""}), nil
}

// channels returns the routes of the phone line and the smart-speaker skill, as configured.
func (a *app) channels(asst *assistant.Assistant, voice *speech.Voice) map[string]http.Handler {
	routes := map[string]http.Handler{}
	if a.cfg.Phone && voice != nil {
		p := phone.New(voice, nil, a.log, phone.Config{StreamURL: a.cfg.PhoneStreamURL, AuthToken: a.cfg.TwilioToken,
			Secret: []byte(a.cfg.PhoneSecret)})
		routes["POST /phone/twiml"] = http.HandlerFunc(p.TwiML)
		routes["GET /phone/stream"] = http.HandlerFunc(p.Stream)
	}
	if a.cfg.AlexaSkillID != "" {
		routes["POST /alexa"] = alexa.New(asst, a.log, alexa.Config{ApplicationID: a.cfg.AlexaSkillID})
	}
	return routes
}
