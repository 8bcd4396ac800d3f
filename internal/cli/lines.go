package cli

import (
	"io"
	"strings"
)

// lineReader reads answers from stdin one byte at a time, never ahead:
// whatever follows the answer stays for the command caro runs.
type lineReader struct{ r io.Reader }

// readLine returns the next line without its newline. At the end of input
// it returns what it has and io.EOF.
func (l *lineReader) readLine() (string, error) {
	var b strings.Builder
	var one [1]byte
	for {
		n, err := l.r.Read(one[:])
		if n == 1 {
			if one[0] == '\n' {
				return strings.TrimSuffix(b.String(), "\r"), nil
			}
			b.WriteByte(one[0])
			continue
		}
		if err != nil {
			return b.String(), err
		}
	}
}
