"""Hostile and broken files, made on the fly for the tests (nothing binary is committed)."""

from __future__ import annotations

import io
import zlib
from functools import cache


def _write_pdf(objs: list[bytes]) -> bytes:
    """A PDF file of numbered objects (1 is the catalog), with its xref table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


def pdf_with_content(stream: bytes, *, filtered: bool = True, extra_objects: str = "") -> bytes:
    """A minimal one-page PDF whose content stream is `stream` (already compressed if filtered)."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>",
        b"<< /Length %d%s >>\nstream\n" % (len(stream), b" /Filter /FlateDecode" if filtered else b"")
        + stream + b"\nendstream",
    ]
    return _write_pdf(objs)


@cache
def zlib_bomb(decompressed: int = 1024**3) -> bytes:
    """`decompressed` bytes of zeros, deflated (1 GB becomes about 1 MB)."""
    comp = zlib.compressobj(9)
    chunk = b"\0" * (16 * 1024 * 1024)
    parts = []
    left = decompressed
    while left > 0:
        n = min(left, len(chunk))
        parts.append(comp.compress(chunk[:n]))
        left -= n
    parts.append(comp.flush())
    return b"".join(parts)


@cache
def pdf_bomb() -> bytes:
    return pdf_with_content(zlib_bomb())


def text_pdf(text: str = "Surat Keterangan Kelahiran", pages: int = 2) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    for i in range(pages):
        c.drawString(72, 720, f"{text} — halaman {i + 1}")
        c.showPage()
    c.save()
    return buf.getvalue()


@cache
def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf())))
    writer.encrypt(user_password="rahasia", owner_password="pemilik", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def truncated_pdf() -> bytes:
    data = text_pdf(pages=3)
    return data[: len(data) // 3]


@cache
def big_png(width: int = 10_000, height: int = 10_000) -> bytes:
    """A 100-megapixel PNG (1-bit, so it is quick to make)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("1", (width, height), 1).save(buf, "PNG", optimize=False)
    return buf.getvalue()


def pdf_with_huge_image(width: int = 20_000, height: int = 20_000) -> bytes:
    """A PDF page drawing an image XObject that declares width×height pixels."""
    data = zlib.compress(b"\xff" * 1024)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /XObject << /Im0 5 0 R >> >> >>",
        b"<< /Length 33 >>\nstream\nq 595 0 0 842 0 0 cm /Im0 Do Q\nendstream",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n" % (width, height, len(data))
        + data + b"\nendstream",
    ]
    return _write_pdf(objs)


def jpeg(width: int = 1240, height: int = 1754, color: int = 200, mode: str = "L") -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new(mode, (width, height), color if mode == "L" else (color, color, color))
    ImageDraw.Draw(img).text((100, 100), "KARTU KELUARGA", fill=0 if mode == "L" else (0, 0, 0))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=70, dpi=(150, 150))
    return buf.getvalue()


@cache
def zip_bomb_bytes(decompressed: int = 1024**3) -> bytes:
    """A .zip with one entry of `decompressed` zeros (about 1 MB on the wire)."""
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("submission.json", "w") as fh:
            chunk = b"\0" * (16 * 1024 * 1024)
            left = decompressed
            while left > 0:
                n = min(left, len(chunk))
                fh.write(chunk[:n])
                left -= n
    return buf.getvalue()


def zip_with_entries(n: int) -> bytes:
    """A zip whose central directory really lists `n` empty entries (ZIP64 end
    records when n needs them), written directly: 1,000,000 entries is about 80 MB."""
    import struct

    local, central = bytearray(), bytearray()
    for i in range(n):
        name = b"%x" % i
        offset = len(local)
        local += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0)
        local += name
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0,
                               len(name), 0, 0, 0, 0, 0, offset)
        central += name
    return bytes(local + central + _end_records(n, len(central), len(local)))


def zip_claiming_entries(n: int, cd_size: int | None = None) -> bytes:
    """A one-entry zip whose end records claim `n` entries (and a central directory of
    `cd_size` bytes, 47 a claimed entry by default)."""
    import struct
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("submission.json", b"{}")
    raw = buf.getvalue()[:-22]  # drop the end record (no comment)
    real_cd = struct.unpack_from("<L", buf.getvalue(), len(buf.getvalue()) - 22 + 12)[0]
    cd_offset = len(raw) - real_cd
    return raw + _end_records(n, cd_size if cd_size is not None else 47 * n, cd_offset)


def _end_records(entries: int, cd_size: int, cd_offset: int) -> bytes:
    import struct

    out = b""
    if entries >= 0xFFFF or cd_size >= 0xFFFFFFFF:
        zip64_at = cd_offset + cd_size if cd_size < 0xFFFFFFFF else 0
        out += struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries,
                           cd_size, cd_offset)
        out += struct.pack("<4sLQL", b"PK\x06\x07", 0, zip64_at, 1)
        entries16, size32, offset32 = 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF
    else:
        entries16, size32, offset32 = entries, cd_size, cd_offset
    return out + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, entries16, entries16, size32,
                             offset32, 0)
