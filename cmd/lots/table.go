package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// writeTable writes the rows as aligned columns under header (tab-separated names), each row's
// line made by line; with no rows it writes empty instead, when that is not "".
func writeTable[T any](out io.Writer, rows []T, empty, header string, line func(T) string) error {
	if len(rows) == 0 && empty != "" {
		_, err := fmt.Fprintln(out, empty)
		return err
	}
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, line(r))
	}
	return tw.Flush()
}
