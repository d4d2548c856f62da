package speech

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

func TestWAVRoundTrip(t *testing.T) {
	in := tone(16000, 440, 250*time.Millisecond, 0.5)
	out, err := ReadWAV(bytes.NewReader(in.WAV()))
	if err != nil {
		t.Fatal(err)
	}
	if out.Rate != in.Rate || !slicesEqual(out.Samples, in.Samples) {
		t.Fatalf("round trip changed the audio: rate %d, %d samples", out.Rate, len(out.Samples))
	}
	if got := out.Duration(); got != 250*time.Millisecond {
		t.Errorf("duration %v, want 250ms", got)
	}
}

func slicesEqual(a, b []int16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// wavFile builds a WAV file by hand, for the formats WriteWAV does not write.
func wavFile(tag uint16, channels, rate, bits int, data []byte, dataSize uint32) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(36+len(data)))
	b.WriteString("WAVEfmt ")
	binary.Write(&b, binary.LittleEndian, uint32(16))
	binary.Write(&b, binary.LittleEndian, tag)
	binary.Write(&b, binary.LittleEndian, uint16(channels))
	binary.Write(&b, binary.LittleEndian, uint32(rate))
	binary.Write(&b, binary.LittleEndian, uint32(rate*channels*bits/8))
	binary.Write(&b, binary.LittleEndian, uint16(channels*bits/8))
	binary.Write(&b, binary.LittleEndian, uint16(bits))
	b.WriteString("LIST") // a chunk readers must skip
	binary.Write(&b, binary.LittleEndian, uint32(3))
	b.WriteString("abc\x00") // odd size, padded
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, dataSize)
	b.Write(data)
	return b.Bytes()
}

func TestReadWAVFormats(t *testing.T) {
	stereo := []byte{}
	for _, v := range []int16{1000, 3000, -2000, -4000} {
		stereo = binary.LittleEndian.AppendUint16(stereo, uint16(v))
	}
	float := []byte{}
	for _, v := range []float32{0.5, -0.25} {
		float = binary.LittleEndian.AppendUint32(float, math.Float32bits(v))
	}
	tests := []struct {
		name    string
		file    []byte
		want    []int16
		wantErr error
		errText string
	}{
		{name: "stereo PCM16 is averaged", file: wavFile(1, 2, 16000, 16, stereo, uint32(len(stereo))), want: []int16{2000, -3000}},
		{name: "8-bit PCM", file: wavFile(1, 1, 8000, 8, []byte{128, 255, 0}, 3), want: []int16{0, 32512, -32768}},
		{name: "32-bit float", file: wavFile(3, 1, 16000, 32, float, uint32(len(float))), want: []int16{16384, -8192}},
		{name: "μ-law", file: wavFile(7, 1, 8000, 8, EncodeMulaw([]int16{0, 8000}), 2), want: DecodeMulaw(EncodeMulaw([]int16{0, 8000}))},
		{name: "streaming size runs to the end", file: wavFile(1, 1, 22050, 16, PCM16([]int16{1, 2, 3}), 0x7ffff000), want: []int16{1, 2, 3}},
		{name: "truncated data", file: wavFile(1, 1, 16000, 16, PCM16([]int16{1, 2, 3}), 100), wantErr: ErrTruncated},
		{name: "truncated header", file: wavFile(1, 1, 16000, 16, nil, 0)[:30], wantErr: ErrTruncated},
		{name: "not a WAV", file: []byte("OggS\x00\x02 this is not RIFF"), errText: "not a RIFF/WAVE file"},
		{name: "ADPCM is refused", file: wavFile(2, 1, 16000, 4, []byte{1, 2}, 2), errText: "format 2 with 4 bits per sample is not supported"},
		{name: "absurd rate", file: wavFile(1, 1, 1, 16, PCM16([]int16{1}), 2), errText: "sample rate 1 Hz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ReadWAV(bytes.NewReader(tt.file))
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			case tt.errText != "":
				if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tt.errText)) {
					t.Fatalf("err = %v, want one saying %q", err, tt.errText)
				}
			case err != nil:
				t.Fatal(err)
			case !slicesEqual(a.Samples, tt.want):
				t.Errorf("samples %v, want %v", a.Samples, tt.want)
			}
		})
	}
}

func TestResample(t *testing.T) {
	tests := []struct {
		name     string
		from, to int
		freq     float64
		kept     bool // whether the tone survives (it is below the new Nyquist frequency)
	}{
		{name: "44.1 kHz to 16 kHz keeps 1 kHz", from: 44100, to: 16000, freq: 1000, kept: true},
		{name: "8 kHz to 16 kHz keeps 1 kHz", from: 8000, to: 16000, freq: 1000, kept: true},
		{name: "22.05 kHz to 8 kHz keeps 3 kHz", from: 22050, to: 8000, freq: 3000, kept: true},
		{name: "44.1 kHz to 8 kHz removes 6 kHz instead of aliasing it", from: 44100, to: 8000, freq: 6000, kept: false},
		{name: "16 kHz to 8 kHz removes 5 kHz", from: 16000, to: 8000, freq: 5000, kept: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tone(tt.from, tt.freq, time.Second, 0.5)
			out := Resample(in, tt.to)
			if out.Rate != tt.to {
				t.Fatalf("rate %d, want %d", out.Rate, tt.to)
			}
			if d := out.Duration() - in.Duration(); d < -time.Millisecond || d > time.Millisecond {
				t.Errorf("duration %v, want %v", out.Duration(), in.Duration())
			}
			// Ignore the edges, where the filter sees only half its window.
			mid := Audio{Rate: out.Rate, Samples: out.Samples[out.Rate/10 : len(out.Samples)-out.Rate/10]}
			level := rms(mid.Samples)
			if tt.kept {
				if math.Abs(level-0.5/math.Sqrt2) > 0.02 {
					t.Errorf("RMS %.3f, want %.3f", level, 0.5/math.Sqrt2)
				}
				if tone := goertzel(mid, tt.freq); tone < 0.05 {
					t.Errorf("the %v Hz tone has power %.4f after resampling", tt.freq, tone)
				}
			} else if level > 0.01 {
				t.Errorf("RMS %.4f: the tone above the new Nyquist frequency came through (aliased)", level)
			}
		})
	}
}

func TestMulawRoundTrip(t *testing.T) {
	in := tone(8000, 440, 100*time.Millisecond, 0.8)
	out := DecodeMulaw(EncodeMulaw(in.Samples))
	for i := range in.Samples {
		// μ-law keeps about 2% of the magnitude (plus a little near zero).
		if diff := math.Abs(float64(out[i]) - float64(in.Samples[i])); diff > 0.04*math.Abs(float64(in.Samples[i]))+16 {
			t.Fatalf("sample %d: %d became %d", i, in.Samples[i], out[i])
		}
	}
	if got := EncodeMulaw([]int16{0}); got[0] != 0xFF {
		t.Errorf("silence encodes as %#x, want 0xff", got[0])
	}
}

func TestFFmpegDecode(t *testing.T) {
	requireBinaries(t)
	ff, err := NewFFmpeg("", 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "in.wav")
	in := tone(48000, 440, 2*time.Second, 0.5)
	if err := os.WriteFile(src, in.WAV(), 0o600); err != nil {
		t.Fatal(err)
	}
	// Encode as a browser's MediaRecorder does: Opus in WebM, and Opus in Ogg.
	encode := func(t *testing.T, name string, args ...string) []byte {
		t.Helper()
		out := filepath.Join(dir, name)
		cmd := exec.Command("ffmpeg", append(append([]string{"-loglevel", "error", "-y", "-i", src}, args...), out)...)
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("encode %s: %v: %s", name, err, msg)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	tests := []struct {
		name    string
		data    func(t *testing.T) []byte
		errText string
	}{
		{name: "Opus in WebM", data: func(t *testing.T) []byte { return encode(t, "a.webm", "-c:a", "libopus") }},
		{name: "Opus in Ogg", data: func(t *testing.T) []byte { return encode(t, "a.ogg", "-c:a", "libopus") }},
		{name: "WAV at 48 kHz without ffmpeg", data: func(*testing.T) []byte { return in.WAV() }},
		{name: "garbage", data: func(*testing.T) []byte { return []byte("this is not audio at all") }, errText: "decode audio with ffmpeg"},
		{name: "truncated WAV", data: func(*testing.T) []byte { return in.WAV()[:1000] }, errText: "truncated"},
		{name: "nothing", data: func(*testing.T) []byte { return nil }, errText: "no data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ff.Decode(t.Context(), tt.data(t), 16000)
			if tt.errText != "" {
				if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tt.errText)) {
					t.Fatalf("err = %v, want one saying %q", err, tt.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.Rate != 16000 {
				t.Errorf("rate %d", a.Rate)
			}
			if d := a.Duration(); d < 1900*time.Millisecond || d > 2100*time.Millisecond {
				t.Errorf("duration %v, want about 2s", d)
			}
			if g := goertzel(Audio{Rate: a.Rate, Samples: a.Samples[4000:28000]}, 440); g < 0.02 {
				t.Errorf("the 440 Hz tone is lost: power %.4f", g)
			}
		})
	}
}

func FuzzReadWAV(f *testing.F) {
	f.Add(tone(8000, 440, 10*time.Millisecond, 0.5).WAV())
	f.Add(wavFile(3, 2, 16000, 32, make([]byte, 16), 16))
	f.Add(wavFile(7, 1, 8000, 8, []byte{1, 2, 3}, 0x7ffff000))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEdata\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ReadWAV(bytes.NewReader(data))
		if err == nil && (a.Rate < 4000 || a.Rate > 192000) {
			t.Fatalf("accepted rate %d", a.Rate)
		}
	})
}

func BenchmarkResample(b *testing.B) {
	tests := []struct {
		name     string
		from, to int
	}{
		{"8k-16k", 8000, 16000},
		{"22k-8k", 22050, 8000},
		{"44k-16k", 44100, 16000},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			a := tone(tt.from, 440, 3*time.Second, 0.5)
			for b.Loop() {
				Resample(a, tt.to)
			}
		})
	}
	b.Run("fillBand-3s", func(b *testing.B) {
		a := tone(16000, 440, 3*time.Second, 0.5)
		for b.Loop() {
			fillBand(a, 8000)
		}
	})
}
