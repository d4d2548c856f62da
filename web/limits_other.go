//go:build !unix

package web

// openFileLimit is unknown on this system.
func openFileLimit() int { return 0 }
