package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/web/auth"
)

// Config is every setting of lots, from flags and LOTS_* environment variables (flags win).
// Secrets (API keys) come only from the environment, so they never show in a process list.
type Config struct {
	DatabaseURL string
	LogLevel    slog.Level

	Embedder       string // local | openai
	EmbedDims      int
	EmbedURL       string
	EmbedModel     string
	EmbedKey       string
	MinSimilarity  float64 // 0: the embedder's default
	MinCoverage    float64 // 0: the embedder's default
	ChatURL        string
	ChatModel      string // empty: extractive answers only
	ChatKey        string
	ChatTimeout    time.Duration
	SourcesFile    string
	DemoAddr       string
	Addr           string
	AllowedOrigins []string
	Retention      time.Duration
	MaxConns       int
	AsksPerMinute  int
	TrustProxy     bool

	Speech         string // off | local | auto
	SpeechRate     int
	STTURL         string
	STTModel       string
	STTKey         string
	TTSURL         string
	TTSModel       string
	TTSVoice       string
	TTSKey         string
	Phone          bool
	PhoneStreamURL string
	TwilioToken    string
	PhoneSecret    string
	AlexaSkillID   string

	PublicURL      string        // the site's address as browsers see it (passkeys, OpenID Connect)
	SessionIdle    time.Duration // a session ends after this long unused
	SessionMax     time.Duration // and after this long in any case
	OIDC           []auth.ProviderConfig
	SecretKey      []byte   // seals identity numbers in drafts (32 bytes)
	SecretPrevious [][]byte // keys sealed with before a rotation
	SecretKeyFile  string   // where lots demo keeps a generated key
	DraftRetention time.Duration
	Worker         bool // lots serve also runs queued jobs
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// bindConfig registers the shared flags on fs with defaults from the environment.
func bindConfig(fs *flag.FlagSet) (*Config, func() error) {
	c := &Config{}
	fs.StringVar(&c.DatabaseURL, "database-url", env("DATABASE_URL", env("LOTS_DATABASE_URL", "")), "PostgreSQL URL (env DATABASE_URL)")
	logLevel := fs.String("log-level", env("LOTS_LOG_LEVEL", "info"), "debug, info, warn or error (env LOTS_LOG_LEVEL)")
	fs.StringVar(&c.Embedder, "embedder", env("LOTS_EMBEDDER", "local"), "local or openai (env LOTS_EMBEDDER)")
	dims := fs.String("embed-dimensions", env("LOTS_EMBED_DIMENSIONS", "0"), "vector size; 0 = the embedder's own (env LOTS_EMBED_DIMENSIONS)")
	fs.StringVar(&c.EmbedURL, "embed-url", env("LOTS_EMBED_URL", ""), "OpenAI-compatible base URL for embeddings (env LOTS_EMBED_URL)")
	fs.StringVar(&c.EmbedModel, "embed-model", env("LOTS_EMBED_MODEL", "text-embedding-3-small"), "embedding model (env LOTS_EMBED_MODEL)")
	minSim := fs.String("min-similarity", env("LOTS_MIN_SIMILARITY", "0"), "cosine similarity that makes a passage relevant; 0 = the embedder's default (env LOTS_MIN_SIMILARITY)")
	minCov := fs.String("min-coverage", env("LOTS_MIN_COVERAGE", "0"), "share of the question a passage must cover to be relevant; 0 = the embedder's default (env LOTS_MIN_COVERAGE)")
	fs.StringVar(&c.ChatURL, "chat-url", env("LOTS_CHAT_URL", ""), "OpenAI-compatible base URL for answers (env LOTS_CHAT_URL)")
	fs.StringVar(&c.ChatModel, "chat-model", env("LOTS_CHAT_MODEL", ""), "chat model; empty = extractive answers (env LOTS_CHAT_MODEL)")
	chatTimeout := fs.String("chat-timeout", env("LOTS_CHAT_TIMEOUT", "20s"), "time the model gets before the extractive answer is used (env LOTS_CHAT_TIMEOUT)")
	fs.StringVar(&c.SourcesFile, "sources", env("LOTS_SOURCES", "sources.yaml"), "source registry file (env LOTS_SOURCES)")
	fs.StringVar(&c.DemoAddr, "demo-addr", env("LOTS_DEMO_ADDR", "127.0.0.1:8089"), "where lots demo serves the demo agency sites (env LOTS_DEMO_ADDR)")
	fs.StringVar(&c.Addr, "addr", env("LOTS_ADDR", "127.0.0.1:8080"), "where lots serve listens (env LOTS_ADDR)")
	origins := fs.String("allowed-origins", env("LOTS_ALLOWED_ORIGINS", ""), "comma-separated origins allowed to open the websocket besides the server's own (env LOTS_ALLOWED_ORIGINS)")
	retention := fs.String("retention", env("LOTS_RETENTION", "720h"), "how long conversations are kept (env LOTS_RETENTION)")
	maxConns := fs.String("max-connections", env("LOTS_MAX_CONNECTIONS", "20000"), "websocket connections at once (env LOTS_MAX_CONNECTIONS)")
	asks := fs.String("asks-per-minute", env("LOTS_ASKS_PER_MINUTE", "20"), "questions per minute per connection and per address (env LOTS_ASKS_PER_MINUTE)")
	fs.BoolVar(&c.TrustProxy, "trust-proxy", env("LOTS_TRUST_PROXY", "") == "true", "take client addresses from X-Forwarded-For (env LOTS_TRUST_PROXY=true)")
	fs.StringVar(&c.Speech, "speech", env("LOTS_SPEECH", "auto"), "off, local (espeak-ng + pocketsphinx) or auto (local when installed) (env LOTS_SPEECH)")
	speechRate := fs.String("speech-rate", env("LOTS_SPEECH_RATE", "140"), "espeak-ng words per minute (env LOTS_SPEECH_RATE)")
	fs.StringVar(&c.STTURL, "stt-url", env("LOTS_STT_URL", ""), "OpenAI-compatible base URL for /v1/audio/transcriptions (env LOTS_STT_URL)")
	fs.StringVar(&c.STTModel, "stt-model", env("LOTS_STT_MODEL", ""), "speech-to-text model, e.g. whisper-1 (env LOTS_STT_MODEL)")
	fs.StringVar(&c.TTSURL, "tts-url", env("LOTS_TTS_URL", ""), "OpenAI-compatible base URL for /v1/audio/speech (env LOTS_TTS_URL)")
	fs.StringVar(&c.TTSModel, "tts-model", env("LOTS_TTS_MODEL", ""), "text-to-speech model, e.g. tts-1 (env LOTS_TTS_MODEL)")
	fs.StringVar(&c.TTSVoice, "tts-voice", env("LOTS_TTS_VOICE", ""), "text-to-speech voice (env LOTS_TTS_VOICE)")
	fs.BoolVar(&c.Phone, "phone", env("LOTS_PHONE", "") == "true", "serve the phone line: POST /phone/twiml and /phone/stream (env LOTS_PHONE=true)")
	fs.StringVar(&c.PhoneStreamURL, "phone-stream-url", env("LOTS_PHONE_STREAM_URL", ""), "wss URL Twilio connects to, behind a proxy (env LOTS_PHONE_STREAM_URL)")
	c.STTKey = env("LOTS_STT_KEY", env("OPENAI_API_KEY", ""))
	c.TTSKey = env("LOTS_TTS_KEY", env("OPENAI_API_KEY", ""))
	c.TwilioToken = env("LOTS_TWILIO_AUTH_TOKEN", "")
	c.PhoneSecret = env("LOTS_PHONE_SECRET", "")
	c.AlexaSkillID = env("LOTS_ALEXA_SKILL_ID", "")
	fs.StringVar(&c.PublicURL, "public-url", env("LOTS_PUBLIC_URL", ""), "the site's address as browsers see it, e.g. https://lots.example.se; default http://localhost:<port of LOTS_ADDR> (env LOTS_PUBLIC_URL)")
	sessionIdle := fs.String("session-idle", env("LOTS_SESSION_IDLE", "8h"), "a signed-in session ends after this long unused (env LOTS_SESSION_IDLE)")
	sessionMax := fs.String("session-max", env("LOTS_SESSION_MAX", "168h"), "and after this long in any case (env LOTS_SESSION_MAX)")
	oidcNames := fs.String("oidc-providers", env("LOTS_OIDC_PROVIDERS", ""), "comma-separated OpenID Connect providers, each set by LOTS_OIDC_<NAME>_* (env LOTS_OIDC_PROVIDERS)")
	fs.StringVar(&c.SecretKeyFile, "secret-key-file", env("LOTS_SECRET_KEY_FILE", "var/secret.key"), "lots demo: file with the key that seals identity numbers, made when missing (env LOTS_SECRET_KEY_FILE)")
	draftRetention := fs.String("draft-retention", env("LOTS_DRAFT_RETENTION", "2160h"), "drafts untouched this long are deleted (env LOTS_DRAFT_RETENTION)")
	fs.BoolVar(&c.Worker, "worker", env("LOTS_WORKER", "true") == "true", "lots serve also runs queued jobs: recrawls, index builds, evaluations (env LOTS_WORKER)")
	secretKey, secretPrevious := env("LOTS_SECRET_KEY", ""), env("LOTS_SECRET_KEY_PREVIOUS", "")
	c.EmbedKey = env("LOTS_EMBED_KEY", env("OPENAI_API_KEY", ""))
	c.ChatKey = env("LOTS_CHAT_KEY", env("OPENAI_API_KEY", ""))
	return c, func() error {
		var errs []error
		if err := c.LogLevel.UnmarshalText([]byte(*logLevel)); err != nil {
			errs = append(errs, fmt.Errorf("log level %q: use debug, info, warn or error", *logLevel))
		}
		var err error
		if c.EmbedDims, err = strconv.Atoi(*dims); err != nil || c.EmbedDims < 0 || c.EmbedDims > 16000 {
			errs = append(errs, fmt.Errorf("embed dimensions %q: want a whole number from 0 to 16000", *dims))
		}
		if c.MinSimilarity, err = strconv.ParseFloat(*minSim, 64); err != nil || c.MinSimilarity < 0 || c.MinSimilarity >= 1 {
			errs = append(errs, fmt.Errorf("min similarity %q: want a number from 0 to 1", *minSim))
		}
		if c.MinCoverage, err = strconv.ParseFloat(*minCov, 64); err != nil || c.MinCoverage < 0 || c.MinCoverage > 1 {
			errs = append(errs, fmt.Errorf("min coverage %q: want a number from 0 to 1", *minCov))
		}
		if c.ChatTimeout, err = time.ParseDuration(*chatTimeout); err != nil || c.ChatTimeout <= 0 {
			errs = append(errs, fmt.Errorf("chat timeout %q: want a duration such as 20s", *chatTimeout))
		}
		for _, o := range strings.Split(*origins, ",") {
			if o = strings.TrimSpace(o); o != "" {
				c.AllowedOrigins = append(c.AllowedOrigins, o)
			}
		}
		if c.Retention, err = time.ParseDuration(*retention); err != nil || c.Retention < time.Hour {
			errs = append(errs, fmt.Errorf("retention %q: want a duration of at least 1h, such as 720h", *retention))
		}
		if c.MaxConns, err = strconv.Atoi(*maxConns); err != nil || c.MaxConns < 1 {
			errs = append(errs, fmt.Errorf("max connections %q: want a positive whole number", *maxConns))
		}
		if c.AsksPerMinute, err = strconv.Atoi(*asks); err != nil || c.AsksPerMinute < 1 {
			errs = append(errs, fmt.Errorf("asks per minute %q: want a positive whole number", *asks))
		}
		if c.SessionIdle, err = time.ParseDuration(*sessionIdle); err != nil || c.SessionIdle < time.Minute {
			errs = append(errs, fmt.Errorf("session idle %q: want a duration of at least 1m, such as 8h", *sessionIdle))
		}
		if c.SessionMax, err = time.ParseDuration(*sessionMax); err != nil || c.SessionMax < c.SessionIdle {
			errs = append(errs, fmt.Errorf("session max %q: want a duration no shorter than the idle time, such as 168h", *sessionMax))
		}
		if c.DraftRetention, err = time.ParseDuration(*draftRetention); err != nil || c.DraftRetention < 24*time.Hour {
			errs = append(errs, fmt.Errorf("draft retention %q: want a duration of at least 24h, such as 2160h", *draftRetention))
		}
		if err := c.bindAccounts(*oidcNames, secretKey, secretPrevious); err != nil {
			errs = append(errs, err)
		}
		if c.SpeechRate, err = strconv.Atoi(*speechRate); err != nil || c.SpeechRate < 80 || c.SpeechRate > 400 {
			errs = append(errs, fmt.Errorf("speech rate %q: want words per minute from 80 to 400", *speechRate))
		}
		if c.Speech != "off" && c.Speech != "local" && c.Speech != "auto" {
			errs = append(errs, fmt.Errorf("speech %q: use off, local or auto", c.Speech))
		}
		switch c.Embedder {
		case "local":
		case "openai":
			if c.EmbedModel == "" {
				errs = append(errs, errors.New("embedder openai needs LOTS_EMBED_MODEL"))
			}
		default:
			errs = append(errs, fmt.Errorf("embedder %q: use local or openai", c.Embedder))
		}
		if c.MinSimilarity == 0 {
			c.MinSimilarity = retrieval.DefaultThresholds[c.Embedder].MinSimilarity
		}
		if c.MinCoverage == 0 {
			c.MinCoverage = retrieval.DefaultThresholds[c.Embedder].MinCoverage
		}
		return errors.Join(errs...)
	}
}

func (c *Config) requireDatabase() error {
	if strings.TrimSpace(c.DatabaseURL) == "" {
		return errors.New("no database: set DATABASE_URL (scripts/postgres prints one) or pass --database-url")
	}
	return nil
}

// newEmbedder builds the configured embedder.
func (c *Config) newEmbedder(ctx context.Context) (retrieval.Embedder, error) {
	if c.Embedder == "openai" {
		return retrieval.NewOpenAI(ctx, retrieval.OpenAIConfig{BaseURL: c.EmbedURL, APIKey: c.EmbedKey, Model: c.EmbedModel, Dimensions: c.EmbedDims})
	}
	return retrieval.NewLocal(c.EmbedDims), nil
}

// newGenerator builds the configured chat model, or nil for extractive answers.
func (c *Config) newGenerator() (assistant.Generator, error) {
	if c.ChatModel == "" {
		return nil, nil
	}
	return assistant.NewChat(assistant.ChatConfig{BaseURL: c.ChatURL, APIKey: c.ChatKey, Model: c.ChatModel})
}
