// Package knownbug lets a table-driven test mark a case with a bug in non-test code that is
// known and reported: the case is skipped while the bug's problems remain, and fails once they
// are gone, so that the mark is removed with the fix. It lives in retrieval, the lowest layer
// whose tests use it, so the tests of every layer above may import it.
package knownbug

import (
	"strings"
	"testing"
)

// Report fails the test with the problems found in one case, unless the case is marked with
// bug (a short description of the known bug): then it is skipped while problems remain, and
// fails when there are none.
func Report(t testing.TB, bug string, problems []string) {
	t.Helper()
	switch {
	case bug == "":
		for _, p := range problems {
			t.Error(p)
		}
	case len(problems) > 0:
		t.Skipf("known bug (%s): %s", bug, strings.Join(problems, "; "))
	default:
		t.Errorf("passes now: remove the known bug mark %q", bug)
	}
}
