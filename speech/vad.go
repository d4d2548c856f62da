package speech

import (
	"math"
	"slices"
	"time"
)

// VADConfig tunes end-of-utterance detection. Zero fields take the defaults.
type VADConfig struct {
	// Threshold is how far above the noise floor a frame must be to count as speech, in dB;
	// default 10.
	Threshold float64
	// MinLevel is the quietest frame that can be speech, in dB below full scale; default -50.
	MinLevel float64
	// StartAfter is how long speech must last before an utterance starts (shorter sounds are
	// clicks and coughs); default 100 ms.
	StartAfter time.Duration
	// EndAfter is the silence that ends an utterance; default 700 ms.
	EndAfter time.Duration
	// MaxUtterance cuts an utterance that goes on longer; after a cut, a new utterance starts
	// only after silence, so an endless stream yields one utterance, not one every MaxUtterance;
	// default 30 s.
	MaxUtterance time.Duration
	// PreRoll is audio kept from before the start, so the first syllable is not lost;
	// default 300 ms.
	PreRoll time.Duration
}

func (c VADConfig) withDefaults() VADConfig {
	if c.Threshold <= 0 {
		c.Threshold = 10
	}
	if c.MinLevel == 0 {
		c.MinLevel = -50
	}
	if c.StartAfter <= 0 {
		c.StartAfter = 100 * time.Millisecond
	}
	if c.EndAfter <= 0 {
		c.EndAfter = 700 * time.Millisecond
	}
	if c.MaxUtterance <= 0 {
		c.MaxUtterance = 30 * time.Second
	}
	if c.PreRoll <= 0 {
		c.PreRoll = 300 * time.Millisecond
	}
	return c
}

// EventKind says what a VAD noticed.
type EventKind int

// What a VAD reports.
const (
	// SpeechStarted: someone started speaking (a phone channel stops playing: barge-in).
	SpeechStarted EventKind = iota + 1
	// UtteranceEnded: the speaker paused long enough, or spoke for too long; Utterance holds it.
	UtteranceEnded
)

// Event is one thing a VAD noticed.
type Event struct {
	Kind EventKind
	// At is the position in the stream, counted in samples fed so far.
	At time.Duration
	// Utterance is the speech, with PreRoll before it and the start of the silence after it.
	Utterance Audio
	// Capped is true when the utterance was cut at MaxUtterance.
	Capped bool
}

// vadFrame is the analysis frame: 10 ms is the usual unit for speech energy.
const vadFrame = 10 * time.Millisecond

// VAD detects the start and end of utterances in a stream of audio by energy against an adaptive
// noise floor. It is not safe for concurrent use.
type VAD struct {
	cfg       VADConfig
	rate      int
	frameLen  int
	pending   []int16   // samples not yet making a whole frame
	fed       int       // samples analysed
	floor     float64   // noise floor, dB
	levels    []float64 // the levels of the last floorWindow frames, a ring
	voiced    int       // consecutive speech frames
	silent    int       // consecutive non-speech frames while in an utterance
	inSpeech  bool
	capped    bool    // an utterance was cut; wait for silence before the next
	history   []int16 // the last PreRoll+StartAfter of audio before an utterance
	utterance []int16
}

// NewVAD returns a detector for audio at rate samples per second.
func NewVAD(rate int, cfg VADConfig) *VAD {
	cfg = cfg.withDefaults()
	return &VAD{cfg: cfg, rate: rate, frameLen: max(1, rate*int(vadFrame)/int(time.Second)), floor: cfg.MinLevel - cfg.Threshold}
}

// Feed analyses samples and returns what happened in them, in order.
func (v *VAD) Feed(samples []int16) []Event {
	var events []Event
	v.pending = append(v.pending, samples...)
	for len(v.pending) >= v.frameLen {
		frame := v.pending[:v.frameLen]
		events = append(events, v.frame(frame)...)
		v.pending = v.pending[v.frameLen:]
	}
	// Keep pending from pinning the whole fed slice in memory.
	v.pending = append([]int16(nil), v.pending...)
	return events
}

// Flush ends the stream: an utterance in progress is returned as if the speaker had paused.
func (v *VAD) Flush() (Event, bool) {
	if !v.inSpeech {
		return Event{}, false
	}
	return v.end(false), true
}

// Speaking reports whether an utterance is in progress.
func (v *VAD) Speaking() bool { return v.inSpeech }

func (v *VAD) frames(d time.Duration) int { return max(1, int(d/vadFrame)) }

func (v *VAD) frame(frame []int16) []Event {
	v.fed += len(frame)
	level := levelDB(frame)
	v.adapt(level)
	speech := level >= v.cfg.MinLevel && level >= v.floor+v.cfg.Threshold
	if v.inSpeech {
		v.utterance = append(v.utterance, frame...)
		if speech {
			v.silent = 0
		} else {
			v.silent++
		}
		switch {
		case v.silent >= v.frames(v.cfg.EndAfter):
			return []Event{v.end(false)}
		case v.duration(len(v.utterance)) >= v.cfg.MaxUtterance:
			return []Event{v.end(true)}
		}
		return nil
	}
	v.remember(frame)
	if !speech {
		v.voiced = 0
		if v.silent++; v.silent >= v.frames(v.cfg.EndAfter) {
			v.capped = false
		}
		return nil
	}
	v.silent = 0
	if v.voiced++; v.voiced < v.frames(v.cfg.StartAfter) || v.capped {
		return nil
	}
	v.inSpeech = true
	v.utterance = append(v.utterance[:0], v.history...)
	return []Event{{Kind: SpeechStarted, At: v.duration(v.fed)}}
}

// floorWindow is how far back the noise floor looks: the quietest frame of the last second is
// the noise, since speech pauses between syllables and words more often than that.
const floorWindow = 100 // frames

// adapt updates the noise floor: the level of the quietest frame of the last second (minimum
// statistics). A steady noise such as a fan or a line's hiss becomes the floor within a second,
// even one loud enough to pass for speech at first, while speech, which dips between syllables,
// does not raise it to its own level.
func (v *VAD) adapt(level float64) {
	level = max(level, v.cfg.MinLevel-2*v.cfg.Threshold)
	if len(v.levels) < floorWindow {
		v.levels = append(v.levels, level)
	} else {
		v.levels[v.fed/v.frameLen%floorWindow] = level
	}
	v.floor = slices.Min(v.levels)
}

func (v *VAD) remember(frame []int16) {
	keep := int((v.cfg.PreRoll + v.cfg.StartAfter) * time.Duration(v.rate) / time.Second)
	v.history = append(v.history, frame...)
	if over := len(v.history) - keep; over > 0 {
		v.history = append(v.history[:0], v.history[over:]...)
	}
}

func (v *VAD) end(capped bool) Event {
	samples := v.utterance
	if !capped {
		// Keep a little of the trailing silence (recognisers like a pause at the end), not all of it.
		tail := v.silent*v.frameLen - int(200*time.Millisecond*time.Duration(v.rate)/time.Second)
		if tail > 0 && tail < len(samples) {
			samples = samples[:len(samples)-tail]
		}
	}
	ev := Event{Kind: UtteranceEnded, At: v.duration(v.fed), Utterance: Audio{Rate: v.rate, Samples: samples}, Capped: capped}
	v.inSpeech, v.capped, v.voiced, v.silent = false, capped, 0, 0
	v.utterance, v.history = nil, nil
	return ev
}

func (v *VAD) duration(samples int) time.Duration {
	return time.Duration(samples) * time.Second / time.Duration(v.rate)
}

// levelDB is the RMS level of samples in dB below full scale (-100 for digital silence).
func levelDB(samples []int16) float64 {
	var sum float64
	for _, s := range samples {
		f := float64(s) / 32768
		sum += f * f
	}
	if sum == 0 {
		return -100
	}
	return 10 * math.Log10(sum/float64(len(samples)))
}
