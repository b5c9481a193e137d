"""Receipt slips (tanda terima): one per resident, three to an A4 page, with cut lines.

Each slip names the resident, their NIK (as the privacy setting shows it),
address, submission number and the documents they receive, with room for
the signatures of whoever hands them over and of the resident. Slips have a
fixed place on the page, so they are drawn straight on the canvas (platypus
would lay out a dozen paragraphs per slip: most of a batch PDF's time). Text
is drawn with ``drawString``: whatever a village wrote is text, never markup,
and a value too wide for its place is cut with an ellipsis.
"""

from __future__ import annotations

import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from bakso_tui.printing.sheets import BatchSheet, ReceiptSlip

TITLE = "TANDA TERIMA DOKUMEN KEPENDUDUKAN"
SLIPS_PER_PAGE = 3
MARGIN = 18 * mm
EDGE = 12 * mm  # the page's top and bottom edge, outside the slips
WIDTH = A4[0] - 2 * MARGIN
STEP = (A4[1] - 2 * EDGE) / SLIPS_PER_PAGE
LABEL_W = 26 * mm


def fit(text: str, width: float, font: str = "Helvetica", size: float = 8.5) -> str:
    """`text` cut with an ellipsis to fit `width` points."""
    text = " ".join((text or "").split())
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _cut_lines(c: Canvas) -> None:
    c.saveState()
    c.setDash(3, 3)
    c.setStrokeColor(colors.grey)
    c.setFillColor(colors.grey)
    c.setFont("Helvetica", 6.5)
    for i in range(1, SLIPS_PER_PAGE):
        y = EDGE + i * STEP
        c.line(MARGIN / 2, y, A4[0] - MARGIN / 2, y)
        c.drawRightString(A4[0] - MARGIN / 2, y + 1.5, "potong di sini")
    c.restoreState()


def _slip(c: Canvas, sheet: BatchSheet, slip: ReceiptSlip, top: float) -> None:
    x, right = MARGIN, MARGIN + WIDTH
    c.setFillColor(colors.black)
    c.setFont("Helvetica-Bold", 10.5)
    c.drawString(x, top - 11, TITLE)
    c.setFont("Helvetica", 7.5)
    c.drawRightString(right, top - 6, fit(sheet.office_short, 70 * mm, size=7.5))
    c.drawRightString(right, top - 15, f"Batch {sheet.number}")
    c.setLineWidth(0.6)
    c.line(x, top - 19, right, top - 19)

    village = f"{sheet.village_kind} {sheet.village_name}"
    address = ", ".join(v for v in (" ".join(slip.address.split()), village) if v)
    rows = [("Nama", slip.resident, "Helvetica-Bold"), ("NIK", slip.nik, "Helvetica"),
            ("Alamat", address, "Helvetica"), ("No. pengajuan", slip.submission, "Helvetica")]
    # The documents take what room is left; a long list gets a tighter line.
    room = STEP - 8 * mm - 19 - 4 * 11 - 14 - 30 * mm
    leading = max(7.5, min(11.0, room / max(1, len(slip.documents))))
    y = top - 31
    for label, value, font in rows:
        c.setFont("Helvetica", 8.5)
        c.drawString(x, y, label)
        c.drawString(x + LABEL_W, y, ":")
        c.setFont(font, 8.5)
        c.drawString(x + LABEL_W + 3 * mm, y, fit(value, WIDTH - LABEL_W - 3 * mm, font))
        y -= 11
    c.setFont("Helvetica", 8.5)
    c.drawString(x, y, "Dokumen")
    c.drawString(x + LABEL_W, y, ":")
    for i, (kind, number) in enumerate(slip.documents, 1):
        c.drawString(x + LABEL_W + 3 * mm, y,
                     fit(f"{i}. {kind} — {number}", WIDTH - LABEL_W - 3 * mm))
        y -= leading
    y -= 3
    c.drawString(x, y, "Dokumen di atas telah diterima dengan baik, tanpa dipungut biaya.")

    giver = "Petugas Dukcapil" if sheet.in_person else f"Perangkat {sheet.village_kind}"
    left, mid = x + WIDTH / 4, x + 3 * WIDTH / 4
    y -= 14
    c.drawCentredString(mid, y, fit(f"{sheet.village_name}, " + "." * 24, WIDTH / 2))
    y -= 11
    c.drawCentredString(left, y, "Yang menyerahkan,")
    c.drawCentredString(mid, y, "Yang menerima,")
    y -= 11
    c.drawCentredString(left, y, giver)
    y -= 16 * mm
    c.drawCentredString(left, y, "(" + "." * 36 + ")")
    c.drawCentredString(mid, y, "(" + fit(slip.resident, WIDTH / 2 - 10 * mm) + ")")


def render_receipts(sheet: BatchSheet) -> bytes:
    out = io.BytesIO()
    c = Canvas(out, pagesize=A4, invariant=1)
    c.setTitle(f"Tanda terima {sheet.number}")
    c.setAuthor("BAKSO")
    for i, slip in enumerate(sheet.receipts):
        place = i % SLIPS_PER_PAGE
        if place == 0:
            if i:
                c.showPage()
            _cut_lines(c)
        _slip(c, sheet, slip, A4[1] - EDGE - place * STEP - 4 * mm)
    c.showPage()
    c.save()
    return out.getvalue()
