package media

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func box(typ string, payload ...[]byte) []byte {
	body := bytes.Join(payload, nil)
	b := make([]byte, 8, 8+len(body))
	binary.BigEndian.PutUint32(b, uint32(8+len(body)))
	copy(b[4:], typ)
	return append(b, body...)
}

func mvhdV0(timescale, duration uint32) []byte {
	p := make([]byte, 100)
	binary.BigEndian.PutUint32(p[12:], timescale)
	binary.BigEndian.PutUint32(p[16:], duration)
	return box("mvhd", p)
}

func mvhdV1(timescale uint32, duration uint64) []byte {
	p := make([]byte, 112)
	p[0] = 1
	binary.BigEndian.PutUint32(p[20:], timescale)
	binary.BigEndian.PutUint64(p[24:], duration)
	return box("mvhd", p)
}

func TestMP4Duration(t *testing.T) {
	ftyp := box("ftyp", []byte("isom\x00\x00\x02\x00isomiso2mp41"))
	mdat := box("mdat", bytes.Repeat([]byte{0xAB}, 5000))
	large := func() []byte { // mdat with a 64-bit size header
		b := make([]byte, 16)
		binary.BigEndian.PutUint32(b, 1)
		copy(b[4:], "mdat")
		binary.BigEndian.PutUint64(b[8:], 16+100)
		return append(b, make([]byte, 100)...)
	}()
	cases := []struct {
		name string
		file []byte
		want time.Duration
		ok   bool
	}{
		{"moov at end, v0", bytes.Join([][]byte{ftyp, mdat, box("moov", mvhdV0(1000, 93_500))}, nil), 93500 * time.Millisecond, true},
		{"moov first (faststart), v0 90kHz", bytes.Join([][]byte{ftyp, box("moov", box("udta"), mvhdV0(90000, 90000*3600)), mdat}, nil), time.Hour, true},
		{"v1 with 64-bit box", bytes.Join([][]byte{ftyp, large, box("moov", mvhdV1(48000, 48000*125))}, nil), 125 * time.Second, true},
		{"no moov", bytes.Join([][]byte{ftyp, mdat}, nil), 0, false},
		{"zero timescale", bytes.Join([][]byte{ftyp, box("moov", mvhdV0(0, 10))}, nil), 0, false},
		{"truncated box", append(ftyp, 0, 0, 0x10, 0, 'm', 'o', 'o', 'v'), 0, false},
		{"exe bytes", []byte("MZ\x90\x00\x03\x00\x00\x00"), 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := MP4Duration(bytes.NewReader(c.file), int64(len(c.file)))
			if (err == nil) != c.ok || got != c.want {
				t.Fatalf("MP4Duration = %v, %v; want %v ok=%v", got, err, c.want, c.ok)
			}
		})
	}
}

// cbrFrames builds n MPEG-1 Layer III frames at 128 kbit/s, 44.1 kHz (417 bytes, 418 padded).
func cbrFrames(n int) []byte {
	var out []byte
	for i := 0; i < n; i++ {
		pad := byte(0)
		size := 417
		if i%3 == 2 {
			pad, size = 0x02, 418
		}
		f := make([]byte, size)
		f[0], f[1], f[2], f[3] = 0xFF, 0xFB, 0x90|pad, 0x44
		out = append(out, f...)
	}
	return out
}

func TestMP3Duration(t *testing.T) {
	const frames = 1000 // 1000 × 1152 / 44100 = 26.122 s
	want := time.Duration(int64(frames) * 1152 * int64(time.Second) / 44100)
	id3 := append([]byte("ID3\x04\x00\x00\x00\x00\x01\x00"), make([]byte, 128)...) // 128-byte tag
	xing := func() []byte {
		f := cbrFrames(1)
		copy(f[4+32:], "Xing")
		binary.BigEndian.PutUint32(f[4+32+4:], 1) // frames field present
		binary.BigEndian.PutUint32(f[4+32+8:], 5000)
		return f
	}()
	cases := []struct {
		name string
		file []byte
		want time.Duration
		ok   bool
	}{
		{"cbr walk", cbrFrames(frames), want, true},
		{"id3v2 then frames, id3v1 trailer", append(append(id3, cbrFrames(frames)...), append([]byte("TAG"), make([]byte, 125)...)...), want, true},
		{"xing frame count", append(xing, cbrFrames(10)...), time.Duration(int64(5000) * 1152 * int64(time.Second) / 44100), true},
		{"not mp3", bytes.Repeat([]byte("hello"), 100), 0, false},
		{"empty", nil, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := MP3Duration(bytes.NewReader(c.file), int64(len(c.file)))
			if (err == nil) != c.ok || got != c.want {
				t.Fatalf("MP3Duration = %v, %v; want %v ok=%v", got, err, c.want, c.ok)
			}
		})
	}
}

func TestPDFPages(t *testing.T) {
	doc := "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 >> endobj\n" +
		"3 0 obj << /Type /Page /Parent 2 0 R >> endobj\n4 0 obj << /Type /Page /Parent 2 0 R >> endobj\n5 0 obj << /Type /Page /Parent 2 0 R >> endobj\n%%EOF"
	if n, err := PDFPages([]byte(doc)); err != nil || n != 3 {
		t.Fatalf("PDFPages = %d, %v; want 3", n, err)
	}
	noCount := "%PDF-1.7\n<< /Type /Page >>\n<< /Type /Page >>\n"
	if n, err := PDFPages([]byte(noCount)); err != nil || n != 2 {
		t.Fatalf("PDFPages without /Count = %d, %v; want 2", n, err)
	}
	if _, err := PDFPages([]byte("MZ not a pdf")); err == nil {
		t.Fatal("non-PDF accepted")
	}
}

func FuzzReaders(f *testing.F) {
	f.Add(cbrFrames(3))
	f.Add(box("moov", mvhdV0(1000, 5)))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		if d, err := MP4Duration(r, int64(len(data))); err == nil && d < 0 {
			t.Fatalf("negative duration %v", d)
		}
		if d, err := MP3Duration(r, int64(len(data))); err == nil && d < 0 {
			t.Fatalf("negative duration %v", d)
		}
		_, _ = PDFPages(data)
	})
}

func TestSniff(t *testing.T) {
	ftyp := box("ftyp", []byte("isom\x00\x00\x02\x00isomiso2mp41"))
	cases := []struct {
		name string
		head []byte
		want string
	}{
		{"mp4", bytes.Join([][]byte{ftyp, box("moov", mvhdV0(1000, 1000))}, nil), "video/mp4"},
		{"pdf", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"), "application/pdf"},
		{"text drops its charset parameter", []byte("hello, world\n"), "text/plain"},
		{"unknown", []byte{0x00, 0x01, 0x02, 0x03}, "application/octet-stream"},
	}
	for _, c := range cases {
		if got := Sniff(c.head); got != c.want {
			t.Errorf("%s: Sniff = %q, want %q", c.name, got, c.want)
		}
	}
}

// The committed fixtures (deploy/scripts/make-media-fixtures.sh, made by ffmpeg) are real files
// a browser plays; the probe reads what ffprobe reads from them.
func TestRealFixtures(t *testing.T) {
	read := func(name string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	near := func(d time.Duration) bool { return d > 3900*time.Millisecond && d < 4100*time.Millisecond }

	mp4 := read("lesson.mp4")
	if got := Sniff(mp4[:512]); got != "video/mp4" {
		t.Errorf("lesson.mp4 sniffs as %q", got)
	}
	if d, err := MP4Duration(bytes.NewReader(mp4), int64(len(mp4))); err != nil || !near(d) {
		t.Errorf("MP4Duration(lesson.mp4) = %v, %v; want 4s", d, err)
	}
	mp3 := read("lesson.mp3")
	if got := Sniff(mp3[:512]); got != "audio/mpeg" {
		t.Errorf("lesson.mp3 sniffs as %q", got)
	}
	if d, err := MP3Duration(bytes.NewReader(mp3), int64(len(mp3))); err != nil || !near(d) {
		t.Errorf("MP3Duration(lesson.mp3) = %v, %v; want 4s", d, err)
	}
	pdf := read("lesson.pdf")
	if got := Sniff(pdf); got != "application/pdf" {
		t.Errorf("lesson.pdf sniffs as %q", got)
	}
	if n, err := PDFPages(pdf); err != nil || n != 2 {
		t.Errorf("PDFPages(lesson.pdf) = %d, %v; want 2", n, err)
	}
}
