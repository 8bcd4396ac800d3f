// Package backend turns a natural-language request into one shell command,
// behind one interface with three implementations:
//
//   - NewStatic: a built-in table of common tasks (Tasks() of them: list
//     files, disk usage, large files, processes, archives, git, network,
//     system information, ...) matched by keywords and synonyms, with forms
//     per system (Linux, macOS, BSD) and shell (POSIX, fish, PowerShell).
//     It works offline, answers in microseconds, and is the fallback of
//     the remote backends. The few words it takes from the prompt (a file
//     name, a port, a URL) are validated and shell-quoted, never pasted.
//   - NewOllama: Ollama's native chat API (POST /api/chat, stream false).
//   - NewVLLM: vLLM's OpenAI-compatible API (POST /v1/chat/completions).
//
// The remote backends send a system prompt that asks for a single command
// line for the user's shell and system, and clean the answer (reasoning
// blocks, code fences, backticks, a "$ " prompt, prose lines) down to that
// line. Their timeout is the deadline of the context given to Generate.
// They report the token counts and, when the server returns
// log-probabilities, a confidence score, which command.generated records.
//
// Classify maps any Generate error to the schema's error categories
// (backend_timeout, backend_connection_error, backend_parse_error,
// backend_model_error) for error.occurred, and WithFallback falls back
// from a failing remote backend to another (the static table), telling the
// caller through a callback so that it can record fallback_attempted.
//
// Nothing here records telemetry or logs the prompt or the command: the
// caller decides what to record, and the schema allows counts, timings and
// categories only.
package backend
