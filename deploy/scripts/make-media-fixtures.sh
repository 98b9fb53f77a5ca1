#!/usr/bin/env bash
# Regenerates the committed media fixtures in pkg/media/testdata (the Go probe tests and the
# browser tests use them). Run once by hand when they must change; CI never runs it, so ffmpeg
# is needed only here: apt-get install -y ffmpeg.
#   lesson.mp4  4 s, 160x120 H.264 baseline + AAC mono, moov first (plays while it downloads)
#   lesson.mp3  4 s MPEG-1 layer III mono, 32 kbit/s
#   lesson.pdf  2 A5 pages of vector text and shapes (written by this script, no tool)
set -euo pipefail
out="$(cd "$(dirname "$0")/../.." && pwd)/pkg/media/testdata"
mkdir -p "$out"
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i testsrc=size=160x120:rate=15:duration=4 -f lavfi -i sine=frequency=440:duration=4 \
  -c:v libx264 -profile:v baseline -level 3.0 -pix_fmt yuv420p -crf 36 -g 30 \
  -c:a aac -b:a 32k -ac 1 -ar 22050 -movflags +faststart -map_metadata -1 -fflags +bitexact \
  -flags:v +bitexact -flags:a +bitexact "$out/lesson.mp4"
ffmpeg -hide_banner -loglevel error -y -f lavfi -i sine=frequency=523:duration=4 \
  -c:a libmp3lame -b:a 32k -ac 1 -ar 22050 -map_metadata -1 -write_xing 0 -id3v2_version 0 "$out/lesson.mp3"
python3 - "$out/lesson.pdf" <<'PY'
import sys
pages = []
for n, colour in ((1, "0.8 0.1 0.1"), (2, "0.1 0.3 0.7")):
    pages.append(f"{colour} rg 40 420 340 120 re f 0 0 0 rg BT /F1 28 Tf 60 300 Td (Vanguard lesson) Tj ET "
                 f"BT /F1 20 Tf 60 250 Td (Page {n} of 2) Tj ET")
objs = ["<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 >>"]
for i, content in enumerate(pages):
    page_obj, stream_obj = 3 + 2 * i, 4 + 2 * i
    objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 595] /Contents {stream_obj} 0 R "
                "/Resources << /Font << /F1 7 0 R >> >> >>")
    objs.append(f"<< /Length {len(content)} >>\nstream\n{content}\nendstream")
objs.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
body, offsets = "%PDF-1.4\n", []
for i, o in enumerate(objs, 1):
    offsets.append(len(body))
    body += f"{i} 0 obj\n{o}\nendobj\n"
xref = len(body)
body += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n" + "".join(f"{o:010d} 00000 n \n" for o in offsets)
body += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
open(sys.argv[1], "w", encoding="latin-1").write(body)
PY
ls -l "$out"
