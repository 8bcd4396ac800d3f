// Package browser drives headless Chromium for the insights tests: it
// finds the binary and runs it with a page that cannot reach the network,
// over the DevTools protocol, recording what the page asks for and what
// it logs. The weekly review's and the dashboard's browser tests share it.
package browser

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Browser is headless Chromium driven over the DevTools protocol on a
// pipe (--remote-debugging-pipe: commands on fd 3, answers on fd 4, each
// message JSON ended by a NUL byte), one page attached in flat mode. It
// records every request the page makes and every error it logs.
//
// Nothing can leave the machine: Chromium resolves no host but 127.0.0.1
// (--host-resolver-rules) and sends anything it would fetch from another
// host than loopback (which Chromium never proxies) to a proxy that is a
// local listener: the page's browser context to one that counts its
// connections (proxied), Chromium's own background requests to another.
type Browser struct {
	t       testing.TB
	cmd     *exec.Cmd
	in      *os.File // our end of Chromium's fd 3
	session string

	next    atomic.Int64
	mu      sync.Mutex
	pending map[int64]chan cdpMessage
	// requests are the URLs the page asked for; problems its exceptions,
	// console errors and log errors (a Content-Security-Policy refusal is
	// one).
	requests []string
	problems []string
	proxied  atomic.Int64
	// proxiedLines are the first lines sent to the page's proxy,
	// backgroundLines those sent to the browser's.
	proxiedLines, backgroundLines []string
}

// proxy starts a listener that takes each connection's first line into
// lines, counts it in n (if not nil) and closes it. It returns its
// address.
func (b *Browser) proxy(t testing.TB, lines *[]string, n *atomic.Int64) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if n != nil {
				n.Add(1)
			}
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			b.mu.Lock()
			*lines = append(*lines, strings.TrimSpace(line))
			b.mu.Unlock()
		}
	}()
	return ln.Addr().String()
}

type cdpMessage struct {
	ID        int64           `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// Start starts Chromium with a page of width x height CSS pixels.
// It is stopped when the test ends.
func Start(t testing.TB, bin string, width, height int) *Browser {
	t.Helper()
	dir := t.TempDir()
	b := &Browser{t: t, pending: map[int64]chan cdpMessage{}}
	// Two proxies: Chromium's own background requests (component
	// updates, network time, sign-in) go to the browser's, which only
	// logs them; the page's context has its own, which must see nothing.
	browserProxy := b.proxy(t, &b.backgroundLines, nil)
	pageProxy := b.proxy(t, &b.proxiedLines, &b.proxied)
	toChrome, ours, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	theirs, fromChrome, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	b.in = ours
	b.cmd = exec.Command(bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-default-apps", "--disable-extensions", "--no-first-run", "--no-default-browser-check",
		"--hide-scrollbars", "--user-data-dir="+filepath.Join(dir, "profile"),
		`--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1`,
		"--proxy-server=http://"+browserProxy, // loopback (the dashboard) bypasses it, by default
		"about:blank")
	b.cmd.Env = append(os.Environ(), "HOME="+dir)
	b.cmd.ExtraFiles = []*os.File{toChrome, fromChrome}
	var stderr strings.Builder
	b.cmd.Stderr = &stderr
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	toChrome.Close()
	fromChrome.Close()
	t.Cleanup(func() {
		ours.Close()
		done := make(chan struct{})
		go func() { b.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			b.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("chromium's stderr:\n%s", stderr.String())
		}
	})
	go b.read(theirs)

	var bctx struct {
		BrowserContextID string `json:"browserContextId"`
	}
	b.call("", "Target.createBrowserContext", map[string]any{"proxyServer": "http://" + pageProxy}, &bctx)
	var target struct {
		TargetID string `json:"targetId"`
	}
	b.call("", "Target.createTarget", map[string]any{"url": "about:blank", "browserContextId": bctx.BrowserContextID}, &target)
	var att struct {
		SessionID string `json:"sessionId"`
	}
	b.call("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att)
	b.session = att.SessionID
	for _, domain := range []string{"Page", "Runtime", "Network", "Log"} {
		b.call(b.session, domain+".enable", nil, nil)
	}
	b.call(b.session, "Emulation.setDeviceMetricsOverride",
		map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}, nil)
	return b
}

// read takes Chromium's messages: answers to their caller, events into
// the records.
func (b *Browser) read(f *os.File) {
	r := bufio.NewReader(f)
	for {
		raw, err := r.ReadBytes(0)
		if err != nil {
			b.mu.Lock()
			for id, ch := range b.pending {
				close(ch)
				delete(b.pending, id)
			}
			b.mu.Unlock()
			return
		}
		var m cdpMessage
		if err := json.Unmarshal(raw[:len(raw)-1], &m); err != nil {
			continue
		}
		b.mu.Lock()
		if m.ID != 0 {
			if ch, ok := b.pending[m.ID]; ok {
				ch <- m
				delete(b.pending, m.ID)
			}
			b.mu.Unlock()
			continue
		}
		switch m.Method {
		case "Network.requestWillBeSent":
			var p struct {
				Request struct{ URL string } `json:"request"`
			}
			_ = json.Unmarshal(m.Params, &p)
			b.requests = append(b.requests, p.Request.URL)
		case "Runtime.exceptionThrown":
			b.problems = append(b.problems, "exception: "+string(m.Params))
		case "Runtime.consoleAPICalled":
			var p struct{ Type string }
			_ = json.Unmarshal(m.Params, &p)
			if p.Type == "error" || p.Type == "warning" {
				b.problems = append(b.problems, "console "+p.Type+": "+string(m.Params))
			}
		case "Log.entryAdded":
			var p struct {
				Entry struct{ Level, Text, URL string } `json:"entry"`
			}
			_ = json.Unmarshal(m.Params, &p)
			// The test's own reads of the canvases draw Chromium's advice
			// to set willReadFrequently: not the page's doing.
			if (p.Entry.Level == "error" || p.Entry.Level == "warning") && !strings.HasPrefix(p.Entry.Text, "Canvas2D: Multiple readback") {
				b.problems = append(b.problems, "log "+p.Entry.Level+": "+p.Entry.Text+" "+p.Entry.URL)
			}
		}
		b.mu.Unlock()
	}
}

// call sends a command and decodes its result into result (if not nil);
// it fails the test on an error or after a minute.
func (b *Browser) call(session, method string, params, result any) {
	b.t.Helper()
	if err := b.try(session, method, params, result); err != nil {
		b.t.Fatal(err)
	}
}

func (b *Browser) try(session, method string, params, result any) error {
	id := b.next.Add(1)
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	raw, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	ch := make(chan cdpMessage, 1)
	b.mu.Lock()
	b.pending[id] = ch
	b.mu.Unlock()
	if _, err := b.in.Write(append(raw, 0)); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: chromium closed the pipe", method)
		}
		if m.Error != nil {
			return fmt.Errorf("%s: %s", method, m.Error.Message)
		}
		if result != nil {
			return json.Unmarshal(m.Result, result)
		}
		return nil
	case <-time.After(time.Minute):
		return fmt.Errorf("%s: no answer in a minute", method)
	}
}

// Navigate opens url in the page.
func (b *Browser) Navigate(url string) {
	b.t.Helper()
	var res struct {
		ErrorText string `json:"errorText"`
	}
	b.call(b.session, "Page.navigate", map[string]any{"url": url}, &res)
	if res.ErrorText != "" {
		b.t.Fatalf("open %s: %s", url, res.ErrorText)
	}
}

// Eval runs a JavaScript expression in the page (awaiting a promise) and
// decodes its value into out.
func (b *Browser) Eval(expr string, out any) {
	b.t.Helper()
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails json.RawMessage `json:"exceptionDetails"`
	}
	b.call(b.session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &res)
	if res.ExceptionDetails != nil {
		b.t.Fatalf("%s: %s", expr, res.ExceptionDetails)
	}
	if out != nil {
		if err := json.Unmarshal(res.Result.Value, out); err != nil {
			b.t.Fatalf("%s gave %s: %v", expr, res.Result.Value, err)
		}
	}
}

// WaitFor evaluates a boolean expression (one that throws is false, as
// while the page loads) until it is true, for up to a
// minute (the bound of a test that would otherwise hang, not a timing
// assertion). On failure it shows the text of the page's #status element,
// if it has one.
func (b *Browser) WaitFor(what, expr string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		var ok bool
		b.Eval("(() => { try { return Boolean("+expr+"); } catch (e) { return false; } })()", &ok)
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			var status string
			b.Eval(`document.getElementById('status') ? document.getElementById('status').textContent : ''`, &status)
			b.t.Fatalf("waited a minute for %s (%s); the page says %q; problems: %v", what, expr, status, b.Problems())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Screenshot returns the whole page as PNG.
func (b *Browser) Screenshot() []byte {
	b.t.Helper()
	var res struct {
		Data string `json:"data"`
	}
	b.call(b.session, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, &res)
	png, err := base64.StdEncoding.DecodeString(res.Data)
	if err != nil {
		b.t.Fatal(err)
	}
	return png
}

// Requests returns the URLs the page has asked for so far.
func (b *Browser) Requests() []string { return b.copyOf(&b.requests) }

// Problems returns the page's exceptions, console errors and warnings
// and log errors so far.
func (b *Browser) Problems() []string { return b.copyOf(&b.problems) }

// Proxied returns how many connections the page's proxy has had: each is
// a request that tried to leave the machine.
func (b *Browser) Proxied() int64 { return b.proxied.Load() }

// ProxiedLines returns the first line of each connection to the page's
// proxy (a request line, or CONNECT host:port).
func (b *Browser) ProxiedLines() []string { return b.copyOf(&b.proxiedLines) }

// BackgroundLines returns the first line of each connection to the
// browser's own proxy: Chromium's background requests, refused.
func (b *Browser) BackgroundLines() []string { return b.copyOf(&b.backgroundLines) }

// copyOf returns a copy of one of the records, taken under the lock the
// reading goroutines write them under.
func (b *Browser) copyOf(list *[]string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), *list...)
}

// Chromium returns the Chromium binary ($CHROMIUM, else chromium on
// PATH). Without it the test skips, except under CI=true, where it fails.
func Chromium(t testing.TB) string {
	t.Helper()
	name := os.Getenv("CHROMIUM")
	if name == "" {
		name = "chromium"
	}
	bin, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and no Chromium (%v): .ci/run installs it", err)
		}
		t.Skipf("no Chromium (%v); CI installs it", err)
	}
	return bin
}
