// Package media reads what the course service needs to know about uploaded lecture media without
// decoding it: its real type from its first bytes (Sniff), the duration of MP4/M4A (from the movie
// header box) and MP3 (from the Xing/VBRI header or by walking frame headers), and the page count
// of a PDF.
package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"regexp"
	"time"
)

// ErrUnrecognised is returned when the bytes are not a format the reader understands.
var ErrUnrecognised = errors.New("media: unrecognised or damaged file")

// MP4Duration finds the moov/mvhd box of an ISO-BMFF file (MP4, M4A, MOV) and returns the
// movie duration. r must be able to seek because moov may sit at the end of the file.
func MP4Duration(r io.ReaderAt, size int64) (time.Duration, error) {
	moov, moovSize, err := findBox(r, 0, size, "moov")
	if err != nil {
		return 0, err
	}
	mvhd, mvhdSize, err := findBox(r, moov, moov+moovSize, "mvhd")
	if err != nil {
		return 0, err
	}
	if mvhdSize < 32 {
		return 0, ErrUnrecognised
	}
	head := make([]byte, 32)
	if _, err := r.ReadAt(head, mvhd); err != nil {
		return 0, ErrUnrecognised
	}
	var timescale, duration uint64
	switch head[0] { // version
	case 0:
		timescale = uint64(binary.BigEndian.Uint32(head[12:16]))
		duration = uint64(binary.BigEndian.Uint32(head[16:20]))
	case 1:
		timescale = uint64(binary.BigEndian.Uint32(head[20:24]))
		duration = binary.BigEndian.Uint64(head[24:32])
	default:
		return 0, ErrUnrecognised
	}
	if timescale == 0 || duration == 0xFFFFFFFF || duration == 0xFFFFFFFFFFFFFFFF {
		return 0, ErrUnrecognised
	}
	secs := float64(duration) / float64(timescale)
	if secs > 1e7 {
		return 0, ErrUnrecognised
	}
	return time.Duration(secs * float64(time.Second)), nil
}

// findBox scans the boxes between start and end for type typ and returns the offset of its
// payload and the payload size.
func findBox(r io.ReaderAt, start, end int64, typ string) (int64, int64, error) {
	hdr := make([]byte, 16)
	for off := start; off+8 <= end; {
		if _, err := r.ReadAt(hdr[:8], off); err != nil {
			return 0, 0, ErrUnrecognised
		}
		size := int64(binary.BigEndian.Uint32(hdr[:4]))
		name := string(hdr[4:8])
		headerLen := int64(8)
		switch size {
		case 1: // 64-bit size follows
			if _, err := r.ReadAt(hdr[8:16], off+8); err != nil {
				return 0, 0, ErrUnrecognised
			}
			size = int64(binary.BigEndian.Uint64(hdr[8:16]))
			headerLen = 16
		case 0: // box extends to the end
			size = end - off
		}
		if size < headerLen || off+size > end {
			return 0, 0, ErrUnrecognised
		}
		if name == typ {
			return off + headerLen, size - headerLen, nil
		}
		off += size
	}
	return 0, 0, ErrUnrecognised
}

var (
	mp3Bitrates = [2][3][16]int{ // [mpeg1, mpeg2/2.5][layer1..3][index] in kbit/s
		{
			{0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448, 0},
			{0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 0},
			{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0},
		},
		{
			{0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256, 0},
			{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0},
			{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0},
		},
	}
	mp3Rates = [4][3]int{{11025, 12000, 8000}, {0, 0, 0}, {22050, 24000, 16000}, {44100, 48000, 32000}} // by version bits
)

type mp3Frame struct {
	size, samples, sampleRate int
	sideInfo                  int
}

// parseMP3Header decodes a 4-byte frame header.
func parseMP3Header(h []byte) (mp3Frame, bool) {
	if len(h) < 4 || h[0] != 0xFF || h[1]&0xE0 != 0xE0 {
		return mp3Frame{}, false
	}
	version := (h[1] >> 3) & 3 // 0: 2.5, 2: 2, 3: 1
	layer := (h[1] >> 1) & 3   // 1: III, 2: II, 3: I
	bitIdx := h[2] >> 4
	rateIdx := (h[2] >> 2) & 3
	padding := int((h[2] >> 1) & 1)
	mono := h[3]>>6 == 3
	if version == 1 || layer == 0 || bitIdx == 0 || bitIdx == 15 || rateIdx == 3 {
		return mp3Frame{}, false
	}
	v := 0
	if version != 3 {
		v = 1
	}
	l := 3 - int(layer) // 0: I, 1: II, 2: III
	bitrate := mp3Bitrates[v][l][bitIdx] * 1000
	rate := mp3Rates[version][rateIdx]
	var f mp3Frame
	f.sampleRate = rate
	switch l {
	case 0:
		f.samples = 384
		f.size = (12*bitrate/rate + padding) * 4
	case 1:
		f.samples = 1152
		f.size = 144*bitrate/rate + padding
	default:
		if v == 0 {
			f.samples = 1152
			f.size = 144*bitrate/rate + padding
		} else {
			f.samples = 576
			f.size = 72*bitrate/rate + padding
		}
	}
	switch {
	case v == 0 && !mono:
		f.sideInfo = 32
	case v == 0 && mono, v == 1 && !mono:
		f.sideInfo = 17
	default:
		f.sideInfo = 9
	}
	if f.size < 4 {
		return mp3Frame{}, false
	}
	return f, true
}

// MP3Duration returns the duration of an MP3 stream: from the Xing/Info or VBRI frame count when
// present, else by walking every frame header. An ID3v2 tag at the start is skipped.
func MP3Duration(r io.ReaderAt, size int64) (time.Duration, error) {
	off := int64(0)
	hdr := make([]byte, 10)
	if _, err := r.ReadAt(hdr, 0); err == nil && string(hdr[:3]) == "ID3" {
		tag := int64(hdr[6]&0x7f)<<21 | int64(hdr[7]&0x7f)<<14 | int64(hdr[8]&0x7f)<<7 | int64(hdr[9]&0x7f)
		off = 10 + tag
		if hdr[5]&0x10 != 0 {
			off += 10 // footer
		}
	}
	// Find the first frame whose successor is also a frame (guards against false syncs).
	buf := make([]byte, 4)
	var first mp3Frame
	found := false
	for limit := off + 64*1024; off+4 <= size && off < limit; off++ {
		if _, err := r.ReadAt(buf, off); err != nil {
			return 0, ErrUnrecognised
		}
		f, ok := parseMP3Header(buf)
		if !ok {
			continue
		}
		if off+int64(f.size)+4 <= size {
			if _, err := r.ReadAt(buf, off+int64(f.size)); err == nil {
				if _, ok2 := parseMP3Header(buf); ok2 {
					first, found = f, true
					break
				}
			}
		} else {
			first, found = f, true
			break
		}
	}
	if !found {
		return 0, ErrUnrecognised
	}
	// Xing/Info header sits after the side info; VBRI 32 bytes after the header.
	frame := make([]byte, min(first.size, 200))
	if _, err := r.ReadAt(frame, off); err == nil {
		x := 4 + first.sideInfo
		if x+12 <= len(frame) && (string(frame[x:x+4]) == "Xing" || string(frame[x:x+4]) == "Info") {
			flags := binary.BigEndian.Uint32(frame[x+4 : x+8])
			if flags&1 != 0 {
				frames := binary.BigEndian.Uint32(frame[x+8 : x+12])
				return samplesToDuration(int64(frames)*int64(first.samples), first.sampleRate), nil
			}
		}
		if 36+18 <= len(frame) && string(frame[36:40]) == "VBRI" {
			frames := binary.BigEndian.Uint32(frame[36+14 : 36+18])
			return samplesToDuration(int64(frames)*int64(first.samples), first.sampleRate), nil
		}
	}
	// Walk the frames.
	var samples int64
	for off+4 <= size {
		if _, err := r.ReadAt(buf, off); err != nil {
			break
		}
		f, ok := parseMP3Header(buf)
		if !ok {
			break // trailing tag (ID3v1, APE) or garbage
		}
		samples += int64(f.samples)
		off += int64(f.size)
	}
	if samples == 0 {
		return 0, ErrUnrecognised
	}
	return samplesToDuration(samples, first.sampleRate), nil
}

func samplesToDuration(samples int64, rate int) time.Duration {
	return time.Duration(samples * int64(time.Second) / int64(rate))
}

var pdfPageRe = regexp.MustCompile(`/Type\s*/Page[^s]`)
var pdfCountRe = regexp.MustCompile(`/Type\s*/Pages\b[^>]*?/Count\s+(\d+)`)

// PDFPages estimates the page count of a PDF held in memory: the largest /Count of a /Pages node,
// else the number of /Type /Page objects. Compressed object streams hide both; then it returns
// ErrUnrecognised and the caller shows no page count.
func PDFPages(data []byte) (int, error) {
	if !bytes.HasPrefix(data, []byte("%PDF-")) {
		return 0, ErrUnrecognised
	}
	best := 0
	for _, m := range pdfCountRe.FindAllSubmatch(data, -1) {
		n := 0
		for _, c := range m[1] {
			n = n*10 + int(c-'0')
			if n > 1_000_000 {
				break
			}
		}
		best = max(best, n)
	}
	if best > 0 {
		return best, nil
	}
	if n := len(pdfPageRe.FindAllIndex(data, -1)); n > 0 {
		return n, nil
	}
	return 0, ErrUnrecognised
}
