package assistant

import "testing"

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Mitt personnummer är 850709-9805, hjälp", "Mitt personnummer är [identity number], hjälp"},
		{"19850709-9805", "[identity number]"},
		{"198507099805 and 8507099805", "[identity number] and [identity number]"},
		{"samordningsnummer 850769-1234", "samordningsnummer [identity number]"},
		{"ring mig på 070-123 45 67", "ring mig på [phone number]"},
		{"call +46 70 123 45 67 today", "call [phone number] today"},
		{"mail anna.svensson@example.se now", "mail [e-mail] now"},
		{"Barnbidraget är 1 250 kronor i månaden", "Barnbidraget är 1 250 kronor i månaden"},
		{"480 dagar, 390 och 90 dagar", "480 dagar, 390 och 90 dagar"},
		{"Ring 1177 eller 112", "Ring 1177 eller 112"},
		{"datum 2026-09-14", "datum 2026-09-14"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Redact(tt.in); got != tt.want {
				t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
