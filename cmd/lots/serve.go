package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/speech"
	"github.com/nyisverige/lots/web"
)

// serve runs the chat server until interrupted.
func (a *app) serve(ctx context.Context, out io.Writer) error {
	if err := a.checkSchema(ctx); err != nil {
		return err
	}
	asst, err := a.newAssistant()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("serve: listen on %s (set LOTS_ADDR): %w", a.cfg.Addr, err)
	}
	return a.serveOn(ctx, ln, asst, out)
}

// serveOn serves the chat on ln, answering with asst, until ctx ends.
func (a *app) serveOn(ctx context.Context, ln net.Listener, asst *assistant.Assistant, out io.Writer) error {
	voice, err := a.newVoice(asst)
	if err != nil {
		return err
	}
	cfg := web.Config{
		AllowedOrigins: a.cfg.AllowedOrigins, MaxConnections: a.cfg.MaxConns, Retention: a.cfg.Retention,
		AsksPerMinute: a.cfg.AsksPerMinute, TrustProxy: a.cfg.TrustProxy, Mount: a.channels(asst, voice),
	}
	if voice != nil {
		cfg.Voice = speech.NewChat(voice)
	}
	publicURL := a.cfg.publicURL(ln.Addr().String())
	if err := a.webAccounts(ctx, publicURL, &cfg); err != nil {
		return err
	}
	srv, err := web.New(asst, assistant.NewConversations(a.store.Pool(), a.cfg.Retention), a.store.Pool(), a.log, cfg)
	if err != nil {
		return err
	}
	if a.cfg.Worker {
		// Recrawls, index builds and evaluations the console queues run here too; lots worker
		// on other machines shares the same queue.
		go func() {
			if err := a.worker(ctx, workerFlags{concurrency: 1, schedule: true, every: time.Minute}, a.indexJobs(), io.Discard); err != nil && ctx.Err() == nil {
				a.log.Error("worker stopped", "err", err)
			}
		}()
	}
	fmt.Fprintf(out, "Lots is serving the chat at %s/ (Ctrl-C stops it)\n", publicURL)
	return srv.Run(ctx, ln)
}
