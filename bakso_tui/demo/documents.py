"""Synthetic "scans" of civil-registration documents for the demo database.

Each requirement of the catalogue gets a plausible document filled in from a
:class:`Person`: a Kartu Keluarga with its family table, a surat keterangan
kelahiran from a puskesmas, a police loss report, a KTP-el card on a scanned
page, and so on. Files come as native PDFs (text drawn by reportlab), scanned
PDFs (one JPEG image a page), or JPEG/PNG photos. Some are defective on
purpose, as real village scans are: blurred, too dark, photographed sideways,
the wrong document, a page missing, or a small phone photo (too low a
resolution: intake's inspection warns of it, as it would of a village's).

Every page says "CONTOH / SPESIMEN - data fiktif": nobody may mistake demo data
for a real document. The same ``rng`` state gives the same bytes.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from PIL import Image, ImageDraw, ImageFilter, ImageFont

WIDTH, HEIGHT = 827, 1169  # A4 at 100 dpi
DPI = 100
SPECIMEN = "CONTOH / SPESIMEN - data fiktif"
DEFECTS: tuple[str, ...] = ("blurred", "wrong_document", "missing_page", "dark", "rotated",
                            "low_resolution")
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember")


@dataclass(frozen=True)
class Person:
    name: str
    nik: str
    kk_number: str
    birth_date: date
    birth_place: str
    sex: str  # L | P
    address: str
    village: str
    kecamatan: str
    father_name: str = ""
    mother_name: str = ""
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class GeneratedFile:
    filename: str
    media_type: str
    data: bytes
    defect: str | None


@dataclass
class Page:
    title: str
    issuer: list[str]
    fields: list[tuple[str, str]] = field(default_factory=list)
    table: list[list[str]] | None = None
    note: str = ""
    card: bool = False  # an ID card photographed on a page


def tanggal(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def _sex(p: Person) -> str:
    return "LAKI-LAKI" if p.sex == "L" else "PEREMPUAN"


PEMDA = ["PEMERINTAH KABUPATEN LOMBOK TIMUR"]
DUKCAPIL = PEMDA + ["DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL"]


def _pages(kind: str, p: Person, rng: random.Random) -> list[Page]:
    """The pages of one document kind, filled in from `p`."""
    ttl = f"{p.birth_place}, {tanggal(p.birth_date)}"
    today = date(2026, rng.randint(1, 11), rng.randint(1, 28))
    if kind == "kk":
        members = [[p.name, p.nik, _sex(p), p.birth_place, p.birth_date.strftime("%d-%m-%Y"),
                    "KEPALA KELUARGA" if p.sex == "L" else "ISTRI"]]
        for k in range(rng.randint(1, 4)):
            members.append([f"ANAK {k + 1} {p.name.split()[-1].upper()}", f"{p.nik[:6]}{k + 10:02d}0{k + 5}15{k + 1:04d}",
                            rng.choice(["LAKI-LAKI", "PEREMPUAN"]), p.birth_place,
                            f"{k + 10:02d}-0{k + 5}-2015", "ANAK"])
        return [
            Page(f"KARTU KELUARGA No. {p.kk_number}", DUKCAPIL,
                 [("Nama Kepala Keluarga", p.name.upper()), ("Alamat", p.address),
                  ("Desa/Kelurahan", p.village), ("Kecamatan", p.kecamatan),
                  ("Kabupaten", "LOMBOK TIMUR"), ("Provinsi", "NUSA TENGGARA BARAT")],
                 table=[["Nama Lengkap", "NIK", "Jenis Kelamin", "Tempat Lahir", "Tgl Lahir", "Hubungan"]] + members),
            Page(f"KARTU KELUARGA No. {p.kk_number} (lanjutan)", DUKCAPIL,
                 [("Agama", "ISLAM"), ("Pendidikan", rng.choice(["SLTA/SEDERAJAT", "SD", "DIPLOMA IV/S1"])),
                  ("Pekerjaan", rng.choice(["PETANI/PEKEBUN", "WIRASWASTA", "NELAYAN", "GURU"])),
                  ("Status Perkawinan", "KAWIN"), ("Nama Ayah", p.father_name), ("Nama Ibu", p.mother_name),
                  ("Dikeluarkan tanggal", tanggal(today))],
                 note="Kepala Dinas Kependudukan dan Pencatatan Sipil"),
        ]
    if kind == "ktp_el":
        return [Page("PROVINSI NUSA TENGGARA BARAT - KABUPATEN LOMBOK TIMUR", [],
                     [("NIK", p.nik), ("Nama", p.name.upper()), ("Tempat/Tgl Lahir", ttl),
                      ("Jenis Kelamin", _sex(p)), ("Alamat", p.address), ("Kel/Desa", p.village),
                      ("Kecamatan", p.kecamatan), ("Agama", "ISLAM"), ("Status Perkawinan", "KAWIN"),
                      ("Pekerjaan", "WIRASWASTA"), ("Kewarganegaraan", "WNI"), ("Berlaku Hingga", "SEUMUR HIDUP")],
                     card=True)]
    if kind == "bukti_kelahiran":
        place = rng.choice(["PUSKESMAS " + p.kecamatan.upper(), "RSUD Dr. R. SOEDJONO SELONG", "BIDAN PRAKTIK MANDIRI"])
        return [Page("SURAT KETERANGAN KELAHIRAN", PEMDA + ["DINAS KESEHATAN", place],
                     [("Nama Bayi", p.name.upper()), ("Jenis Kelamin", _sex(p)), ("Tempat Lahir", p.birth_place),
                      ("Tanggal Lahir", tanggal(p.birth_date)), ("Pukul", f"{rng.randint(0, 23):02d}.{rng.randint(0, 59):02d} WITA"),
                      ("Berat / Panjang", f"{rng.randint(26, 40) / 10:.1f} kg / {rng.randint(45, 52)} cm"),
                      ("Nama Ayah", p.father_name), ("Nama Ibu", p.mother_name), ("Alamat", f"{p.address}, {p.village}")],
                     note="Bidan / Dokter yang menolong")]
    if kind == "surat_kematian":
        return [Page("SURAT KETERANGAN KEMATIAN", PEMDA + [f"KECAMATAN {p.kecamatan.upper()}", f"DESA {p.village.upper()}"],
                     [("Nama", p.name.upper()), ("NIK", p.nik), ("Tempat/Tgl Lahir", ttl), ("Jenis Kelamin", _sex(p)),
                      ("Alamat", p.address), ("Meninggal tanggal", tanggal(today)), ("Sebab", "SAKIT"),
                      ("Tempat", "RUMAH")], note="Kepala Desa")]
    if kind in FORMS:
        titles = FORMS
        return [
            Page(titles[kind], DUKCAPIL,
                 [("I. DATA PELAPOR", ""), ("Nama", p.name.upper()), ("NIK", p.nik), ("Nomor KK", p.kk_number),
                  ("Kewarganegaraan", "WNI"), ("II. DATA SUBJEK", ""), ("Nama", p.name.upper()),
                  ("Tempat/Tgl Lahir", ttl), ("Alamat", f"{p.address}, {p.village}, {p.kecamatan}")]),
            Page(titles[kind] + " (halaman belakang)", DUKCAPIL,
                 [("III. SAKSI I", p.father_name or "-"), ("IV. SAKSI II", p.mother_name or "-"),
                  ("Tempat/tanggal", f"{p.village}, {tanggal(today)}")], note="Pelapor"),
        ]
    if kind == "bukti_perkawinan":
        # The wedding after the applicant turned 19, and the book numbered in its year.
        wed = date(rng.randint(min(p.birth_date.year + 19, 2025), 2025), rng.randint(1, 12),
                   rng.randint(1, 28))
        roman = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
        return [
            Page("BUKU NIKAH - KUTIPAN AKTA NIKAH", ["KEMENTERIAN AGAMA REPUBLIK INDONESIA",
                                                     f"KANTOR URUSAN AGAMA KECAMATAN {p.kecamatan.upper()}"],
                 [("Nomor", f"{rng.randint(100, 999)}/{rng.randint(10, 99)}/{roman[wed.month - 1]}/{wed.year}"),
                  ("Suami", p.father_name if p.sex == "P" else p.name), ("Istri", p.name if p.sex == "P" else p.mother_name),
                  ("Tanggal akad", tanggal(wed)),
                  ("Mas kawin", "SEPERANGKAT ALAT SHALAT")], note="Penghulu / Kepala KUA"),
            Page("BUKU NIKAH (halaman 2)", ["KEMENTERIAN AGAMA REPUBLIK INDONESIA"],
                 [("Wali", p.father_name or "-"), ("Saksi", "2 (dua) orang")]),
        ]
    if kind == "akta_kelahiran":
        return [Page("KUTIPAN AKTA KELAHIRAN", ["REPUBLIK INDONESIA"] + DUKCAPIL,
                     [("Nomor", f"5203-LT-{rng.randint(10000000, 99999999)}-{rng.randint(1000, 9999)}"),
                      ("Bahwa di", p.birth_place), ("pada tanggal", tanggal(p.birth_date)),
                      ("telah lahir", p.name.upper()), ("anak ke", str(rng.randint(1, 4))),
                      ("dari ayah", p.father_name), ("dan ibu", p.mother_name)], note="Kepala Dinas")]
    if kind == "akta_perceraian":
        return [Page("KUTIPAN AKTA PERCERAIAN", DUKCAPIL,
                     [("Nomor", f"5203-CR-{rng.randint(1000000, 9999999)}"), ("Nama", p.name.upper()),
                      ("Putusan Pengadilan", f"No. {rng.randint(100, 999)}/Pdt.G/2025/PA.Sel")], note="Kepala Dinas")]
    if kind == "skpwni":
        return [Page("SURAT KETERANGAN PINDAH WARGA NEGARA INDONESIA", ["PEMERINTAH KABUPATEN LOMBOK TENGAH",
                                                                        "DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL"],
                     [("Nomor", f"5202/SKPWNI/{rng.randint(1000, 9999)}/2026"), ("NIK", p.nik), ("Nama", p.name.upper()),
                      ("Alamat asal", "Praya, Lombok Tengah"), ("Alamat tujuan", f"{p.address}, {p.village}"),
                      ("Alasan pindah", "PEKERJAAN")], note="Kepala Dinas")]
    if kind == "surat_kehilangan":
        return [Page("SURAT TANDA PENERIMAAN LAPORAN KEHILANGAN",
                     ["KEPOLISIAN NEGARA REPUBLIK INDONESIA", "DAERAH NUSA TENGGARA BARAT",
                      f"SEKTOR {p.kecamatan.upper()}"],
                     [("Nomor", f"STPL/{rng.randint(10, 999)}/XI/2026/Sek"), ("Nama pelapor", p.name.upper()),
                      ("NIK", p.nik), ("Barang hilang", rng.choice(["1 (satu) lembar KTP-el", "1 (satu) lembar Kartu Keluarga"])),
                      ("Waktu", tanggal(today))], note="KA SPKT")]
    if kind == "dokumen_rusak":
        pages = _pages(rng.choice(["kk", "ktp_el"]), p, rng)[:1]
        pages[0].note = "(dokumen rusak: sobek dan basah)"
        return pages
    if kind == "pas_foto":
        return [Page("PAS FOTO 2×3", [], [("Nama", p.name.upper())], note="photos")]
    if kind == "bukti_perubahan_data":
        return [Page("IJAZAH SEKOLAH MENENGAH ATAS", ["KEMENTERIAN PENDIDIKAN DASAR DAN MENENGAH"],
                     [("Nama", p.name.upper()), ("Tempat/Tgl Lahir", ttl),
                      ("Nomor Induk Siswa Nasional", f"00{rng.randint(10000000, 99999999)}"),
                      ("Dinyatakan", "LULUS")], note="Kepala Sekolah")]
    if kind in STATEMENTS:
        title, issuer, what = STATEMENTS[kind]
        return [Page(title, issuer(p), [("Nama", p.name.upper()), ("NIK", p.nik),
                                         ("Alamat", f"{p.address}, {p.village}"), ("Perihal", what),
                                         ("Tanggal", tanggal(today))], note="Yang menyatakan")]
    raise ValueError(f"unknown requirement: {kind}")


FORMS = {
    "formulir_f201": "FORMULIR PELAPORAN PENCATATAN SIPIL DI DALAM WILAYAH NKRI (F-2.01)",
    "formulir_f102": "FORMULIR PENDAFTARAN PERISTIWA KEPENDUDUKAN (F-1.02)",
    "formulir_f103": "FORMULIR PENDAFTARAN PERPINDAHAN PENDUDUK (F-1.03)",
    "formulir_f105": "SURAT PERNYATAAN TANGGUNG JAWAB MUTLAK PERKAWINAN/PERCERAIAN BELUM TERCATAT (F-1.05)",
    "formulir_f106": "FORMULIR PERUBAHAN ELEMEN DATA KEPENDUDUKAN (F-1.06)",
}
# Documents drawn as one page of a statement or letter: (title, issuer, subject).
STATEMENTS = {
    "kia": ("KARTU IDENTITAS ANAK", lambda p: DUKCAPIL, "KIA lama"),
    "akta_kematian": ("KUTIPAN AKTA KEMATIAN", lambda p: ["REPUBLIK INDONESIA"] + DUKCAPIL,
                      "Kematian kepala keluarga"),
    "putusan_pengadilan": ("SALINAN PUTUSAN", lambda p: ["PENGADILAN NEGERI SELONG"],
                           "Perceraian, berkekuatan hukum tetap"),
    "surat_pemuka_agama": ("SURAT KETERANGAN PERKAWINAN", lambda p: ["PEMUKA AGAMA"],
                           "Telah terjadi perkawinan"),
    "pas_foto_pasangan": ("PAS FOTO SUAMI ISTRI 4×6", lambda p: [], "Foto berdampingan"),
    "surat_tidak_keberatan": ("SURAT PERNYATAAN TIDAK KEBERATAN", lambda p: [],
                              "Tidak keberatan ditumpangi"),
    "surat_pernyataan_wali": ("SURAT PERNYATAAN WALI", lambda p: [],
                              "Bersedia menjadi wali anak yang tidak ikut pindah"),
}
REQUIREMENT_KINDS: tuple[str, ...] = (
    "bukti_kelahiran", "bukti_perkawinan", "kk", "ktp_el", "surat_kematian", "akta_kelahiran",
    "akta_perceraian", "skpwni", "surat_kehilangan", "dokumen_rusak", "pas_foto",
    "bukti_perubahan_data", *FORMS, *STATEMENTS,
)


@cache
def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


@cache
def _noise() -> Image.Image:
    """Sensor noise, made once from a fixed seed (so the bytes stay deterministic)."""
    rnd = random.Random(0)
    return Image.frombytes("L", (WIDTH + 64, HEIGHT + 64), rnd.randbytes((WIDTH + 64) * (HEIGHT + 64)))


def _draw_page(page: Page, number: int, total: int, rng: random.Random) -> Image.Image:
    """One page as a grey "scan"."""
    tint = rng.randint(232, 250)
    img = Image.new("L", (WIDTH, HEIGHT), tint)
    d = ImageDraw.Draw(img)
    ink = rng.randint(10, 50)
    y = 50
    for line in page.issuer:
        w = d.textlength(line, font=_font(18))
        d.text(((WIDTH - w) / 2, y), line, fill=ink, font=_font(18))
        y += 24
    if page.issuer:
        d.line((60, y + 6, WIDTH - 60, y + 6), fill=ink, width=3)
        y += 24
    if page.card:
        x0, y0 = 120, 220
        d.rounded_rectangle((x0, y0, x0 + 590, y0 + 370), radius=18, fill=min(255, tint - 25), outline=ink, width=2)
        d.text((x0 + 20, y0 + 12), page.title, fill=ink, font=_font(15))
        yy = y0 + 44
        for label, value in page.fields:
            d.text((x0 + 20, yy), f"{label:<18}: {value}", fill=ink, font=_font(14))
            yy += 26
        d.rectangle((x0 + 450, y0 + 70, x0 + 560, y0 + 220), outline=ink, width=2, fill=tint - 60)
        d.ellipse((x0 + 480, y0 + 90, x0 + 530, y0 + 145), fill=tint - 120)
        d.rectangle((x0 + 470, y0 + 150, x0 + 540, y0 + 215), fill=tint - 120)
    else:
        w = d.textlength(page.title, font=_font(20))
        d.text(((WIDTH - w) / 2, y), page.title, fill=ink, font=_font(20))
        y += 50
        if page.note == "photos":
            for k in range(4):
                x = 100 + k * 160
                d.rectangle((x, y, x + 120, y + 180), fill=rng.choice([90, 150]))
                d.ellipse((x + 30, y + 30, x + 90, y + 100), fill=220)
                d.rectangle((x + 20, y + 110, x + 100, y + 180), fill=220)
            y += 220
        for label, value in page.fields:
            d.text((80, y), label, fill=ink, font=_font(16))
            d.text((330, y), f": {value}" if value else "", fill=ink, font=_font(16))
            y += 30
        if page.table:
            y += 10
            cols = [80, 250, 420, 520, 620, 700]
            for r, row in enumerate(page.table):
                d.line((70, y - 4, WIDTH - 60, y - 4), fill=ink)
                for c, cell in enumerate(row):
                    d.text((cols[c], y), cell[:22], fill=ink, font=_font(11 if r else 12))
                y += 22
            d.line((70, y - 4, WIDTH - 60, y - 4), fill=ink)
        if page.note and page.note != "photos":
            y = max(y + 40, HEIGHT - 300)
            d.text((WIDTH - 330, y), page.note, fill=ink, font=_font(15))
            d.ellipse((WIDTH - 320, y + 30, WIDTH - 200, y + 150), outline=rng.randint(60, 120), width=3)
            d.line((WIDTH - 330, y + 170, WIDTH - 90, y + 170), fill=ink)
    footer = f"{SPECIMEN} · Halaman {number} dari {total}"
    d.text((60, HEIGHT - 40), footer, fill=ink, font=_font(12))
    # A scan is never straight nor clean.
    img = img.rotate(rng.uniform(-1.2, 1.2), resample=Image.Resampling.NEAREST, fillcolor=tint)
    dx, dy = rng.randrange(64), rng.randrange(64)
    noise = _noise().crop((dx, dy, dx + WIDTH, dy + HEIGHT))
    return Image.blend(img, noise, 0.04)


def _apply(img: Image.Image, defect: str | None) -> Image.Image:
    if defect == "blurred":
        return img.filter(ImageFilter.GaussianBlur(4.5))
    if defect == "dark":
        return img.point(lambda v: int(v * 0.3))
    if defect == "rotated":
        return img.rotate(90, expand=True)
    if defect == "low_resolution":  # a small phone photo: about 40 dpi on A4
        return img.resize((img.width * 2 // 5, img.height * 2 // 5))
    return img


def _jpeg(img: Image.Image, quality: int = 50) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, dpi=(DPI, DPI), optimize=False)
    return buf.getvalue()


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.point(lambda v: v & 0xF0).save(buf, "PNG", dpi=(DPI, DPI), compress_level=6)
    return buf.getvalue()


def _pdf(pages: list[Page], images: list[Image.Image] | None) -> bytes:
    """A native PDF (text drawn) or, with `images`, a scanned one (an image a page)."""
    from reportlab import rl_config
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    rl_config.useA85 = 0  # binary streams: smaller and much faster than ASCII85
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1, pageCompression=1)
    c.setTitle(pages[0].title)
    c.setAuthor("bakso demo")
    w, h = A4
    for i, page in enumerate(pages):
        if images is not None:
            c.drawImage(ImageReader(io.BytesIO(_jpeg(images[i]))), 0, 0, width=w, height=h)
        else:
            y = h - 60
            for line in page.issuer:
                c.setFont("Helvetica-Bold", 11)
                c.drawCentredString(w / 2, y, line)
                y -= 15
            c.setFont("Helvetica-Bold", 13)
            c.drawCentredString(w / 2, y - 15, page.title)
            y -= 50
            c.setFont("Helvetica", 10)
            for label, value in page.fields:
                c.drawString(60, y, label)
                c.drawString(220, y, f": {value}" if value else "")
                y -= 16
            for row in page.table or []:
                for k, cell in enumerate(row):
                    c.drawString(50 + k * 85, y, cell[:18])
                y -= 14
            if page.note and page.note != "photos":
                c.drawString(w - 230, 150, page.note)
                c.circle(w - 170, 110, 30)
            c.setFont("Helvetica-Oblique", 8)
            c.drawString(40, 30, f"{SPECIMEN} · Halaman {i + 1} dari {len(pages)}")
        c.showPage()
    c.save()
    return buf.getvalue()


def render_requirement(
    requirement_id: str,
    person: Person,
    *,
    rng: random.Random,
    fmt: str | None = None,
    defect: str | None = None,
) -> GeneratedFile:
    """A document for `requirement_id`, about `person`, as PDF, JPEG or PNG."""
    if requirement_id not in REQUIREMENT_KINDS:
        raise ValueError(f"unknown requirement: {requirement_id}")
    if defect is not None and defect not in DEFECTS:
        raise ValueError(f"unknown defect: {defect}")
    fmt = fmt or rng.choices(["pdf", "jpeg", "png"], weights=[6, 5, 1])[0]
    kind = requirement_id
    if defect == "wrong_document":
        kind = rng.choice([k for k in REQUIREMENT_KINDS if k not in (requirement_id, "dokumen_rusak")])
    pages = _pages(kind, person, rng)
    total = len(pages)
    if defect == "missing_page":
        if total == 1:  # a one-page document photographed twice, the second lost
            pages = pages * 2
            total = 2
        drop = rng.randrange(1, total) if total > 1 else 0
        numbered = [(i + 1, pg) for i, pg in enumerate(pages) if i != drop]
    else:
        numbered = [(i + 1, pg) for i, pg in enumerate(pages)]
    if fmt == "pdf" and rng.random() < 0.45 and defect in (None, "wrong_document", "missing_page"):
        data = _pdf([pg for _, pg in numbered], None)
        if defect == "missing_page":  # page numbers of the native PDF show the gap too
            data = _pdf_numbered(numbered, total)
        return GeneratedFile(f"{requirement_id}.pdf", "application/pdf", data, defect)
    images = [_apply(_draw_page(pg, n, total, rng), defect) for n, pg in numbered]
    if fmt == "pdf":
        return GeneratedFile(f"{requirement_id}.pdf", "application/pdf",
                             _pdf([pg for _, pg in numbered], images), defect)
    if fmt == "png":
        return GeneratedFile(f"{requirement_id}.png", "image/png", _png(images[0]), defect)
    return GeneratedFile(f"{requirement_id}.jpg", "image/jpeg", _jpeg(images[0]), defect)


def _pdf_numbered(numbered: list[tuple[int, Page]], total: int) -> bytes:
    """A native PDF whose footers keep the original page numbers (so a gap shows)."""
    renumbered = []
    for n, pg in numbered:
        renumbered.append(Page(pg.title, pg.issuer, pg.fields, pg.table,
                               (pg.note + f" [hal. {n}/{total}]").strip(), pg.card))
    return _pdf(renumbered, None)
