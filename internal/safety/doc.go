// Package safety validates a generated shell command before anything runs
// it, and gives the verdict that the CLI acts on and that telemetry
// records: a risk level (safe, moderate, high, critical), the category of
// the pattern that set it (filesystem_destruction, remote_code_piping, ...)
// and the number of patterns matched. The command text and the matched
// pattern never leave this package; only schema enum values do.
//
// The CLI blocks critical commands (irrecoverable, system-wide damage:
// rm -rf /, dd onto a disk, mkfs on a device, a fork bomb), even with
// --yes; it asks before high and moderate ones, and --yes proceeds (a user
// override).
//
// # How a command is read
//
// Check holds a table of patterns (Patterns() of them), each an RE2
// expression with a risk and a category. Two ways of reading the command
// serve two kinds of pattern:
//
//   - Patterns defined by their structure (rm with a recursive flag and a
//     root, home or system target; dd to a disk; a download piped into a
//     shell; chmod -R 777 /) match anywhere in the text, inside quotes
//     too. Quoted text is what `sh -c`, eval, `ssh host '...'`, `docker
//     exec`, `kubectl exec` and `| sh` run, and no checker can know every
//     such tool. The price is accepted on purpose: `echo "rm -rf /"` is
//     critical. A generated command that merely prints a destructive one is
//     rare, blocking it costs a regeneration; missing `bash -c 'rm -rf /'`
//     costs a machine.
//   - Patterns on ordinary words (shutdown, reboot, halt, init, su,
//     killall, history -c, visudo) match only a command that the shell
//     itself would run: a small lexer splits the text into simple commands
//     at ; & | && || and newlines outside quotes, removes redirections,
//     assignments and wrappers (sudo, env, nohup, xargs, timeout, watch,
//     ...), and descends into command substitutions, `sh -c`, `su -c`,
//     eval, ssh and find -exec. So `sudo reboot`, `ssh db1 reboot` and
//     `echo $(shutdown now)` are high, while `man shutdown`, `grep reboot
//     /var/log/syslog` and `command -v halt` are safe.
//
// The highest risk among the matched patterns wins; among patterns of that
// risk, the first in the table gives the category (the table lists specific
// patterns before general ones).
//
// # Cost
//
// Expressions are anchored where the pattern's leading word occurs (an
// index from words to patterns finds them in one pass over the text), or
// tried only when a cheap substring hint occurs, and each is compiled on
// first use; a typical command compiles and runs a handful of them. Check
// takes a few microseconds for ordinary commands and stays well under the
// 100 µs budget for long or dangerous ones (see BenchmarkCheck). Hostile
// input is bounded: a command longer than MaxCommandLen, or one repeating a
// pattern's leading word more than 32 times, is rated high (category
// other) rather than read at a quadratic cost. Check is safe for
// concurrent use and holds no state besides the lazily compiled table.
package safety
