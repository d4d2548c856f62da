package ingest

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Diff operations.
const (
	OpEqual  = "equal"
	OpInsert = "insert" // text only the new version has
	OpDelete = "delete" // text only the old version has
)

// DiffOp is one run of a diff. The Text of the equal and delete runs, in order, is the old text;
// of the equal and insert runs, the new text. Text keeps its line breaks, so a page can render
// the runs in order (with white-space: pre-wrap) as the new text with the changes marked.
type DiffOp struct {
	Op   string
	Text string
}

// maxEdits bounds the work of one diff: past it, the rest is shown as deleted and inserted whole.
const maxEdits = 1000

// Diff returns the differences between old and new text: lines first, then words within a run of
// changed lines, so a changed sentence shows as the words that changed. Changed lines that share
// few words are shown as a whole deletion and insertion, which reads better than scattered words.
func Diff(old, new string) []DiffOp {
	a, b := splitLines(old), splitLines(new)
	var out []DiffOp
	var dels, inss []string
	flush := func() {
		if len(dels) > 0 && len(inss) > 0 {
			out = append(out, refine(strings.Join(dels, ""), strings.Join(inss, ""))...)
		} else {
			out = append(out, DiffOp{OpDelete, strings.Join(dels, "")}, DiffOp{OpInsert, strings.Join(inss, "")})
		}
		dels, inss = dels[:0], inss[:0]
	}
	for _, e := range myers(a, b) {
		switch e.op {
		case OpEqual:
			flush()
			out = append(out, DiffOp{OpEqual, e.text})
		case OpDelete:
			dels = append(dels, e.text)
		case OpInsert:
			inss = append(inss, e.text)
		}
	}
	flush()
	return coalesce(out)
}

// refine diffs a run of changed lines word by word.
func refine(old, new string) []DiffOp {
	a, b := splitWords(old), splitWords(new)
	ops := myers(a, b)
	shared, changed := 0, 0
	for _, e := range ops {
		switch {
		case isSpace(e.text):
		case e.op == OpEqual:
			shared += 2
		default:
			changed++
		}
	}
	// Dice similarity of the words.
	if float64(shared)/float64(shared+changed) < 0.4 {
		return []DiffOp{{OpDelete, old}, {OpInsert, new}}
	}
	out := make([]DiffOp, 0, len(ops))
	for i, e := range ops {
		// A space between two changes belongs to the change, not to the text they share.
		if e.op == OpEqual && isSpace(e.text) && i > 0 && i+1 < len(ops) && ops[i-1].op != OpEqual && ops[i+1].op != OpEqual {
			out = append(out, DiffOp{OpDelete, e.text}, DiffOp{OpInsert, e.text})
			continue
		}
		out = append(out, DiffOp{e.op, e.text})
	}
	return out
}

// coalesce drops empty runs, joins neighbours of one operation, and puts the deletions of a
// change before its insertions.
func coalesce(ops []DiffOp) []DiffOp {
	var out []DiffOp
	var eq, del, ins strings.Builder
	flush := func(b *strings.Builder, op string) {
		if b.Len() > 0 {
			out = append(out, DiffOp{op, b.String()})
			b.Reset()
		}
	}
	for _, op := range ops {
		if op.Text == "" {
			continue
		}
		switch op.Op {
		case OpDelete:
			flush(&eq, OpEqual)
			del.WriteString(op.Text)
		case OpInsert:
			flush(&eq, OpEqual)
			ins.WriteString(op.Text)
		default:
			flush(&del, OpDelete)
			flush(&ins, OpInsert)
			eq.WriteString(op.Text)
		}
	}
	flush(&eq, OpEqual)
	flush(&del, OpDelete)
	flush(&ins, OpInsert)
	return out
}

type edit struct {
	op   string
	text string
}

// myers is Myers' O(ND) difference algorithm over tokens. It gives up past maxEdits and returns
// the rest as one deletion and one insertion.
func myers(a, b []string) []edit {
	// Common prefix and suffix cost nothing.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var out []edit
	for _, t := range a[:pre] {
		out = append(out, edit{OpEqual, t})
	}
	out = append(out, middle(a[pre:len(a)-suf], b[pre:len(b)-suf])...)
	for _, t := range a[len(a)-suf:] {
		out = append(out, edit{OpEqual, t})
	}
	return out
}

func middle(a, b []string) []edit {
	n, m := len(a), len(b)
	whole := func() []edit {
		out := make([]edit, 0, n+m)
		for _, t := range a {
			out = append(out, edit{OpDelete, t})
		}
		for _, t := range b {
			out = append(out, edit{OpInsert, t})
		}
		return out
	}
	if n == 0 || m == 0 {
		return whole()
	}
	limit := min(n+m, maxEdits)
	off := limit + 1
	v := make([]int, 2*limit+3)
	var trace [][]int
	for d := 0; d <= limit; d++ {
		// Only diagonals -d-1 to d+1 matter at step d; keep just those for the way back.
		trace = append(trace, append([]int(nil), v[off-d-1:off+d+2]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1] // down: insert
			} else {
				x = v[off+k-1] + 1 // right: delete
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(a, b, trace, d)
			}
		}
	}
	return whole()
}

// backtrack walks the saved frontiers from the end back to the start.
func backtrack(a, b []string, trace [][]int, d int) []edit {
	x, y := len(a), len(b)
	var rev []edit
	for ; d > 0; d-- {
		v, off := trace[d], d+1
		k := x - y
		var prevK int
		if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := v[off+prevK]
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			x, y = x-1, y-1
			rev = append(rev, edit{OpEqual, a[x]})
		}
		if x == prevX {
			y--
			rev = append(rev, edit{OpInsert, b[y]})
		} else {
			x--
			rev = append(rev, edit{OpDelete, a[x]})
		}
	}
	for x > 0 && y > 0 {
		x, y = x-1, y-1
		rev = append(rev, edit{OpEqual, a[x]})
	}
	out := make([]edit, len(rev))
	for i, e := range rev {
		out[len(rev)-1-i] = e
	}
	return out
}

// splitLines splits text after each line break, keeping the breaks.
func splitLines(s string) []string {
	var out []string
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// splitWords splits text into words, runs of spaces, and single punctuation marks.
func splitWords(s string) []string {
	var out []string
	for s != "" {
		r, size := utf8.DecodeRuneInString(s)
		end := size
		switch {
		case unicode.IsSpace(r):
			end = spanOf(s, unicode.IsSpace)
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			end = spanOf(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) })
		}
		out = append(out, s[:end])
		s = s[end:]
	}
	return out
}

func spanOf(s string, in func(rune) bool) int {
	for i, r := range s {
		if !in(r) {
			return i
		}
	}
	return len(s)
}

func isSpace(s string) bool { return strings.TrimSpace(s) == "" }
