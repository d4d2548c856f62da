package phone

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// The Twilio Media Streams protocol: JSON text messages over a websocket. Twilio sends
// connected, start, media (base64 μ-law 8 kHz, 20 ms each), dtmf, mark (when a mark we sent has
// been played) and stop; we send media, mark and clear (drop the audio not yet played).

// maxPayload bounds the audio of one media message: Twilio sends 160 bytes (20 ms); a second is
// plenty of room.
const maxPayload = 8000

// inbound is one message from the telephony side.
type inbound struct {
	Event     string    `json:"event"`
	StreamSid string    `json:"streamSid"`
	Start     *start    `json:"start,omitempty"`
	Media     *media    `json:"media,omitempty"`
	Mark      *mark     `json:"mark,omitempty"`
	DTMF      *dtmf     `json:"dtmf,omitempty"`
	Stop      *struct{} `json:"stop,omitempty"`

	audio []byte // Media.Payload decoded
}

type start struct {
	StreamSid        string            `json:"streamSid"`
	CallSid          string            `json:"callSid"`
	Tracks           []string          `json:"tracks"`
	MediaFormat      mediaFormat       `json:"mediaFormat"`
	CustomParameters map[string]string `json:"customParameters"`
}

type mediaFormat struct {
	Encoding   string `json:"encoding"`
	SampleRate int    `json:"sampleRate"`
	Channels   int    `json:"channels"`
}

type media struct {
	Track     string `json:"track,omitempty"`
	Chunk     string `json:"chunk,omitempty"`
	Timestamp string `json:"timestamp,omitempty"`
	Payload   string `json:"payload"`
}

type mark struct {
	Name string `json:"name"`
}

type dtmf struct {
	Track string `json:"track,omitempty"`
	Digit string `json:"digit"`
}

// outbound is one message to the telephony side.
type outbound struct {
	Event     string `json:"event"`
	StreamSid string `json:"streamSid"`
	Media     *media `json:"media,omitempty"`
	Mark      *mark  `json:"mark,omitempty"`
}

// parseEvent reads and checks one message; media payloads are decoded.
func parseEvent(data []byte) (inbound, error) {
	var ev inbound
	if err := json.Unmarshal(data, &ev); err != nil {
		return inbound{}, fmt.Errorf("media stream message: %w", err)
	}
	switch ev.Event {
	case "connected", "stop":
	case "start":
		if ev.Start == nil {
			return inbound{}, errors.New("media stream start: no start object")
		}
		f := ev.Start.MediaFormat
		if f.Encoding != "audio/x-mulaw" || f.SampleRate != 8000 || f.Channels > 1 {
			return inbound{}, fmt.Errorf("media stream start: format %s at %d Hz × %d: want audio/x-mulaw at 8000 Hz mono",
				f.Encoding, f.SampleRate, f.Channels)
		}
		if ev.StreamSid == "" {
			ev.StreamSid = ev.Start.StreamSid
		}
	case "media":
		if ev.Media == nil {
			return inbound{}, errors.New("media stream media: no media object")
		}
		if ev.Media.Track != "" && ev.Media.Track != "inbound" {
			return ev, nil // only the caller's side is listened to
		}
		if base64.StdEncoding.DecodedLen(len(ev.Media.Payload)) > maxPayload {
			return inbound{}, fmt.Errorf("media stream media: payload of %d characters is more than %d bytes", len(ev.Media.Payload), maxPayload)
		}
		audio, err := base64.StdEncoding.DecodeString(ev.Media.Payload)
		if err != nil {
			return inbound{}, fmt.Errorf("media stream media: payload: %w", err)
		}
		ev.audio = audio
	case "mark":
		if ev.Mark == nil {
			return inbound{}, errors.New("media stream mark: no mark object")
		}
	case "dtmf":
		if ev.DTMF == nil || len(ev.DTMF.Digit) != 1 {
			return inbound{}, errors.New("media stream dtmf: no digit")
		}
	default:
		return inbound{}, fmt.Errorf("media stream: unknown event %q", ev.Event)
	}
	return ev, nil
}
