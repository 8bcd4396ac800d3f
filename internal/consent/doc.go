// Package consent decides whether a Caro run may record telemetry, beyond
// what the configuration says: the release channel of the build, the
// first-run prompt of the beta, and the beta -> GA migration.
//
// The build's version picks the channel (ChannelOf): versions below 1.2.0
// are the beta, where telemetry is opt-out (on by default, announced by a
// first-run prompt); 1.2.0 and later are GA, where it is opt-in (off by
// default). What the user has seen is kept in state.toml in Caro's config
// folder (State), written atomically and only when it changes.
//
// Data flow for one run: the CLI loads the telemetry Config (package sdk),
// then calls Gate, which
//
//   - does nothing at all, and touches no file, when --no-telemetry or
//     DO_NOT_TRACK decided;
//   - keeps an explicit choice (config file or CARO_TELEMETRY_ENABLED) as
//     it is: an explicit opt-in is consent, in any mode, without a prompt;
//   - on the beta, with telemetry on by default, records only once the
//     first-run prompt has been shown on an interactive run (stdin and
//     stderr are terminals); non-interactive runs never prompt and record
//     nothing until then;
//   - on the first GA run after a beta whose telemetry was on
//     by default, prints the migration notice once (telemetry is already off
//     there: GA's default).
//
// Decide is the pure part of the same rules, which `caro telemetry status`
// uses to explain the state without prompting or writing anything.
package consent
