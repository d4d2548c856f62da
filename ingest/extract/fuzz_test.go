package extract

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nyisverige/lots/ingest/extract/extracttest"
)

// FuzzHTML checks that no input makes HTML panic, return an unexpected
// error, or produce invalid text.
func FuzzHTML(f *testing.F) {
	pages, err := filepath.Glob(filepath.Join("testdata", "*.html"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range pages {
		body, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body)
	}
	for _, s := range []string{
		"",
		"<main><h1>a</h1><p>b<ul><li>c<li>d</ul><table><tr><td>e<td>f</table></main>",
		"<div><p>" + strings.Repeat("Text, with commas, ", 5) + "</p></div>",
		"<base href=x:y><a href=//h/p>l</a><link rel=canonical href=/c>",
		"<html lang=sv-SE><meta charset=windows-1252><p>\xe5\xe4\xf6</p>",
		strings.Repeat("<div>", 600),
		"<table><td><table><td><p>x</table>",
		"<p>a<br><br>b</p><li><h2>c</h2></li>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		doc, err := HTML(body, testURL)
		if err != nil {
			if !errors.Is(err, ErrNoContent) && !errors.Is(err, ErrTooComplex) {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		if len(doc.Sections) == 0 {
			t.Fatal("no sections and no error")
		}
		for _, s := range doc.Sections {
			if s.Text == "" || s.Text != strings.TrimSpace(s.Text) {
				t.Fatalf("bad section text %q", s.Text)
			}
		}
		checkValid(t, doc)
	})
}

// FuzzPDF checks that no input makes PDF panic. Only inputs that pass the
// reader's header checks get far, so the seeds are valid PDFs.
func FuzzPDF(f *testing.F) {
	f.Add(extracttest.PDF("sv", "/Title (x)", "BT /F1 12 Tf 72 720 Td (Hej) Tj 0 -14 Td [(p) -250 (q)] TJ ET"))
	f.Fuzz(func(t *testing.T, body []byte) {
		if doc, err := PDF(body, testURL); err == nil {
			checkValid(t, doc)
		}
	})
}

// BenchmarkHTML measures extraction of a 30 KB agency-like page.
func BenchmarkHTML(b *testing.B) {
	page := benchPage()
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := HTML(page, testURL); err != nil {
			b.Fatal(err)
		}
	}
}

// benchPage builds an agency-like page of about 30 KB: head, banner, menu,
// cookie banner, and a main of sections with paragraphs, lists and a table.
func benchPage() []byte {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8"><title>Folkbokföring | Skatteverket</title>
<link rel="canonical" href="/privat/folkbokforing.html"><link rel="alternate" hreflang="en" href="/en/population.html">
<script>window.x = 1;</script></head><body><div id="cookie-consent"><p>Vi använder kakor.</p><button>OK</button></div>
<header><nav><ul>`)
	for i := range 40 {
		fmt.Fprintf(&b, `<li><a href="/privat/omrade-%d.html">Område %d</a></li>`, i, i)
	}
	b.WriteString(`</ul></nav></header><main><h1>Folkbokföring</h1>`)
	for i := 0; b.Len() < 29<<10; i++ {
		fmt.Fprintf(&b, `<h2>Avsnitt %d</h2><p>När du flyttar till Sverige ska du anmäla det till Skatteverket, som prövar om du ska folkbokföras.
Du behöver ta med <a href="/privat/pass-%d.html">pass</a> och uppehållstillstånd.</p>
<h3>Det här behöver du</h3><ul><li>Giltigt pass</li><li>Uppehållstillstånd eller uppehållskort</li><li>Intyg om familjeförhållanden</li></ul>
<table><tr><th>Ärende</th><th>Veckor</th></tr><tr><td>Inflyttning</td><td>4–6</td></tr></table>`, i, i)
	}
	b.WriteString(`</main><footer><p>Skatteverket, 171 94 Solna</p></footer></body></html>`)
	return []byte(b.String())
}
