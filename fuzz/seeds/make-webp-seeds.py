"""Writes the extended-WebP seeds of fuzz/seeds/derive (VP8X with ICCP, EXIF and XMP
chunks around the image data of the simple seeds), so the fuzzer starts from files whose
metadata chunks the header walk slices, checks for markup and reads EXIF from.

Run from the repository root: python3 fuzz/seeds/make-webp-seeds.py (standard library only).
"""

import pathlib
import struct

seeds = pathlib.Path(__file__).with_name("derive")


def chunk(kind: bytes, data: bytes) -> bytes:
    pad = b"\0" if len(data) % 2 else b""
    return kind + struct.pack("<I", len(data)) + data + pad


def tiff_orientation(value: int) -> bytes:
    # Big-endian TIFF, IFD0 with Orientation and Make.
    make = b"Pixel\0"
    ifd = struct.pack(">H", 2)
    ifd += struct.pack(">HHII", 0x010F, 2, len(make), 8 + 2 + 24 + 4)
    ifd += struct.pack(">HHIHH", 0x0112, 3, 1, value, 0)
    ifd += struct.pack(">I", 0)
    return b"MM\0\x2a" + struct.pack(">I", 8) + ifd + make


def fake_icc() -> bytes:
    # A profile header's shape; the pipeline copies profiles, it never parses them.
    body = b"lcms\x02\x10\0\0mntrRGB XYZ " + bytes(range(48, 48 + 84))
    return struct.pack(">I", 4 + len(body)) + body


XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>'
    b'<?xpacket end="w"?>'
)


def extended(simple: bytes, flags_extra: int = 0) -> bytes:
    image = simple[12:]  # the VP8 or VP8L chunk
    kind = image[:4]
    if kind == b"VP8L":
        bits = int.from_bytes(image[9:13], "little")
        width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    else:
        width = int.from_bytes(image[14:16], "little") & 0x3FFF
        height = int.from_bytes(image[16:18], "little") & 0x3FFF
    flags = 0x20 | 0x08 | 0x04 | flags_extra  # ICC, EXIF, XMP
    vp8x = bytes([flags, 0, 0, 0]) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    body = (
        b"WEBP"
        + chunk(b"VP8X", vp8x)
        + chunk(b"ICCP", fake_icc())
        + image
        + chunk(b"EXIF", tiff_orientation(6))
        + chunk(b"XMP ", XMP)
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


for name in ["lossless", "lossy"]:
    simple = (seeds / f"{name}.webp").read_bytes()
    out = seeds / f"{name}-exif-icc.webp"
    out.write_bytes(extended(simple))
    print(out, len(out.read_bytes()))
