package extract

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ledongthuc/pdf"
)

// maxPDFBytes bounds the PDFs accepted; agency brochures are a few megabytes.
const maxPDFBytes = 64 << 20

// maxPDFPages bounds the pages read, and with it the page tree walked.
const maxPDFPages = 2000

// PDF extracts the text of a PDF fetched from pageURL: one section per page,
// headed by the document title (the info dictionary's /Title, else the first
// line). Scanned PDFs without a text layer give ErrNoContent.
//
// The PDF reader is not hardened like the HTML parser: a crafted file can
// make it loop (a cyclic /Prev chain) or allocate without bound (a
// compression bomb), so feed it PDFs from vetted sites only.
func PDF(body []byte, pageURL string) (doc *Document, err error) {
	if _, err := parsePageURL(pageURL); err != nil {
		return nil, fmt.Errorf("extract pdf: %w", err)
	}
	if len(body) > maxPDFBytes {
		return nil, fmt.Errorf("extract pdf %s: %d bytes: %w", pageURL, len(body), ErrTooComplex)
	}
	defer func() {
		// The reader reports malformed input by panicking, and recovers in
		// only some of its entry points.
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("extract pdf %s: malformed pdf: %v", pageURL, r)
		}
	}()

	r, err := pdf.NewReader(bytes.NewReader(acceptPDF2(body)), int64(len(body)))
	if err != nil {
		return nil, fmt.Errorf("extract pdf %s: %w", pageURL, err)
	}
	pages, err := pdfPages(r.Trailer().Key("Root").Key("Pages"))
	if err != nil {
		return nil, fmt.Errorf("extract pdf %s: %w", pageURL, err)
	}
	var texts []string
	for _, p := range pages {
		if text := pageText(p.Content().Text); text != "" {
			texts = append(texts, text)
		}
	}
	if len(texts) == 0 {
		return nil, fmt.Errorf("extract pdf %s: %w", pageURL, ErrNoContent)
	}

	info := r.Trailer().Key("Info")
	title := collapse(info.Key("Title").Text())
	if title == "" {
		title = firstLine(texts[0])
	}
	d := &Document{
		URL:              pageURL,
		Canonical:        pageURL,
		Title:            title,
		DeclaredLanguage: primarySubtag(r.Trailer().Key("Root").Key("Lang").Text()),
		Modified:         parsePDFDate(info.Key("ModDate").Text()),
	}
	for _, text := range texts {
		d.Sections = append(d.Sections, Section{Headings: []string{title}, Text: text})
	}
	d.Language = resolveLanguage(d.DeclaredLanguage, languageSample(d.Sections))
	return d, nil
}

// maxTitleBytes bounds a title taken from the text, which may be a whole paragraph.
const maxTitleBytes = 200

// firstLine returns the first paragraph of text, cut at a word to at most maxTitleBytes.
func firstLine(text string) string {
	line, _, _ := strings.Cut(text, "\n")
	if len(line) <= maxTitleBytes {
		return line
	}
	line = clip(line, maxTitleBytes)
	if i := strings.LastIndexByte(line, ' '); i > 0 {
		line = line[:i]
	}
	return line
}

// acceptPDF2 relabels a PDF 2.0 header as 1.7, the newest the reader
// accepts; the syntax it reads did not change.
func acceptPDF2(body []byte) []byte {
	if !bytes.HasPrefix(body, []byte("%PDF-2.")) {
		return body
	}
	out := bytes.Clone(body)
	copy(out, "%PDF-1.7")
	return out
}

// pdfPages returns the pages of the page tree under root in order. It visits
// a bounded number of nodes, so a cyclic tree ends in ErrTooComplex rather
// than a loop.
func pdfPages(root pdf.Value) ([]pdf.Page, error) {
	var pages []pdf.Page
	budget := 4 * maxPDFPages
	var walk func(n pdf.Value) error
	walk = func(n pdf.Value) error {
		if budget--; budget < 0 || len(pages) > maxPDFPages {
			return fmt.Errorf("page tree: %w", ErrTooComplex)
		}
		if n.Key("Type").Name() != "Pages" {
			pages = append(pages, pdf.Page{V: n})
			return nil
		}
		kids := n.Key("Kids")
		for i := 0; i < kids.Len(); i++ {
			if err := walk(kids.Index(i)); err != nil {
				return err
			}
		}
		return nil
	}
	if root.IsNull() {
		return nil, nil
	}
	return pages, walk(root)
}

// pageText assembles a page's glyphs into paragraphs. A glyph lower than the
// last by more than half the font size starts a line, by more than 1.5 times
// it a paragraph; so does a jump upwards (a new column). Within a line a gap
// of a fifth of the font size is a space, which PDFs that position words
// instead of writing spaces need. Fonts without /Widths give glyphs no
// advance, so then only explicit moves (TJ kerning, Td) open such a gap.
func pageText(glyphs []pdf.Text) string {
	var paras []string
	var para strings.Builder
	var prev *pdf.Text
	endPara := func() {
		if p := collapse(para.String()); p != "" {
			paras = append(paras, p)
		}
		para.Reset()
	}
	for i := range glyphs {
		g := &glyphs[i]
		if g.S == "" {
			continue
		}
		if prev != nil {
			size := math.Max(math.Abs(prev.FontSize), 1)
			drop := prev.Y - g.Y
			switch {
			case drop > 1.5*size || drop < -size:
				endPara()
			case math.Abs(drop) > size/2:
				para.WriteByte(' ')
			case g.X-(prev.X+prev.W) > size/5:
				para.WriteByte(' ')
			}
		}
		para.WriteString(g.S)
		prev = g
	}
	endPara()
	return strings.Join(paras, "\n\n")
}

// parsePDFDate parses a PDF date, "D:YYYYMMDDHHmmSSOHH'mm'", of which all
// but the year may be missing. It returns the zero time when s is not one.
func parsePDFDate(s string) time.Time {
	s = strings.TrimPrefix(strings.TrimSpace(s), "D:")
	n := 0
	for n < len(s) && n < 14 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n < 4 || n%2 != 0 {
		return time.Time{}
	}
	// Fill in what is missing: January 1st, midnight.
	t, err := time.Parse("20060102150405", s[:n]+"0101000000"[n-4:])
	if err != nil {
		return time.Time{}
	}
	zone := strings.ReplaceAll(s[n:], "'", "")
	if len(zone) >= 3 && (zone[0] == '+' || zone[0] == '-') {
		h, errH := strconv.Atoi(zone[1:3])
		m := 0
		if len(zone) >= 5 {
			m, _ = strconv.Atoi(zone[3:5])
		}
		if errH == nil && h < 24 && m < 60 {
			offset := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute
			if zone[0] == '-' {
				offset = -offset
			}
			t = t.Add(-offset)
		}
	}
	return t.UTC()
}
