package web_test

// End-to-end tests of the chat page in headless Chromium, as people use it: a question in
// Arabic answered with a citation that leads to the agency's page, the keyboard only, JavaScript
// turned off, a phone-sized screen, a question asked by voice and its answer read aloud, and an
// axe-core accessibility scan of every language.
// scripts/browser installs Chromium, fonts for Arabic, Persian and Tigrinya, and axe-core;
// scripts/speech the speech programs (espeak-ng, pocketsphinx, ffmpeg).
//
// Screenshots go to var/screenshots/ (not committed) for a person to look at.

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/nyisverige/lots/ingest"
	"github.com/nyisverige/lots/ingest/demosite"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store"
	"github.com/nyisverige/lots/retrieval/store/storetest"
	"github.com/nyisverige/lots/speech"
	"github.com/nyisverige/lots/web"
)

// personalNumberQuestions ask how to get a personal identity number (case 001 of each
// language's evaluation set); the demo corpus answers them all.
var personalNumberQuestions = map[string]string{
	"sv": "Hur får jag ett personnummer?",
	"en": "How do I get a personal identity number?",
	"ar": "كيف أحصل على رقم شخصي؟",
	"fa": "چگونه شماره شخصی بگیرم؟",
	"so": "Sideen ku helaa lambarka aqoonsiga shakhsiga?",
	"ti": "ናይ ውልቀ-ሰብ ቁጽሪ ብኸመይ እረክብ?",
	"uk": "Як отримати персональний ідентифікаційний номер?",
}

// childAllowanceQuestions ask the amount of the child allowance: its sources have short titles,
// which fit on one line even on a phone.
var childAllowanceQuestions = map[string]string{
	"sv": "Hur mycket är barnbidraget i månaden?",
	"ar": "كم يبلغ مبلغ إعانة الأطفال في الشهر عن كل طفل؟",
	"ti": "ናይ ቆልዑ ሓገዝ ንሓደ ቆልዓ ኣብ ወርሒ ክንደይ እዩ?",
}

func TestBrowserAskArabic(t *testing.T) {
	tab := newBrowser(t).tab(t)
	site := startChatSite(t)
	tab.open(site.URL + "/?lang=ar")

	root := eval[struct {
		Lang string `json:"lang"`
		Dir  string `json:"dir"`
	}](tab, `({lang: document.documentElement.lang, dir: document.documentElement.dir})`)
	if root.Lang != "ar" || root.Dir != "rtl" {
		t.Errorf(`<html lang=%q dir=%q>; want lang="ar" dir="rtl"`, root.Lang, root.Dir)
	}

	ans := tab.ask(personalNumberQuestions["ar"]) // sent with the Enter key
	if ans.Lang != "ar" || ans.Direction != "rtl" {
		t.Errorf("answer bubble lang=%q, computed direction %q; want ar, rtl", ans.Lang, ans.Direction)
	}
	if !strings.Contains(ans.Text, "[1]") {
		t.Errorf("the answer cites nothing: %q", ans.Text)
	}
	if len(ans.Sources) == 0 || !strings.HasSuffix(ans.Sources[0], "/skatteverket/ar/personal-identity-number") {
		t.Fatalf("sources %q; want the first to be /skatteverket/ar/personal-identity-number", ans.Sources)
	}
	if ans.CiteTarget == "" {
		t.Errorf("the marker [1] in the answer's text is not a link to its source")
	}
	tab.screenshot("chat-ar.png")

	// The citation leads to the agency's page, in Arabic.
	resp, err := chromedp.RunResponse(tab.ctx, chromedp.Click(chromedp.CSS("#log .msg-lots .sources a")))
	if err != nil {
		t.Fatalf("click the first source: %v", err)
	}
	if resp.Status != 200 || resp.URL != ans.Sources[0] {
		t.Fatalf("the first source's link gave HTTP %d for %s; want 200 for %s", resp.Status, resp.URL, ans.Sources[0])
	}
	if lang := eval[string](tab, `document.documentElement.lang`); lang != "ar" {
		t.Errorf(`the cited page has <html lang=%q>; want "ar"`, lang)
	}
	tab.screenshot("demo-ar.png")
}

func TestBrowserKeyboardOnly(t *testing.T) {
	tab := newBrowser(t).tab(t)
	site := startChatSite(t)
	sv := uiStrings(t, "sv")

	// The first Tab reaches the skip link, and following it puts focus in the question box.
	tab.open(site.URL + "/?lang=sv")
	tab.do(chromedp.KeyEvent(kb.Tab))
	if f := tab.focused(); !strings.Contains(f.Class, "skip-link") || !f.Indicated || !f.InView {
		t.Errorf("first Tab: focus on %s (focus indicator %v, in view %v); want the skip link, visible, with an indicator", f, f.Indicated, f.InView)
	}
	tab.do(chromedp.KeyEvent(kb.Enter))
	if f := tab.focused(); f.ID != "question" {
		t.Errorf("the skip link moved focus to %s; want the question box", f)
	}

	// Tab alone reaches the question box, and every stop on the way shows where focus is.
	tab.open(site.URL + "/?lang=sv")
	const maxTabs = 12 // skip link, language picker and its button, 7 agency links, the question box
	var stops []string
	reached := false
	for range maxTabs {
		tab.do(chromedp.KeyEvent(kb.Tab))
		f := tab.focused()
		stops = append(stops, f.String())
		if !f.Indicated {
			t.Errorf("focus on %s shows no focus indicator (outline or box-shadow)", f)
		}
		if f.ID == "question" {
			reached = true
			break
		}
	}
	if !reached {
		t.Fatalf("%d Tabs did not reach the question box; focus went %s", maxTabs, strings.Join(stops, " → "))
	}
	t.Logf("%d Tabs to the question box: %s", len(stops), strings.Join(stops, " → "))

	// Type and send with the keyboard; focus stays in the question box.
	tab.do(chromedp.KeyEvent(personalNumberQuestions["sv"]), chromedp.KeyEvent(kb.Enter))
	ans := tab.waitAnswer()
	if ans.Lang != "sv" || len(ans.Sources) == 0 {
		t.Fatalf("answer lang=%q with sources %q; want a Swedish answer with sources", ans.Lang, ans.Sources)
	}
	if f := tab.focused(); f.ID != "question" {
		t.Errorf("after sending, focus is on %s; want it still in the question box", f)
	}

	// Back (Shift+Tab) to the answer's "Helpful" button, and press it with Space.
	reached = false
	stops = stops[:0]
	for range 6 {
		tab.do(chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)))
		f := tab.focused()
		stops = append(stops, f.String())
		if f.Tag == "button" && f.Text == sv["helpful"] {
			reached = true
			if !f.Indicated {
				t.Errorf("focus on %s shows no focus indicator", f)
			}
			break
		}
	}
	if !reached {
		t.Fatalf("Shift+Tab from the question box did not reach the %q button; focus went %s", sv["helpful"], strings.Join(stops, " → "))
	}
	tab.do(chromedp.KeyEvent(" "))
	tab.waitFor(`document.querySelector('#log .msg-lots .feedback-thanks')?.textContent === `+jsString(sv["feedback_thanks"]),
		"the thank-you text after rating the answer")
	if pressed := eval[string](tab, `document.activeElement.getAttribute('aria-pressed')`); pressed != "true" {
		t.Errorf(`the pressed "Helpful" button has aria-pressed=%q; want "true"`, pressed)
	}
	var ratings []string
	rows, err := site.store.Pool().Query(t.Context(), "SELECT rating FROM feedback")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			t.Fatal(err)
		}
		ratings = append(ratings, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(ratings) != 1 || ratings[0] != "helpful" {
		t.Errorf("stored feedback %q; want one helpful rating", ratings)
	}
	tab.screenshot("chat-sv-keyboard.png")
}

func TestBrowserNoScript(t *testing.T) {
	tab := newBrowser(t).tab(t)
	site := startChatSite(t)
	tab.askWithoutScript(site.URL, "sv")
	ans := tab.answer()
	if ans.Lang != "sv" || !strings.Contains(ans.Text, "[1]") {
		t.Errorf("server-rendered answer lang=%q, text %q; want Swedish with [1]", ans.Lang, ans.Text)
	}
	if len(ans.Sources) == 0 || !strings.HasSuffix(ans.Sources[0], "/skatteverket/sv/personal-identity-number") {
		t.Errorf("server-rendered sources %q; want /skatteverket/sv/personal-identity-number first", ans.Sources)
	}
	if q := eval[string](tab, `document.querySelector('#log .msg-user .msg-text')?.textContent ?? ''`); q != personalNumberQuestions["sv"] {
		t.Errorf("the question shown is %q; want %q", q, personalNumberQuestions["sv"])
	}
	if notice := eval[string](tab, `document.querySelector('.nojs')?.innerText ?? ''`); notice != uiStrings(t, "sv")["no_js_notice"] {
		t.Errorf("the no-JavaScript notice shows %q", notice)
	}
	tab.screenshot("chat-sv-nojs.png")
}

func TestBrowserNarrowScreen(t *testing.T) {
	b := newBrowser(t)
	site := startVoiceChatSite(t) // with the Listen buttons, which must be large enough too
	for _, lang := range []string{"sv", "ar", "ti"} {
		t.Run(lang, func(t *testing.T) {
			tab := b.tab(t)
			tab.do(chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateTouch))
			tab.open(site.URL + "/?lang=" + lang)
			// Sources with long titles (which wrap) and with short ones (which do not).
			tab.ask(personalNumberQuestions[lang])
			tab.ask(childAllowanceQuestions[lang])
			if w := eval[float64](tab, `document.documentElement.scrollWidth`); w > 360 {
				t.Errorf("the page is %v px wide on a 360 px screen: it scrolls sideways", w)
			}
			// Targets of at least 44×44 CSS px (WCAG 2.5.5). A citation marker like [1] inside a
			// sentence is exempt as inline text (WCAG 2.5.8); its source link below is not.
			small := eval[[]string](tab, `(() => {
				const small = [];
				for (const e of document.querySelectorAll('button, select, textarea, input:not([type=hidden]), a[href]')) {
					if (e.matches('.msg-text a.cite') || !e.getClientRects().length) continue;
					const r = e.getBoundingClientRect();
					if (r.width < 43.95 || r.height < 43.95) {
						small.push(e.outerHTML.slice(0, 90) + ' is ' + r.width.toFixed(1) + '×' + r.height.toFixed(1));
					}
				}
				return small;
			})()`)
			for _, s := range small {
				t.Errorf("touch target under 44×44 px: %s", s)
			}
			tab.screenshot("chat-" + lang + "-360.png")
		})
	}
}

func TestBrowserAxe(t *testing.T) {
	b := newBrowser(t)
	axeSource := loadAxe(t)
	site := startVoiceChatSite(t) // with the microphone (English) and Listen buttons

	// The scan itself works: axe is injected despite the page's Content-Security-Policy, runs,
	// and reports a violation planted in the page.
	t.Run("planted violation", func(t *testing.T) {
		tab := b.tab(t)
		tab.open(site.URL + "/?lang=sv")
		tab.do(chromedp.Evaluate[chromedp.Void](`document.getElementById('send').textContent = ''`))
		found := false
		for _, v := range runAxe(tab, axeSource).Violations {
			found = found || (v.ID == "button-name" && v.Impact == "critical")
		}
		if !found {
			t.Fatal("axe did not report a button without a name: the scan does not work")
		}
	})

	for _, lang := range retrieval.Languages {
		t.Run(lang, func(t *testing.T) {
			tab := b.tab(t)
			tab.open(site.URL + "/?lang=" + lang)
			tab.ask(personalNumberQuestions[lang]) // so that the answer's markup is scanned too
			reportAxe(t, runAxe(tab, axeSource))
		})
	}

	// The answer the server renders for the no-JavaScript form has markup of its own.
	t.Run("no JavaScript", func(t *testing.T) {
		tab := b.tab(t)
		tab.askWithoutScript(site.URL, "ar")
		// axe needs JavaScript (its timers do not run without); the page's own script stays
		// unrun, as it was not run when the page loaded.
		if _, err := chromedp.Call(tab.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false}); err != nil {
			t.Fatal(err)
		}
		if hidden := eval[bool](tab, `document.getElementById('enter-hint').hidden`); !hidden {
			t.Fatal("app.js ran when JavaScript was turned back on")
		}
		reportAxe(t, runAxe(tab, axeSource))
	})
}

// TestBrowserVoice asks a question by voice and listens to the answer. Chromium's fake
// microphone plays a WAV file of the question, spoken by espeak-ng in the voice pocketsphinx
// hears best (SPEECH_NOTES.md); the fake permission prompt allows it.
func TestBrowserVoice(t *testing.T) {
	requireSpeech(t)
	question := personalNumberQuestions["en"]
	dir := t.TempDir()
	spoken, wav := filepath.Join(dir, "spoken.wav"), filepath.Join(dir, "question.wav")
	if out, err := exec.Command("espeak-ng", "-v", "en-us+klatt2", "-s", "180", "-w", spoken, question).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v: %s", err, out)
	}
	// The fake microphone plays the file in a loop. Silence around the question (2.4 s of
	// speech) keeps a recording of about 4 s to one question, not one and a half.
	if out, err := exec.Command("ffmpeg", "-v", "error", "-i", spoken, "-af", "adelay=300,apad=pad_dur=3", "-y", wav).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	b := newBrowser(t,
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-audio-capture", wav),
	)
	site := startVoiceChatSite(t)
	en := uiStrings(t, "en")

	tab := b.tab(t)
	tab.open(site.URL + "/?lang=en")
	tab.waitFor(`!document.getElementById('mic').hidden`, "the microphone button (the server hears English)")
	if name := eval[string](tab, `document.getElementById('mic').textContent.trim()`); name != en["voice_record"] {
		t.Errorf("the microphone button says %q; want %q", name, en["voice_record"])
	}

	// Press, speak, press again.
	tab.do(chromedp.Click(chromedp.ID("mic")))
	tab.waitFor(`document.getElementById('mic').getAttribute('aria-pressed') === 'true'`, "the recording to start")
	if status := eval[string](tab, `document.getElementById('status').textContent`); status != en["voice_listening"] {
		t.Errorf("while recording the status says %q; want %q", status, en["voice_listening"])
	}
	if label := eval[string](tab, `document.getElementById('mic').textContent.trim()`); label != en["voice_stop_recording"] {
		t.Errorf("while recording the microphone button says %q; want %q", label, en["voice_stop_recording"])
	}
	tab.screenshot("chat-en-recording.png")
	tab.do(chromedp.Sleep(4 * time.Second))
	tab.do(chromedp.Click(chromedp.ID("mic")))
	tab.waitFor(`document.getElementById('question').value !== '' || document.getElementById('form-error').textContent !== ''`,
		"the transcript in the question box")
	if msg := tab.pageError(); msg != "" {
		t.Fatalf("the page shows an error instead of the transcript: %q", msg)
	}
	heard := eval[string](tab, `document.getElementById('question').value`)
	t.Logf("heard %q", heard)
	// pocketsphinx hears espeak-ng imperfectly ("how do i get a personal identity not a").
	if !strings.Contains(heard, "identity") && !strings.Contains(heard, "number") {
		t.Errorf("the transcript %q has neither %q nor %q", heard, "identity", "number")
	}
	if f := tab.focused(); f.ID != "question" {
		t.Errorf("after the transcript, focus is on %s; want the question box", f)
	}
	if pressed := eval[string](tab, `document.getElementById('mic').getAttribute('aria-pressed')`); pressed != "false" {
		t.Errorf("after recording the microphone button has aria-pressed=%q", pressed)
	}
	tab.waitFor(`document.getElementById('status').textContent === ''`, "the status line to clear")

	// The person sends what was heard as a typed question, and listens to the answer.
	tab.do(chromedp.Click(chromedp.ID("send")))
	ans := tab.waitAnswer()
	if ans.Lang != "en" {
		t.Errorf("the answer to the spoken question has lang=%q; want en", ans.Lang)
	}
	listen := `[...document.querySelectorAll('#log .msg-lots')].pop().querySelector('button.listen')`
	if name := eval[string](tab, listen+`?.textContent.trim() ?? ''`); name != en["listen"] {
		t.Fatalf("the answer's listen button says %q; want %q", name, en["listen"])
	}
	if played := eval[string](tab, `[...document.querySelectorAll('#log .msg-lots')].pop().dataset.speechPlayed`); played != "0" {
		t.Errorf("a sentence played before Listen was pressed (data-speech-played=%q)", played)
	}
	tab.do(chromedp.Click(chromedp.CSS("#log .msg-lots:last-child button.listen")))
	tab.waitFor(`(() => {
		const li = [...document.querySelectorAll('#log .msg-lots')].pop();
		return Number(li.dataset.speechChunks) > 0 && Number(li.dataset.speechPlayed) > 0;
	})()`, "the first sentence to arrive and play")
	if name := eval[string](tab, listen+`?.textContent.trim() ?? ''`); name != en["stop_listening"] {
		t.Errorf("while the answer plays its button says %q; want %q", name, en["stop_listening"])
	}
	tab.screenshot("chat-en-voice.png")

	// Stop stops: the button says Listen again and nothing more plays.
	tab.do(chromedp.Click(chromedp.CSS("#log .msg-lots:last-child button.listen")))
	tab.waitFor(listen+`?.textContent.trim() === `+jsString(en["listen"]), "the Listen button after Stop")
	played := eval[string](tab, `[...document.querySelectorAll('#log .msg-lots')].pop().dataset.speechPlayed`)
	tab.do(chromedp.Sleep(time.Second))
	if again := eval[string](tab, `[...document.querySelectorAll('#log .msg-lots')].pop().dataset.speechPlayed`); again != played {
		t.Errorf("after Stop, more sentences played (data-speech-played %s → %s)", played, again)
	}

	// Swedish cannot be heard, only spoken: no microphone, but Listen.
	sv := b.tab(t)
	sv.open(site.URL + "/?lang=sv")
	sv.ask(personalNumberQuestions["sv"])
	if hidden := eval[bool](sv, `document.getElementById('mic').hidden`); !hidden {
		t.Errorf("the Swedish page offers the microphone, which the server cannot hear")
	}
	if name := eval[string](sv, listen+`?.textContent.trim() ?? ''`); name != uiStrings(t, "sv")["listen"] {
		t.Errorf("the Swedish answer's listen button says %q; want %q", name, uiStrings(t, "sv")["listen"])
	}
}

// requireSpeech fails the test when the speech programs are missing (they are part of the
// project's test setup); -short skips it.
func requireSpeech(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs espeak-ng, pocketsphinx and ffmpeg: -short skips it")
	}
	for _, prog := range []string{"espeak-ng", "pocketsphinx_continuous", "ffmpeg"} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Fatalf("%s is missing: run scripts/speech", prog)
		}
	}
}

// chatSite is the chat server over a fresh database holding the demo corpus, crawled from the
// demo agency sites, which stay up so that the answers' links work.
type chatSite struct {
	URL   string
	store *store.Store
}

// startChatSite is ws_test.go's newServer for the browser, with room for a question in every
// language from one address. It crawls the demo corpus itself, as ingesttest.CrawlDemo does,
// because CrawlDemo stops the demo sites after the crawl and a browser follows the citations.
func startChatSite(t *testing.T) *chatSite {
	t.Helper()
	return startSite(t, false)
}

// startVoiceChatSite is startChatSite with the local speech engines, as lots serve builds them:
// English is heard (pocketsphinx), sv en ar fa uk are spoken (espeak-ng).
func startVoiceChatSite(t *testing.T) *chatSite {
	t.Helper()
	requireSpeech(t)
	return startSite(t, true)
}

func startSite(t *testing.T, voice bool) *chatSite {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	st := storetest.New(t)
	ctx := context.Background()
	srcs, err := ingest.ParseSources(demosite.SourcesYAML(serveDemo(t)))
	if err != nil {
		t.Fatal(err)
	}
	emb := retrieval.NewLocal(0)
	crawler := ingest.NewCrawler(st, emb, log, ingest.CrawlOptions{})
	for _, src := range srcs {
		saved, err := st.UpsertSource(ctx, src)
		if err != nil {
			t.Fatal(err)
		}
		src.ID, src.Status = saved.ID, saved.Status
		if _, err := crawler.Crawl(ctx, src); err != nil {
			t.Fatal(err)
		}
	}
	asst := assistantFor(t, st)
	cfg := web.Config{AsksPerMinute: 600}
	if voice {
		engines, err := speech.NewEngines(speech.Config{Local: true}, asst.Messages(), log)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Voice = speech.NewChat(speech.NewVoice(engines, asst, log, speech.VoiceConfig{}))
	}
	_, ts := serve(t, asst, st.Pool(), cfg)
	return &chatSite{URL: ts.URL, store: st}
}

// open loads the chat page and waits for its websocket to be ready: before that, a question
// would take the no-JavaScript way (a form post).
func (tb *tab) open(pageURL string) {
	tb.t.Helper()
	tb.setOrigin(pageURL)
	tb.do(chromedp.Navigate(pageURL))
	tb.waitFor(`!document.getElementById('enter-hint').hidden && document.getElementById('status').textContent === ''`,
		"the chat to connect")
}

// askWithoutScript turns JavaScript off, loads the chat page in lang and asks the personal
// identity number question with the form, which posts to /ask.
func (tb *tab) askWithoutScript(chatURL, lang string) {
	tb.t.Helper()
	if _, err := chromedp.Call(tb.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		tb.t.Fatalf("turn JavaScript off: %v", err)
	}
	tb.setOrigin(chatURL)
	tb.do(chromedp.Navigate(chatURL + "/?lang=" + lang))
	if hidden := eval[bool](tb, `document.getElementById('enter-hint').hidden`); !hidden {
		tb.t.Fatal("the Enter hint is shown: app.js ran, so JavaScript is not off")
	}
	tb.do(chromedp.SendKeys(chromedp.ID("question"), personalNumberQuestions[lang]))
	resp, err := chromedp.RunResponse(tb.ctx, chromedp.Click(chromedp.ID("send")))
	if err != nil {
		tb.t.Fatalf("send the form: %v", err)
	}
	if resp.Status != 200 || !strings.HasSuffix(resp.URL, "/ask") {
		tb.t.Fatalf("the form gave HTTP %d for %s; want 200 for POST /ask", resp.Status, resp.URL)
	}
}

// ask types the question, sends it with Enter and waits for its answer.
func (tb *tab) ask(question string) answerView {
	tb.t.Helper()
	tb.do(chromedp.SendKeys(chromedp.ID("question"), question), chromedp.SendKeys(chromedp.ID("question"), kb.Enter))
	return tb.waitAnswer()
}

// answerView is the last answer on the page.
type answerView struct {
	Lang       string   `json:"lang"`
	Direction  string   `json:"direction"` // computed, of the answer's text
	Text       string   `json:"text"`
	CiteTarget string   `json:"citeTarget"` // where the first [n] marker links to
	Sources    []string `json:"sources"`    // the source list's links
}

// waitAnswer waits until the last answer is complete: app.js then removes aria-busy and adds
// the feedback buttons.
func (tb *tab) waitAnswer() answerView {
	tb.t.Helper()
	tb.waitFor(`(() => {
		if (document.getElementById('form-error').textContent) return true;
		const li = [...document.querySelectorAll('#log .msg-lots')].pop();
		return !!li && !li.hasAttribute('aria-busy') && !!li.querySelector('.feedback');
	})()`, "the answer")
	if msg := tb.pageError(); msg != "" {
		tb.t.Fatalf("the page shows an error instead of an answer: %q", msg)
	}
	return tb.answer()
}

func (tb *tab) answer() answerView {
	tb.t.Helper()
	return eval[answerView](tb, `(() => {
		const li = [...document.querySelectorAll('#log .msg-lots')].pop();
		if (!li) return {lang: '', direction: '', text: '', citeTarget: '', sources: []};
		const text = li.querySelector('.msg-text');
		return {
			lang: li.lang,
			direction: getComputedStyle(text).direction,
			text: text.textContent,
			citeTarget: text.querySelector('a.cite')?.getAttribute('href') ?? '',
			sources: [...li.querySelectorAll('.sources a')].map((a) => a.href),
		};
	})()`)
}

// focus describes the focused element.
type focus struct {
	Tag       string `json:"tag"`
	ID        string `json:"id"`
	Class     string `json:"class"`
	Text      string `json:"text"`
	Indicated bool   `json:"indicated"` // an outline or a box-shadow shows it
	InView    bool   `json:"inView"`
}

func (f focus) String() string {
	s := f.Tag
	if f.ID != "" {
		s += "#" + f.ID
	}
	if f.Class != "" {
		s += "." + strings.ReplaceAll(f.Class, " ", ".")
	}
	if f.Text != "" {
		s += fmt.Sprintf("(%q)", f.Text)
	}
	return s
}

func (tb *tab) focused() focus {
	tb.t.Helper()
	return eval[focus](tb, `(() => {
		const e = document.activeElement || document.body;
		const s = getComputedStyle(e);
		const r = e.getBoundingClientRect();
		return {
			tag: e.tagName.toLowerCase(), id: e.id, class: e.getAttribute('class') || '',
			text: (e.tagName === 'TEXTAREA' || e.tagName === 'SELECT') ? '' : e.textContent.trim().slice(0, 40),
			indicated: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none',
			inView: r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth,
		};
	})()`)
}
