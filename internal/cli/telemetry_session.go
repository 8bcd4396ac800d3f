package cli

import (
	"context"
	"strings"

	"caro.sh/telemetry/internal/consent"
	"caro.sh/telemetry/sdk"
)

// startTelemetry turns the configuration and consent of this run into an
// sdk.Client: disabled (a no-op that opens no file) unless the user's
// settings and the consent rules allow recording. It reads config.toml,
// and state.toml only when consent depends on it; the spool is opened
// later, by the SDK's background exporter, on the first batch.
// It reports whether this is the first session recorded on this machine
// (session.start's is_first_run, whatever the consent path: see
// scheduleUpload). When recording is allowed it also starts the
// scheduled upload if one is due (scheduleUpload), at once, so that its
// start overlaps this run's own work; endTelemetry collects it.
func (r *run) startTelemetry(in *interrupts, dirs sdk.Dirs, dirsErr error, interactive bool) (*sdk.Client, bool, scheduledUpload) {
	ctx := in.ctx
	off := sdk.Start(ctx, sdk.Config{})
	if dirsErr != nil {
		if !r.noTelemetry && !doNotTrack(r.env.Getenv) {
			r.warn.warn("telemetry is off: " + dirsErr.Error())
		}
		return off, false, nil
	}
	ch := r.channel()
	cfg, warning := sdk.LoadConfig(sdk.LoadOptions{Dirs: dirs, Getenv: r.env.Getenv,
		NoTelemetry: r.noTelemetry, DefaultEnabled: ch.DefaultEnabled()})
	if warning != "" {
		r.warn.warn(warning)
	}
	res := consent.Gate(consent.Options{
		Version:     r.env.Version,
		Config:      cfg,
		Interactive: interactive,
		ReadLine:    func() (string, error) { return r.lines.readLineInterruptible(in) },
		Out:         r.env.Stderr,
		DisableInConfig: func() error {
			doc, err := readConfigDoc(dirs.ConfigFile())
			if err != nil {
				return err
			}
			s, _ := lookupSetting("telemetry.enabled")
			doc.set(s, false)
			return doc.save()
		},
	})
	if res.Warning != "" {
		r.warn.warn(res.Warning)
	}
	if !res.Record {
		return off, false, nil
	}
	firstRun, up := r.scheduleUpload(cfg)
	opts := []sdk.Option{
		sdk.WithVersion(r.env.Version),
		sdk.WithWarn(r.warn.warn),
		sdk.WithClock(r.env.Now),
		sdk.WithGetenv(r.env.Getenv),
	}
	if v := r.env.Getenv(sdk.EnvDebug); v != "" {
		if on, err := sdk.ParseBool(v); err == nil && on {
			opts = append(opts, sdk.WithDebug(r.env.Stderr))
		}
	}
	opts = append(opts, r.env.TelemetryOptions...)
	return sdk.Start(ctx, cfg, opts...), firstRun, up
}

// endTelemetry runs when the user's command and its output are done: it
// persists the session's events (within sdk.DefaultShutdownTimeout) and
// reports a scheduled upload that could not start. Nothing here waits on
// the network: the upload is another process, which waits for this one.
func (r *run) endTelemetry(ctx context.Context, client *sdk.Client, up scheduledUpload) {
	client.Shutdown(context.WithoutCancel(ctx))
	up.wait(r.warn.warn)
}

func doNotTrack(getenv func(string) string) bool {
	v := getenv(sdk.EnvDoNotTrack)
	return v != "" && v != "0" && !strings.EqualFold(v, "false")
}
