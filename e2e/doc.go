// Package e2e holds end-to-end tests that run the real caro binary as a
// separate process, against real files and real HTTP servers on loopback.
package e2e
