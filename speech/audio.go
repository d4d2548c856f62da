package speech

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/zaf/g711"
)

// MaxAudioBytes bounds the audio a single request may carry (WAV or compressed), about 30
// minutes of 16 kHz PCM16: longer input is refused, not read.
const MaxAudioBytes = 64 << 20

// ErrTruncated means the audio ends before its header says it does.
var ErrTruncated = errors.New("audio is truncated")

// Duration is how long the audio plays.
func (a Audio) Duration() time.Duration {
	if a.Rate <= 0 {
		return 0
	}
	return time.Duration(len(a.Samples)) * time.Second / time.Duration(a.Rate)
}

// WAV formats (the wFormatTag of the fmt chunk) that ReadWAV converts.
const (
	wavPCM        = 1
	wavFloat      = 3
	wavMulaw      = 7
	wavExtensible = 0xFFFE
)

// ReadWAV reads a RIFF/WAVE file into mono PCM16: 16-bit PCM as is, 8-bit PCM, 32-bit float and
// G.711 μ-law converted, several channels averaged. A data chunk whose size is unknown (0 or
// near 2³¹, as streaming writers such as espeak-ng --stdout leave it) runs to the end of r.
func ReadWAV(r io.Reader) (Audio, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxAudioBytes+1))
	if err != nil {
		return Audio{}, fmt.Errorf("read wav: %w", err)
	}
	if len(data) > MaxAudioBytes {
		return Audio{}, fmt.Errorf("read wav: longer than %d bytes", MaxAudioBytes)
	}
	return parseWAV(data)
}

type wavFormat struct {
	tag      uint16
	channels int
	rate     int
	bits     int
}

func parseWAV(data []byte) (Audio, error) {
	if len(data) < 12 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return Audio{}, errors.New("read wav: not a RIFF/WAVE file")
	}
	var f *wavFormat
	pos := 12
	for {
		if pos+8 > len(data) {
			return Audio{}, fmt.Errorf("read wav: no data chunk: %w", ErrTruncated)
		}
		id, size := string(data[pos:pos+4]), binary.LittleEndian.Uint32(data[pos+4:pos+8])
		pos += 8
		switch id {
		case "fmt ":
			if size < 16 || pos+16 > len(data) {
				return Audio{}, fmt.Errorf("read wav: fmt chunk of %d bytes: %w", size, ErrTruncated)
			}
			f = &wavFormat{
				tag:      binary.LittleEndian.Uint16(data[pos:]),
				channels: int(binary.LittleEndian.Uint16(data[pos+2:])),
				rate:     int(binary.LittleEndian.Uint32(data[pos+4:])),
				bits:     int(binary.LittleEndian.Uint16(data[pos+14:])),
			}
			if f.tag == wavExtensible && size >= 40 && pos+26 <= len(data) {
				f.tag = binary.LittleEndian.Uint16(data[pos+24:]) // the sub-format GUID starts with the tag
			}
		case "data":
			if f == nil {
				return Audio{}, errors.New("read wav: data chunk before fmt chunk")
			}
			body := data[pos:]
			switch {
			case size == 0 || size >= 0x7fff0000:
				// A streaming writer did not know the length: the data runs to the end.
			case int64(size) > int64(len(body)):
				return Audio{}, fmt.Errorf("read wav: data chunk says %d bytes, file has %d: %w", size, len(body), ErrTruncated)
			default:
				body = body[:size]
			}
			return f.decode(body)
		}
		next := pos + int(size) + int(size&1) // chunks are padded to even sizes
		if next < pos || next > len(data) {
			return Audio{}, fmt.Errorf("read wav: %q chunk of %d bytes: %w", id, size, ErrTruncated)
		}
		pos = next
	}
}

func (f *wavFormat) decode(body []byte) (Audio, error) {
	if f.channels < 1 || f.channels > 8 {
		return Audio{}, fmt.Errorf("read wav: %d channels: want 1 to 8", f.channels)
	}
	if f.rate < 4000 || f.rate > 192000 {
		return Audio{}, fmt.Errorf("read wav: sample rate %d Hz: want 4000 to 192000", f.rate)
	}
	var sample func([]byte) float64
	switch {
	case f.tag == wavPCM && f.bits == 16:
		sample = func(b []byte) float64 { return float64(int16(binary.LittleEndian.Uint16(b))) }
	case f.tag == wavPCM && f.bits == 8:
		sample = func(b []byte) float64 { return (float64(b[0]) - 128) * 256 }
	case f.tag == wavPCM && f.bits == 24:
		sample = func(b []byte) float64 { return float64(int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24) >> 16) }
	case f.tag == wavPCM && f.bits == 32:
		sample = func(b []byte) float64 { return float64(int32(binary.LittleEndian.Uint32(b)) >> 16) }
	case f.tag == wavFloat && f.bits == 32:
		sample = func(b []byte) float64 {
			return float64(math.Float32frombits(binary.LittleEndian.Uint32(b))) * 32767
		}
	case f.tag == wavMulaw && f.bits == 8:
		sample = func(b []byte) float64 { return float64(g711.DecodeUlawFrame(b[0])) }
	default:
		return Audio{}, fmt.Errorf("read wav: format %d with %d bits per sample is not supported (decode it with ffmpeg)", f.tag, f.bits)
	}
	width := f.bits / 8 * f.channels
	n := len(body) / width
	out := make([]int16, n)
	for i := range n {
		var sum float64
		for c := range f.channels {
			sum += sample(body[i*width+c*f.bits/8:])
		}
		out[i] = clamp16(sum / float64(f.channels))
	}
	return Audio{Rate: f.rate, Samples: out}, nil
}

func clamp16(v float64) int16 {
	switch {
	case v >= math.MaxInt16:
		return math.MaxInt16
	case v <= math.MinInt16:
		return math.MinInt16
	}
	return int16(math.Round(v))
}

// WriteWAV writes a as a 16-bit PCM mono WAV file.
func WriteWAV(w io.Writer, a Audio) error {
	if a.Rate <= 0 {
		return fmt.Errorf("write wav: sample rate %d", a.Rate)
	}
	size := uint32(len(a.Samples) * 2)
	h := make([]byte, 44, 44+size)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], 36+size)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], wavPCM)
	binary.LittleEndian.PutUint16(h[22:], 1)
	binary.LittleEndian.PutUint32(h[24:], uint32(a.Rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(a.Rate*2))
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], size)
	h = append(h, PCM16(a.Samples)...)
	if _, err := w.Write(h); err != nil {
		return fmt.Errorf("write wav: %w", err)
	}
	return nil
}

// WAV returns a as a 16-bit PCM mono WAV file.
func (a Audio) WAV() []byte {
	var b bytes.Buffer
	_ = WriteWAV(&b, a) // a bytes.Buffer does not fail; a bad rate gives an empty file
	return b.Bytes()
}

// PCM16 returns samples as little-endian 16-bit PCM bytes.
func PCM16(samples []int16) []byte {
	out := make([]byte, 2*len(samples))
	for i, s := range samples {
		binary.LittleEndian.PutUint16(out[2*i:], uint16(s))
	}
	return out
}

// FromPCM16 reads little-endian 16-bit PCM bytes; an odd last byte is dropped.
func FromPCM16(b []byte) []int16 {
	out := make([]int16, len(b)/2)
	for i := range out {
		out[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return out
}

// EncodeMulaw encodes samples as G.711 μ-law, one byte each (the telephone format at 8 kHz).
func EncodeMulaw(samples []int16) []byte {
	out := make([]byte, len(samples))
	for i, s := range samples {
		out[i] = g711.EncodeUlawFrame(s)
	}
	return out
}

// DecodeMulaw decodes G.711 μ-law bytes.
func DecodeMulaw(b []byte) []int16 {
	out := make([]int16, len(b))
	for i, c := range b {
		out[i] = g711.DecodeUlawFrame(c)
	}
	return out
}

// resampleTaps is the half-width of the resampling filter in samples of the lower rate: 16 gives
// a steep enough low-pass for speech without much cost.
const resampleTaps = 16

// kernelSteps is how finely the filter is tabulated per sample; linear interpolation between
// the steps is far below 16-bit precision.
const kernelSteps = 512

// Resample converts a to rate with a windowed-sinc (Blackman) interpolator whose cut-off is the
// lower of the two Nyquist frequencies, so that downsampling does not alias.
func Resample(a Audio, rate int) Audio {
	if a.Rate == rate || a.Rate <= 0 || rate <= 0 || len(a.Samples) == 0 {
		return Audio{Rate: rate, Samples: a.Samples}
	}
	ratio := float64(rate) / float64(a.Rate)
	k := resampleKernel(a.Rate, rate)
	n := int(math.Floor(float64(len(a.Samples)) * ratio))
	out := make([]int16, n)
	step := 1 / ratio
	for i := range n {
		t := float64(i) * step // position in input samples
		lo := max(0, int(math.Ceil(t-k.half)))
		hi := min(len(a.Samples)-1, int(math.Floor(t+k.half)))
		var sum, weights float64
		for j := lo; j <= hi; j++ {
			w := k.at(math.Abs(float64(j) - t))
			sum += w * float64(a.Samples[j])
			weights += w
		}
		if weights != 0 {
			sum /= weights // unity gain also at the edges, where the window is cut
		}
		out[i] = clamp16(sum)
	}
	return Audio{Rate: rate, Samples: out}
}

// kernel is the resampling filter tabulated over [0, half] (it is symmetric).
type kernel struct {
	half  float64
	table []float64
}

func (k *kernel) at(x float64) float64 {
	x *= kernelSteps
	i := int(x)
	if i+1 >= len(k.table) {
		return 0
	}
	f := x - float64(i)
	return k.table[i] + f*(k.table[i+1]-k.table[i])
}

// kernels caches a kernel per pair of rates: a service converts between a handful.
var kernels sync.Map // [2]int → *kernel

func resampleKernel(from, to int) *kernel {
	key := [2]int{from, to}
	if k, ok := kernels.Load(key); ok {
		return k.(*kernel)
	}
	cutoff := min(1, float64(to)/float64(from)) // relative to the input's Nyquist frequency
	half := float64(resampleTaps) / cutoff
	table := make([]float64, int(half*kernelSteps)+2)
	for i := range table {
		x := float64(i) / kernelSteps
		table[i] = cutoff * sinc(cutoff*x) * blackman(x, half)
	}
	k, _ := kernels.LoadOrStore(key, &kernel{half: half, table: table})
	return k.(*kernel)
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// blackman is the Blackman window over [-half, half].
func blackman(x, half float64) float64 {
	if x < -half || x > half {
		return 0
	}
	p := (x + half) / (2 * half)
	return 0.42 - 0.5*math.Cos(2*math.Pi*p) + 0.08*math.Cos(4*math.Pi*p)
}

// Silence returns d of silence at rate.
func Silence(rate int, d time.Duration) Audio {
	return Audio{Rate: rate, Samples: make([]int16, int(d*time.Duration(rate)/time.Second))}
}

// Concat joins audio of one rate; parts at another rate are resampled to the first one's.
func Concat(parts ...Audio) Audio {
	var out Audio
	for _, p := range parts {
		if len(p.Samples) == 0 {
			continue
		}
		if out.Rate == 0 {
			out.Rate = p.Rate
		}
		out.Samples = append(out.Samples, Resample(p, out.Rate).Samples...)
	}
	return out
}
