package ingest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	robotsAgent    = "lotsbot" // product token our groups are addressed by, lower-case
	maxRobotsBytes = 512 << 10 // Google reads the first 500 KiB and ignores the rest
	maxCrawlDelay  = 24 * time.Hour
)

// Robots is a robots.txt reduced to what concerns LotsBot, following RFC 9309 and Google's reading of it:
// the most specific matching rule wins, and Allow wins a tie.
type Robots struct {
	rules       []robotsRule
	delay       time.Duration
	sitemaps    []string
	disallowAll bool
}

// robotsRule is one Allow or Disallow line.
type robotsRule struct {
	pattern  string // percent-normalised, runs of '*' collapsed
	length   int    // specificity: length of the normalised pattern as written
	literals int    // bytes a matching path must have at least
	allow    bool
}

// robotsGroup collects the rules of every group addressed to one agent; RFC 9309 merges them.
type robotsGroup struct {
	named bool // some group names this agent, even if it has no rules
	rules []robotsRule
	delay time.Duration
}

// ParseRobots parses a robots.txt body. It never fails: lines it does not understand are skipped, so
// garbage means allow-all.
func ParseRobots(body []byte) *Robots {
	text := strings.TrimPrefix(string(body[:min(len(body), maxRobotsBytes)]), "\ufeff")
	var own, star robotsGroup
	var r Robots
	var forOwn, forAny, inAgents bool // which groups the current one belongs to; last line was user-agent
	for _, line := range strings.FieldsFunc(text, func(c rune) bool { return c == '\n' || c == '\r' }) {
		line, _, _ = strings.Cut(line, "#")
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key, value = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(value)
		switch key {
		case "user-agent", "useragent", "user agent":
			if !inAgents {
				forOwn, forAny = false, false
			}
			inAgents = true
			if value == "*" {
				forAny = true
			} else if agentToken(value) == robotsAgent {
				forOwn, own.named = true, true
			}
		case "allow", "disallow", "dissallow", "disalow":
			inAgents = false
			if value == "" {
				continue // an empty pattern matches nothing
			}
			rule := newRobotsRule(value, key == "allow")
			own.add(forOwn, rule)
			star.add(forAny, rule)
		case "crawl-delay", "crawldelay":
			inAgents = false
			if d, ok := parseCrawlDelay(value); ok {
				own.setDelay(forOwn, d)
				star.setDelay(forAny, d)
			}
		case "sitemap", "site-map":
			if value != "" && !slices.Contains(r.sitemaps, value) {
				r.sitemaps = append(r.sitemaps, value)
			}
		}
	}
	g := star
	if own.named {
		g = own
	}
	r.rules, r.delay = g.rules, g.delay
	return &r
}

func (g *robotsGroup) add(applies bool, rule robotsRule) {
	if applies {
		g.rules = append(g.rules, rule)
	}
}

func (g *robotsGroup) setDelay(applies bool, d time.Duration) {
	if applies && g.delay == 0 {
		g.delay = d
	}
}

// agentToken returns the product token a user-agent line starts with, lower-case: "LotsBot/1.0" → "lotsbot".
func agentToken(s string) string {
	end := strings.IndexFunc(s, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-')
	})
	if end >= 0 {
		s = s[:end]
	}
	return strings.ToLower(s)
}

func parseCrawlDelay(s string) (time.Duration, bool) {
	secs, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(secs) || secs < 0 {
		return 0, false
	}
	if secs >= maxCrawlDelay.Seconds() {
		return maxCrawlDelay, true
	}
	return time.Duration(secs * float64(time.Second)), true
}

func newRobotsRule(value string, allow bool) robotsRule {
	p := normalizeRobotsPath(value)
	rule := robotsRule{length: len(p), allow: allow}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch {
		case p[i] == '*' && i > 0 && p[i-1] == '*':
			continue
		case p[i] != '*' && (p[i] != '$' || i < len(p)-1):
			rule.literals++
		}
		b.WriteByte(p[i])
	}
	rule.pattern = b.String()
	return rule
}

// normalizeRobotsPath percent-encodes non-ASCII bytes and upper-cases existing escapes, so that patterns
// and paths written either way compare equal.
func normalizeRobotsPath(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0x0f])
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte('%')
			b.WriteString(strings.ToUpper(s[i+1 : i+3]))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// Allowed reports whether LotsBot may fetch path, which includes the query ("/search?q=x").
func (r *Robots) Allowed(path string) bool {
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if path == "/robots.txt" {
		return true
	}
	if r == nil {
		return true
	}
	if r.disallowAll {
		return false
	}
	path = normalizeRobotsPath(path)
	allowed, best := true, -1
	pos := make([]int, 0, len(path)+1)
	for _, rule := range r.rules {
		if rule.length < best || (rule.length == best && !rule.allow) || !rule.matches(path, pos) {
			continue
		}
		allowed, best = rule.allow, rule.length
	}
	return allowed
}

// matches reports whether the rule's pattern matches a prefix of path ('*' any run of bytes, a final '$'
// the end of the path). It tracks every position the pattern could have reached, so the cost is bounded
// by len(pattern)×len(path) whatever the wildcards; pos is scratch space of capacity len(path)+1.
func (rule robotsRule) matches(path string, pos []int) bool {
	if rule.literals > len(path) {
		return false
	}
	pat := rule.pattern
	pos = append(pos[:0], 0)
	for i := 0; i < len(pat); i++ {
		switch {
		case pat[i] == '$' && i == len(pat)-1:
			return pos[len(pos)-1] == len(path)
		case pat[i] == '*':
			pos = pos[:1]
			for p := pos[0] + 1; p <= len(path); p++ {
				pos = append(pos, p)
			}
		default:
			next := pos[:0]
			for _, p := range pos {
				if p < len(path) && path[p] == pat[i] {
					next = append(next, p+1)
				}
			}
			if len(next) == 0 {
				return false
			}
			pos = next
		}
	}
	return true
}

// CrawlDelay returns the Crawl-delay addressed to LotsBot (or to every agent), or zero when none is given.
// Values over a day are clamped to a day.
func (r *Robots) CrawlDelay() time.Duration {
	if r == nil {
		return 0
	}
	return r.delay
}

// Sitemaps returns the Sitemap URLs listed in the file, in order, without duplicates.
func (r *Robots) Sitemaps() []string {
	if r == nil {
		return nil
	}
	return append([]string(nil), r.sitemaps...)
}

// Robots fetches and parses scheme://host/robots.txt for siteURL, reading at most 512 KiB of it. A
// missing file (any 4xx) allows everything; a server error or 429 disallows everything, as Google does.
// When the file cannot be fetched at all, Robots returns an error together with a Robots that disallows
// everything, so a caller that only logs the error stays conservative.
func (f *Fetcher) Robots(ctx context.Context, siteURL string) (*Robots, error) {
	deny := &Robots{disallowAll: true}
	u, err := url.Parse(siteURL)
	if err != nil {
		return deny, fmt.Errorf("robots for %s: %w", siteURL, err)
	}
	robotsURL := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/robots.txt"}).String()
	resp, err := f.fetch(ctx, Request{URL: robotsURL}, maxRobotsBytes, true)
	switch {
	case errors.Is(err, ErrTooManyRedirects):
		return &Robots{}, nil // Google treats a redirect loop like a missing file
	case err != nil:
		return deny, fmt.Errorf("robots: %w", err)
	case resp.Status >= 200 && resp.Status <= 299:
		return ParseRobots(resp.Body), nil
	case resp.Status == http.StatusTooManyRequests || resp.Status >= 500:
		return deny, nil
	default:
		return &Robots{}, nil
	}
}
