// Package safety validates a generated shell command before anything runs
// it, and gives the verdict that the CLI acts on and that telemetry
// records: a risk level (safe, moderate, high, critical), the category of
// the pattern that set it (filesystem_destruction, remote_code_piping, ...)
// and the number of patterns matched. The command text and the matched
// pattern never leave this package; only schema enum values do.
//
// The CLI blocks critical commands (irrecoverable, system-wide damage:
// rm -rf /, dd or mkfs onto the system disk, a fork bomb), even with
// --yes; it asks before high and moderate ones, and --yes proceeds (a user
// override).
//
// # What counts as dangerous
//
// The check is measured on labelled commands from everyday admin practice
// (testdata/*.tsv, TestCorpus): it must stop at least 95% of the dangerous
// ones and at most 10% of the safe ones at the default safety level. The
// labels follow one rule: how much is lost, and for whom, if the command
// runs although the user meant something else.
//
//   - critical: irrecoverable damage to the system itself or to all its
//     users, which no everyday request calls for: deleting /, /etc, /usr,
//     /var/lib, /home or the home directory; overwriting or formatting the
//     system disk (the first disk of each kind: sda, vda, xvda, nvme0n1,
//     disk0); chmod -R or chown -R over the system; killing every process;
//     fork bombs; removing libc or the init system.
//   - high: serious damage that a user may still mean, so caro asks:
//     flashing an image onto a USB stick or SD card (dd, cp or cat to
//     /dev/sdb, /dev/mmcblk0, /dev/disk4), formatting or erasing any other
//     device, destroying a pool or volume; deleting a system directory's
//     contents, a user's home, Documents or keys; shutting down or
//     rebooting now; cutting the network or ssh; opening the firewall;
//     running a downloaded script; force-pushing; dropping a database;
//     deleting cloud resources; granting root.
//   - moderate: a local, limited or recoverable loss, or an exposure:
//     git reset --hard, removing a package or /usr/local/go (reinstall
//     it), deleting logs, a shutdown scheduled for later (shutdown -c
//     cancels it), killing by a pattern (pkill -f) or by name as root,
//     serving a folder to the network.
//   - safe: reading, and changes confined to a named target that is the
//     ordinary object of the task, or that are easily undone or
//     regenerated: closing a named program of one's own (pkill firefox,
//     killall Dock), a reload signal (killall -HUP mDNSResponder),
//     emptying a cache or temporary folder (/var/cache, .../tmp/*,
//     /var/lib/apt/lists), apt autoremove, a dry run or check mode
//     (visudo -c, parted print), searching for dangerous text (grep
//     NOPASSWD: /etc/sudoers), hardening settings (sed writing
//     "PermitRootLogin no").
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
// Two more kinds of pattern refine these:
//
//   - Content patterns (a sudoers grant, an sshd setting, SQL) are about
//     text that a command writes or runs. They look at each simple command
//     except those of search tools (grep, rg, ...): grep NOPASSWD: is an
//     audit, echo ... NOPASSWD: | tee a grant. An expression on such text
//     ends in a test that the value is written, not the pattern part of a
//     sed substitution.
//   - A pattern may skip a match by the target it captured, when RE2
//     cannot express the exception: a recursive delete below /var is high,
//     unless the path runs through a cache or temporary folder (path.Clean
//     first, and never for a path holding an expansion); kill options that
//     name a reload signal kill nothing.
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
// 100 µs budget for long or dangerous ones (see BenchmarkCheck). Rules on
// the same command word that share a risk and a category are one
// expression, so that a long command repeating that word is scanned once
// per place, not once per kind of target. Hostile
// input is bounded: a command longer than MaxCommandLen, or one repeating a
// pattern's leading word more than 32 times, is rated high (category
// other) rather than read at a quadratic cost. Check is safe for
// concurrent use and holds no state besides the lazily compiled table.
package safety
