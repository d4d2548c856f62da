package assistant

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
)

//go:embed messages/*.json
var messageFiles embed.FS

// Messages holds the sentences Lots itself writes, in every supported language.
type Messages struct {
	byLang map[string]map[string]string
}

// Message keys.
const (
	MsgSources           = "sources"
	MsgFromAgency        = "from_agency"
	MsgNotCovered        = "not_covered"
	MsgNotCoveredGeneral = "not_covered_general"
	MsgOnlyAvailableIn   = "only_available_in"
	MsgFetched           = "fetched"
)

// LoadMessages reads the embedded message files and checks that every language in langs has
// every key English has.
func LoadMessages(langs []string) (*Messages, error) {
	m := &Messages{byLang: map[string]map[string]string{}}
	entries, err := fs.ReadDir(messageFiles, "messages")
	if err != nil {
		return nil, fmt.Errorf("read messages: %w", err)
	}
	for _, e := range entries {
		lang := strings.TrimSuffix(e.Name(), ".json")
		data, err := messageFiles.ReadFile("messages/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read messages %s: %w", e.Name(), err)
		}
		texts := map[string]string{}
		if err := json.Unmarshal(data, &texts); err != nil {
			return nil, fmt.Errorf("messages %s: %w", e.Name(), err)
		}
		m.byLang[lang] = texts
	}
	en := m.byLang["en"]
	if en == nil {
		return nil, fmt.Errorf("messages: en.json is missing")
	}
	for _, lang := range langs {
		texts, ok := m.byLang[lang]
		if !ok {
			return nil, fmt.Errorf("messages: %s.json is missing", lang)
		}
		var missing []string
		for key := range en {
			if strings.TrimSpace(texts[key]) == "" {
				missing = append(missing, key)
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			return nil, fmt.Errorf("messages %s.json: missing %s", lang, strings.Join(missing, ", "))
		}
	}
	return m, nil
}

// Text returns the message in lang (English if lang has none) with {name} placeholders filled.
func (m *Messages) Text(lang, key string, vars ...string) string {
	text, ok := m.byLang[lang][key]
	if !ok {
		text = m.byLang["en"][key]
	}
	for i := 0; i+1 < len(vars); i += 2 {
		text = strings.ReplaceAll(text, vars[i], vars[i+1])
	}
	return text
}

// LanguageName is the name of language code (sv or en) written in lang.
func (m *Messages) LanguageName(lang, code string) string {
	if slices.Contains([]string{"sv", "en"}, code) {
		return m.Text(lang, "language_"+code)
	}
	return code
}
