package biz

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/vanguard/vanguard/pkg/media"
)

// mp4Box builds an ISO-BMFF box.
func mp4Box(typ string, payload ...[]byte) []byte {
	n := 8
	for _, p := range payload {
		n += len(p)
	}
	b := binary.BigEndian.AppendUint32(make([]byte, 0, n), uint32(n))
	b = append(b, typ...)
	for _, p := range payload {
		b = append(b, p...)
	}
	return b
}

func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// mvhdBox is a version-0 movie header with the given timescale and duration.
func mvhdBox(timescale, duration uint32) []byte {
	p := make([]byte, 100)
	binary.BigEndian.PutUint32(p[12:], timescale)
	binary.BigEndian.PutUint32(p[16:], duration)
	return mp4Box("mvhd", p)
}

// mp4File is a tiny MP4: ftyp (major brand), mdat of mdatLen bytes, then moov/mvhd (omitted when
// timescale is 0: a damaged file).
func mp4File(brand string, timescale, duration uint32, mdatLen int) []byte {
	ftyp := mp4Box("ftyp", []byte(brand), u32(0x200), []byte(brand+"isom"))
	out := append(ftyp, mp4Box("mdat", make([]byte, mdatLen))...)
	if timescale != 0 {
		out = append(out, mp4Box("moov", mvhdBox(timescale, duration))...)
	}
	return out
}

// mp3File is a CBR 128 kbit/s, 44.1 kHz MPEG-1 Layer III stream of n frames without tags:
// header FF FB 90 44 and 417-byte frames, padded to 418 bytes as an encoder does to keep the
// average at 417.96 bytes.
func mp3File(n int) []byte {
	var buf bytes.Buffer
	rest := 0
	for range n {
		rest += 144 * 128000 % 44100
		size, pad := 417, byte(0)
		if rest >= 44100 {
			rest -= 44100
			size, pad = 418, 0x02
		}
		frame := make([]byte, size)
		copy(frame, []byte{0xFF, 0xFB, 0x90 | pad, 0x44})
		buf.Write(frame)
	}
	return buf.Bytes()
}

// mp3Seconds is the duration of mp3File(n).
func mp3Seconds(n int) int64 {
	d := time.Duration(int64(n) * 1152 * int64(time.Second) / 44100)
	return int64(d.Round(time.Second) / time.Second)
}

// pdfFile is a small uncompressed PDF whose page tree says /Count pages.
func pdfFile(pages int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	b.WriteString("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
	kids := ""
	for i := range pages {
		kids += fmt.Sprintf("%d 0 R ", 3+i)
	}
	fmt.Fprintf(&b, "2 0 obj\n<< /Type /Pages /Kids [%s] /Count %d >>\nendobj\n", kids, pages)
	for i := range pages {
		fmt.Fprintf(&b, "%d 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n", 3+i)
	}
	b.WriteString("trailer\n<< /Root 1 0 R >>\n%%EOF\n")
	return b.Bytes()
}

// exeFile starts like a Windows executable (MZ header, PE signature).
func exeFile(size int) []byte {
	b := make([]byte, size)
	copy(b, "MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff")
	binary.LittleEndian.PutUint32(b[0x3c:], 0x80)
	copy(b[0x80:], "PE\x00\x00\x4c\x01")
	copy(b[0x4e:], "This program cannot be run in DOS mode.")
	return b
}

// webmFile starts like a WebM video (EBML header with DocType "webm").
func webmFile(size int) []byte {
	b := make([]byte, size)
	copy(b, "\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08"+
		"\x42\x82\x84webm\x42\x87\x81\x02\x42\x85\x81\x02")
	return b
}

// wavFile starts like a RIFF/WAVE audio file.
func wavFile(size int) []byte {
	b := make([]byte, size)
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(size-8))
	copy(b[8:], "WAVEfmt ")
	return b
}

// TestFixturesSniff pins what the content sniffer makes of the fixtures, so a failing upload
// test points at the code under test rather than at a fixture.
func TestFixturesSniff(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"mp4", mp4File("isom", 1000, 12345, 64), "video/mp4"},
		{"m4a", mp4File("M4A ", 44100, 44100*7, 64), "audio/x-m4a"},
		{"mp3", mp3File(40), "audio/mpeg"},
		{"pdf", pdfFile(3), "application/pdf"},
		{"webm", webmFile(256), "video/webm"},
		{"wav", wavFile(256), "audio/wav"},
	}
	for _, tt := range tests {
		if got := media.Sniff(tt.data); got != tt.want {
			t.Errorf("%s sniffed as %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := media.Sniff(exeFile(512)); got == "video/mp4" || got == "audio/mpeg" || got == "application/pdf" {
		t.Errorf("exe sniffed as %q", got)
	}
}
