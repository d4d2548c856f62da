package extract

import (
	"testing"
)

// TestResolveLanguage checks how the declared and detected languages combine.
func TestResolveLanguage(t *testing.T) {
	const swedish = "Du som har flyttat till Sverige behöver folkbokföra dig hos Skatteverket och få ett personnummer."
	tests := []struct {
		name, declared, text, want string
	}{
		{"agrees", "sv", swedish, "sv"},
		{"confident and disagrees", "en", swedish, "sv"},
		{"unsure keeps declared", "en", "Anmäl flytt", "en"},
		{"unsupported declared, unsure", "de", "Wenn Sie nach Schweden gezogen sind, müssen Sie sich anmelden.", "de"},
		{"none declared, confident", "", swedish, "sv"},
		{"neither", "", "Anmäl flytt", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resolveLanguage(tt.declared, tt.text); got != tt.want {
				t.Errorf("resolveLanguage(%q, %q) = %q, want %q", tt.declared, tt.text, got, tt.want)
			}
		})
	}
}

// TestPrimarySubtag checks the parsing of <html lang> values.
func TestPrimarySubtag(t *testing.T) {
	for in, want := range map[string]string{
		"sv": "sv", "sv-SE": "sv", "EN_gb": "en", " fa-IR ": "fa", "fil": "fil", "x-default": "",
		"": "", "e": "", "english": "", "12": "", "s\u00e4": "",
	} {
		if got := primarySubtag(in); got != want {
			t.Errorf("primarySubtag(%q) = %q, want %q", in, got, want)
		}
	}
}
