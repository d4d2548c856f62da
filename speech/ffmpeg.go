package speech

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// FFmpeg decodes audio in any format ffmpeg knows (Opus/WebM and Ogg from browsers, MP3, AAC,
// FLAC, …) by running the ffmpeg program; codecs are ffmpeg's, not ours.
type FFmpeg struct {
	path    string
	timeout time.Duration
}

// NewFFmpeg finds the ffmpeg program (path, or "ffmpeg" on $PATH when empty). timeout bounds one
// decoding; 0 means 30 seconds.
func NewFFmpeg(path string, timeout time.Duration) (*FFmpeg, error) {
	if path == "" {
		path = "ffmpeg"
	}
	found, err := exec.LookPath(path)
	if err != nil {
		return nil, fmt.Errorf("ffmpeg: %w (run scripts/speech)", err)
	}
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return &FFmpeg{path: found, timeout: timeout}, nil
}

// Decode returns data as mono PCM16 at rate. WAV files in formats ReadWAV knows are read
// without ffmpeg; everything else goes through it. Input over MaxAudioBytes is refused, and so
// is decoded audio longer than that.
func (f *FFmpeg) Decode(ctx context.Context, data []byte, rate int) (Audio, error) {
	if len(data) > MaxAudioBytes {
		return Audio{}, fmt.Errorf("decode audio: %d bytes is more than %d", len(data), MaxAudioBytes)
	}
	if len(data) == 0 {
		return Audio{}, errors.New("decode audio: no data")
	}
	if bytes.HasPrefix(data, []byte("RIFF")) {
		if a, err := parseWAV(data); err == nil {
			return Resample(a, rate), nil
		} else if errors.Is(err, ErrTruncated) {
			return Audio{}, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, f.path, "-nostdin", "-hide_banner", "-loglevel", "error",
		"-i", "pipe:0", "-vn", "-f", "s16le", "-acodec", "pcm_s16le", "-ac", "1", "-ar", strconv.Itoa(rate), "pipe:1")
	cmd.Stdin = bytes.NewReader(data)
	var stdout limitedBuffer
	stdout.max = MaxAudioBytes
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	switch {
	case stdout.over:
		return Audio{}, fmt.Errorf("decode audio: decoded audio is longer than %d bytes", MaxAudioBytes)
	case ctx.Err() != nil:
		return Audio{}, fmt.Errorf("decode audio with ffmpeg: %w", ctx.Err())
	case err != nil:
		return Audio{}, fmt.Errorf("decode audio with ffmpeg: %w: %s", err, firstLine(stderr.String()))
	case stdout.Len() < 2:
		return Audio{}, errors.New("decode audio with ffmpeg: no audio in the input")
	}
	return Audio{Rate: rate, Samples: FromPCM16(stdout.Bytes())}, nil
}

// limitedBuffer keeps at most max bytes and notes whether more were written; it keeps a child
// process from filling memory.
type limitedBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		b.over = true
		return 0, errors.New("output too long")
	}
	return b.Buffer.Write(p)
}

// firstLine is the first non-empty line of a program's error output, for error messages.
func firstLine(s string) string {
	for line := range strings.Lines(s) {
		if line = strings.TrimSpace(line); line != "" {
			return line
		}
	}
	return "(no message)"
}
