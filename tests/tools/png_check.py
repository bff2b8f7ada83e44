#!/usr/bin/python3
"""png_check.py FILE.png [--min-colours N] [--min-ink F] [--min-spread F]:
is a rendered picture more than a blank page? Decodes the PNG with zlib
alone (8-bit greyscale, RGB, RGBA, grey+alpha or palette, not interlaced:
what Chromium writes), takes the most common colour as the background and
checks: at least N distinct colours, at least a share F of the pixels
differing from the background by more than 24 in some channel ("ink"), and
ink spread over at least a share S of the width and of the height (not a
lone corner). Prints the numbers; exits 1 if a check fails or the file is
not a PNG this reads."""
import argparse
import collections
import struct
import sys
import zlib


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, palette = 8, [], None
    width = height = depth = ctype = interlace = None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = [tuple(body[i:i + 3]) for i in range(0, len(body), 3)]
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if width is None or not idat:
        raise ValueError("no IHDR or IDAT chunk")
    if depth != 8 or interlace:
        raise ValueError(f"bit depth {depth}, interlace {interlace}: not read here")
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        base = y * (stride + 1)
        ftype, line = raw[base], bytearray(raw[base + 1:base + 1 + stride])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 255
            elif ftype == 4:
                line[i] = (line[i] + paeth(a, b, c)) & 255
        rows.append(line)
        prev = line
    pixels = []
    for line in rows:
        row = []
        for x in range(width):
            p = line[x * channels:(x + 1) * channels]
            if ctype == 0:
                row.append((p[0], p[0], p[0]))
            elif ctype == 4:
                row.append((p[0], p[0], p[0]))
            elif ctype == 3:
                row.append(palette[p[0]])
            else:
                row.append(tuple(p[:3]))
        pixels.append(row)
    return width, height, pixels


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("png")
    ap.add_argument("--min-colours", type=int, default=8)
    ap.add_argument("--min-ink", type=float, default=0.01, help="share of non-background pixels")
    ap.add_argument("--min-spread", type=float, default=0.5, help="share of width and height the ink spans")
    o = ap.parse_args()
    try:
        w, h, px = decode(o.png)
    except (OSError, ValueError, KeyError, zlib.error) as e:
        print(f"{o.png}: cannot read: {e}")
        return 1
    counts = collections.Counter(c for row in px for c in row)
    bg = counts.most_common(1)[0][0]
    ink, xs, ys = 0, [], []
    for y, row in enumerate(px):
        for x, c in enumerate(row):
            if max(abs(c[0] - bg[0]), abs(c[1] - bg[1]), abs(c[2] - bg[2])) > 24:
                ink += 1
                xs.append(x)
                ys.append(y)
    share = ink / float(w * h)
    spread_x = (max(xs) - min(xs) + 1) / w if xs else 0
    spread_y = (max(ys) - min(ys) + 1) / h if ys else 0
    problems = []
    if len(counts) < o.min_colours:
        problems.append(f"{len(counts)} colours < {o.min_colours}")
    if share < o.min_ink:
        problems.append(f"ink {share:.4f} < {o.min_ink}")
    if min(spread_x, spread_y) < o.min_spread:
        problems.append(f"ink spans {spread_x:.2f} x {spread_y:.2f} of the picture < {o.min_spread}")
    print(f"{o.png}: {w}x{h}, background rgb{bg}, {len(counts)} colours, ink {100 * share:.1f}%, "
          f"spans {100 * spread_x:.0f}% x {100 * spread_y:.0f}%: " + ("; ".join(problems) or "not blank"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
