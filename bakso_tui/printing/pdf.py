"""The batch PDF: the handover record (Berita Acara Serah Terima), then the receipts.

Drawn with reportlab's platypus: the record's document list is a `Table`
whose header row repeats on every page, the QR code is reportlab's own vector
`QrCodeWidget`; the receipt slips (tanda terima, `receipts.py`) are three to
an A4 page. The two parts are drawn apart
and put together with pypdf. Output is byte-for-byte the same for the same
sheet (reportlab's invariant mode: no creation time or random id), so a
reprint is the same file.

Everything a resident or a village wrote is escaped before it goes into a
paragraph: it is text, never markup.
"""

from __future__ import annotations

import io
import itertools
import logging
import re
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from num2words import num2words
from pypdf import PdfReader, PdfWriter
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing, Group
from reportlab.graphics.shapes import Path as ShapePath
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from bakso_tui.printing.receipts import render_receipts
from bakso_tui.printing.sheets import BatchSheet, Party
from bakso_tui.files import write_private

DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember")
MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN
DOTS = "." * 40

_BASE = ParagraphStyle("base", fontName="Helvetica", fontSize=10, leading=13)
STYLES = {
    "body": ParagraphStyle("body", _BASE, alignment=TA_JUSTIFY, spaceAfter=4),
    "head1": ParagraphStyle("head1", _BASE, fontName="Helvetica-Bold", fontSize=12, leading=15,
                            alignment=TA_CENTER),
    "head2": ParagraphStyle("head2", _BASE, fontName="Helvetica-Bold", fontSize=11.5, leading=14,
                            alignment=TA_CENTER),
    "head3": ParagraphStyle("head3", _BASE, fontSize=8, leading=10, alignment=TA_CENTER),
    "title": ParagraphStyle("title", _BASE, fontName="Helvetica-Bold", fontSize=12, leading=15,
                            alignment=TA_CENTER),
    "center": ParagraphStyle("center", _BASE, alignment=TA_CENTER),
    "cell": ParagraphStyle("cell", _BASE, fontSize=8, leading=9.5),
    "cellb": ParagraphStyle("cellb", _BASE, fontName="Helvetica-Bold", fontSize=8, leading=9.5),
    "small": ParagraphStyle("small", _BASE, fontSize=7.5, leading=9.5),
    "mono": ParagraphStyle("mono", _BASE, fontName="Courier", fontSize=6.5, leading=8.5),
    "sign": ParagraphStyle("sign", _BASE, alignment=TA_CENTER, leading=12),
}


def words(n: int) -> str:
    """A number in Indonesian words, as records write dates: 23 → "dua puluh tiga"."""
    return num2words(n, lang="id")


def date_in_words(day: date) -> str:
    """ "Senin tanggal dua puluh tiga bulan November tahun dua ribu dua puluh enam"."""
    return (f"{DAYS[day.weekday()]} tanggal {words(day.day)} bulan {MONTHS[day.month - 1]} "
            f"tahun {words(day.year)}")


def long_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _p(text: str, style: str = "body") -> Paragraph:
    return Paragraph(text, STYLES[style])


def _t(value: str) -> str:
    """Hostile text, made safe for a paragraph (and never empty)."""
    return escape(value or "")


def _regency(office_name: str) -> str:
    found = re.search(r"\b(Kabupaten|Kota)\s+(.+)$", office_name)
    return f"PEMERINTAH {found.group(1)} {found.group(2)}".upper() if found else ""


class _Rule(Flowable):
    """The letterhead's double line."""

    def __init__(self, width: float) -> None:
        super().__init__()
        self.width, self.height = width, 4

    def draw(self) -> None:
        self.canv.setLineWidth(1.6)
        self.canv.line(0, 3, self.width, 3)
        self.canv.setLineWidth(0.5)
        self.canv.line(0, 0.5, self.width, 0.5)


class _QrWidget(QrCodeWidget):
    """reportlab's QR widget, its dark modules drawn as one path: the widget's own
    drawing makes a validated shape per run of modules (thousands of attribute
    checks, a third of a batch record's drawing time)."""

    def draw(self) -> Group:
        self.qr.make()
        count = self.qr.getModuleCount()
        box = min(self.barWidth, self.barHeight) / (count + 2 * self.barBorder)
        top = self.y + self.barHeight
        path = ShapePath(fillColor=self.barFillColor, strokeColor=None, strokeWidth=0)
        for r, row in enumerate(self.qr.modules):
            c = 0
            for dark, run in itertools.groupby(row):
                n = len(list(run))
                if dark:
                    x0 = self.x + (c + self.barBorder) * box
                    y0 = top - (r + self.barBorder + 1) * box
                    path.moveTo(x0, y0)
                    path.lineTo(x0 + n * box, y0)
                    path.lineTo(x0 + n * box, y0 + box)
                    path.lineTo(x0, y0 + box)
                    path.closePath()
                c += n
        return Group(path)


def qr_drawing(payload: str, size: float = 30 * mm) -> Drawing:
    """The QR code at `size`, given to the widget (asking its bounds would
    encode the payload a second time)."""
    drawing = Drawing(size, size)
    drawing.add(_QrWidget(payload, barLevel="M", barWidth=size, barHeight=size, barBorder=2))
    return drawing


def _letterhead(sheet: BatchSheet) -> list[Flowable]:
    out: list[Flowable] = []
    regency = _regency(sheet.office_name)
    if regency:
        out.append(_p(_t(regency), "head1"))
    out += [
        _p(_t(sheet.office_name.upper()), "head2"),
        _p("Layanan BAKSO (Buat Administrasi Kependudukan Secara Online)", "head3"),
        Spacer(1, 2 * mm), _Rule(WIDTH), Spacer(1, 5 * mm),
    ]
    return out


def _party(no: int, party: Party, label: str) -> Table:
    def value(v: str) -> str:
        return _t(v) if v.strip() else DOTS

    rows = [
        [f"{no}.", "Nama", ":", _p(value(party.name), "body")],
        ["", "Jabatan", ":", _p(value(party.position), "body")],
        ["", "Instansi", ":", _p(_t(party.office), "body")],
        ["", party.id_label, ":", _p(value(party.id_value), "body")],
        ["", _p(f"selanjutnya disebut <b>{label}</b>.", "body"), "", ""],
    ]
    table = Table(rows, colWidths=[8 * mm, 22 * mm, 4 * mm, WIDTH - 34 * mm])
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), "Helvetica", 10),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("SPAN", (1, 4), (3, 4)),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1), ("TOPPADDING", (0, 0), (-1, -1), 1),
    ]))
    return table


def _cell(text: str, width: float, style: str = "cell") -> str | Paragraph:
    """Plain text where each of its lines fits the column, a wrapping paragraph where
    not (a paragraph costs ten times as much to lay out)."""
    st = STYLES[style]
    if all(stringWidth(part, st.fontName, st.fontSize) <= width - 6
           for part in text.split("\n")):
        return text
    return _p(_t(text).replace("\n", "<br/>"), style)


def _documents_table(sheet: BatchSheet) -> Table:
    head = ["No", "Jenis dokumen", "Nomor dokumen", "Nama penduduk", "NIK", "No. pengajuan"]
    fixed = [8 * mm, 0, 29 * mm, 0, 29 * mm, 29 * mm]  # numbers keep their width
    rest = WIDTH - sum(fixed)
    widths = [w or rest * share for w, share in zip(fixed, (0, 0.42, 0, 0.58, 0, 0))]
    rows: list[list] = [[_p(h, "cellb") for h in head]]
    for line in sheet.lines:
        name = _cell(line.resident + (f"\na.n. {line.subject}" if line.subject else ""),
                     widths[3])
        rows.append([
            str(line.no), _cell(line.kind, widths[1]), line.document_number, name,
            line.nik, line.submission,
        ])
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 1), (-1, -1), "Helvetica", 8),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, 1), (0, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table


def _totals_table(sheet: BatchSheet) -> Table:
    rows = [["Jenis dokumen", "Jumlah"]]
    rows += [[kind, str(count)] for kind, count in sheet.totals]
    rows.append(["Jumlah seluruhnya", str(len(sheet.lines))])
    table = Table(rows, colWidths=[70 * mm, 22 * mm], hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), "Helvetica", 8.5),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8.5),
        ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 8.5),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]))
    return table


def _signature(title: str, party: Party) -> list[Paragraph]:
    name = f"<u><b>{_t(party.name)}</b></u>" if party.name.strip() else "(" + DOTS + ")"
    ident = f"{party.id_label}. {_t(party.id_value) or '.' * 30}"
    return [
        _p(title, "sign"), Spacer(1, 14 * mm), _p(name, "sign"), _p(ident, "sign"),
    ]


def _signatures(sheet: BatchSheet) -> list[Flowable]:
    half = WIDTH / 2
    dated = f"{_t(sheet.place)}, {long_date(sheet.record_day)}<br/>"
    head = _signature(f"<br/>Mengetahui,<br/>{_t(sheet.head.position)}", sheet.head)
    if sheet.in_person:  # no village officer signs: the head beside the officer
        rows = [[head, _signature(f"{dated}Yang menyerahkan,<br/><b>PETUGAS</b>", sheet.first)]]
    else:
        rows = [
            [_signature("<br/>Yang menerima,<br/><b>PIHAK KEDUA</b>", sheet.second),
             _signature(f"{dated}Yang menyerahkan,<br/><b>PIHAK PERTAMA</b>", sheet.first)],
            [head, ""],
        ]
    table = Table(rows, colWidths=[half, half])
    style = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 0),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
    if not sheet.in_person:
        style.append(("SPAN", (0, 1), (1, 1)))
    table.setStyle(TableStyle(style))
    return [Spacer(1, 3 * mm), table]


def _anchor(sheet: BatchSheet) -> Table:
    # The labels are what `bakso batch verify` reads back from the PDF's text.
    text = [
        _p(f"<b>Nomor batch:</b> {_t(sheet.number)}", "small"),
        _p(f"Ditutup: {sheet.closed_at:%Y-%m-%d %H:%M} WITA · {len(sheet.lines)} dokumen",
           "small"),
        _p("<b>Sidik daftar (SHA-256):</b>", "small"), _p(sheet.digest, "mono"),
        _p("<b>Kepala rantai audit saat penutupan</b> (waktu, baris ke-, hash; baris jangkar "
           "untuk <font face='Courier'>bakso audit verify --anchor</font>):", "small"),
        _p(_t(sheet.audit_anchor), "mono"),
        _p("Periksa keaslian: <font face='Courier'>bakso batch verify</font> dengan isi kode QR "
           "atau berkas ini.", "small"),
    ]
    table = Table([[qr_drawing(sheet.qr_payload, 25 * mm), text]],
                  colWidths=[29 * mm, WIDTH - 29 * mm])
    table.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    return table


def record_story(sheet: BatchSheet) -> list[Flowable]:
    village = f"{sheet.village_kind} {_t(sheet.village_name)}, Kecamatan {_t(sheet.kecamatan_name)}"
    story = _letterhead(sheet)
    if sheet.in_person:
        story += [
            _p("<u>DAFTAR PENYERAHAN DOKUMEN LANGSUNG KEPADA PENDUDUK</u>", "title"),
            _p(f"Nomor: {_t(sheet.number)}", "center"), Spacer(1, 5 * mm),
            _p(f"Dokumen berikut diserahkan <b>langsung kepada penduduk</b> {village}, "
               f"pada hari layanan keliling "
               f"{_service_day(sheet)}, setelah identitas penerima dicocokkan. Setiap penduduk "
               "menandatangani tanda terima terlampir."),
            _party(1, sheet.first, "PETUGAS"), Spacer(1, 2 * mm),
        ]
    else:
        story += [
            _p("<u>BERITA ACARA SERAH TERIMA DOKUMEN KEPENDUDUKAN</u>", "title"),
            _p(f"Nomor: {_t(sheet.number)}", "center"), Spacer(1, 5 * mm),
            _p(f"Pada hari ini {date_in_words(sheet.record_day)}, bertempat di "
               f"{_t(sheet.place)}, kami yang bertanda tangan di bawah ini:"),
            _party(1, sheet.first, "PIHAK PERTAMA"), Spacer(1, 2 * mm),
            _party(2, sheet.second, "PIHAK KEDUA"), Spacer(1, 2 * mm),
            _p("PIHAK PERTAMA menyerahkan kepada PIHAK KEDUA, dan PIHAK KEDUA menerima dari "
               f"PIHAK PERTAMA, dokumen kependudukan hasil layanan BAKSO bagi penduduk {village}, "
               f"sebanyak {len(sheet.lines)} ({words(len(sheet.lines))}) dokumen dengan rincian "
               "sebagai berikut:"),
        ]
    story += [
        _documents_table(sheet), Spacer(1, 3 * mm),
        KeepTogether([_p("<b>Rekapitulasi</b>"), _totals_table(sheet)]), Spacer(1, 4 * mm),
    ]
    # The closing words, the signatures and the verification box stay on one page:
    # a page of signatures alone, or a box parted from them, invites a swapped page.
    if sheet.in_person:
        closing = _p("Dokumen diserahkan tanpa dipungut biaya apa pun (UU 24/2013 Pasal 79A). "
                     "Demikian daftar ini dibuat untuk dipergunakan sebagaimana mestinya.")
    else:
        closing = _p(
            "PIHAK KEDUA selanjutnya menyerahkan setiap dokumen kepada penduduk yang bersangkutan "
            "dengan tanda terima terlampir, tanpa dipungut biaya apa pun (UU 24/2013 Pasal 79A). "
            "Demikian berita acara ini dibuat dalam rangkap dua, masing-masing untuk PIHAK "
            "PERTAMA dan PIHAK KEDUA, untuk dipergunakan sebagaimana mestinya.")
    story.append(KeepTogether([closing, *_signatures(sheet), Spacer(1, 3 * mm), _anchor(sheet)]))
    return story


def _service_day(sheet: BatchSheet) -> str:
    if sheet.service_day is None:
        return "berikutnya (tanggal menyusul)"
    return f"tanggal {long_date(sheet.service_day)}"


def _footer(number: str):
    def draw(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.grey)
        canvas.drawString(MARGIN, 10 * mm, number)
        canvas.drawRightString(A4[0] - MARGIN, 10 * mm, f"Halaman {doc.page}")
        canvas.restoreState()

    return draw


def _build(story: list[Flowable], templates: list[PageTemplate], title: str) -> bytes:
    out = io.BytesIO()
    doc = BaseDocTemplate(out, pagesize=A4, title=title, author="BAKSO", invariant=1,
                          leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                          bottomMargin=MARGIN)
    doc.addPageTemplates(templates)
    doc.build(story)
    return out.getvalue()


def render_record(sheet: BatchSheet) -> bytes:
    frame = Frame(MARGIN, MARGIN, WIDTH, A4[1] - 2 * MARGIN, id="record")
    return _build(record_story(sheet), [PageTemplate("record", [frame],
                                                     onPage=_footer(sheet.number))],
                  f"Berita Acara Serah Terima {sheet.number}")


def render_batch(sheet: BatchSheet) -> bytes:
    """The whole batch: the record's pages, then the receipt pages."""
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(render_record(sheet))))
    if sheet.receipts:
        writer.append(PdfReader(io.BytesIO(render_receipts(sheet))))
    writer.add_metadata({"/Title": f"Batch {sheet.number}", "/Producer": "BAKSO (reportlab, pypdf)",
                         "/Subject": sheet.qr_payload})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_name(number: str) -> str:
    """``BAST/52.03.01.2001/20261123/1`` → ``BAST_52.03.01.2001_20261123_1.pdf``."""
    return number.replace("/", "_") + ".pdf"


def write_batch_pdf(sheet: BatchSheet, folder: str) -> str:
    """Draw the batch into `folder` (a worker process's task); returns the path.
    Written beside and renamed, so nobody ever reads half a PDF."""
    path = Path(folder) / pdf_name(sheet.number)
    write_private(path, render_batch(sheet))
    return str(path)


def pdf_pages_text(data: bytes) -> list[str]:
    """The text of each page of a PDF (what `bakso batch verify FILE` reads).

    pypdf's notes about fonts it cannot fully parse (a reprint through CUPS
    embeds subsets of the standard fonts) are kept out of the user's way.
    """
    quiet = logging.getLogger("pypdf")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]
    finally:
        quiet.setLevel(level)
