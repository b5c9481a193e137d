"""The day's recording list (daftar perekaman) as a PDF, and its WhatsApp announcement.

The PDF is for the team and the village office: the office header, the
village, the date written out, the team, and a numbered table of the residents
to record (name, NIK as the office's privacy setting says, service, home visit
with the address), then the village operators to call. It is built with
reportlab's platypus: the table repeats its header on every page.

The announcement is plain text for the village's WhatsApp group, where it is
read by everyone in the village: it names the residents asked to come but
carries no NIK, and home visits only as a count (who is bedridden or disabled
is nobody else's business).

Every value from a submission is hostile text: it is escaped before it reaches
a platypus Paragraph (which reads markup).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from bakso_tui.locale import t


@dataclass(frozen=True)
class ManifestRow:
    number: str  # the submission's registration number
    name: str
    nik: str
    service: str
    home_visit: bool
    address: str
    priority: bool


@dataclass(frozen=True)
class ManifestSheet:
    """One village's list for one service day."""

    office_name: str
    office_short: str
    village_code: str
    village_name: str
    kecamatan_name: str
    day: date
    team_code: str
    team_name: str
    capacity: int
    rows: tuple[ManifestRow, ...]
    contacts: tuple[tuple[str, str], ...]  # (village operator, phone)
    printed_at: datetime  # in the office's time zone


def long_date(day: date) -> str:
    """``Rabu, 4 Maret 2026`` (or ``Wednesday, 4 March 2026`` in English)."""
    return t("schedule.long_date", weekday=t(f"schedule.weekday.{day.weekday()}"),
             day=day.day, month=t(f"schedule.month.{day.month}"), year=day.year)


def show_nik(nik: str, display: str) -> str:
    """The NIK in full, or masked: region and serial kept, the birth date hidden.

    ``5203014507900123`` → ``520301******0123``: enough for the team to match
    the resident's KK or KTP at the table, without a printed list that lies on
    a village hall table giving away everyone's date of birth.
    """
    if display == "full" or len(nik) != 16:
        return nik
    return f"{nik[:6]}******{nik[12:]}"


def filename(sheet: ManifestSheet, ext: str) -> str:
    return f"daftar-perekaman_{sheet.day.isoformat()}_{sheet.village_code}.{ext}"


def render_pdf(sheet: ManifestSheet, *, nik_display: str = "masked") -> bytes:
    styles = getSampleStyleSheet()
    small = ParagraphStyle("small", parent=styles["Normal"], fontSize=9, leading=11)
    head = ParagraphStyle("head", parent=styles["Normal"], fontName="Helvetica-Bold",
                          fontSize=12, leading=15, alignment=TA_CENTER)
    title = ParagraphStyle("title", parent=head, fontSize=14, leading=18, spaceBefore=4)
    cell = ParagraphStyle("cell", parent=small, fontSize=9, leading=11)

    def p(text: str, style=cell) -> Paragraph:
        return Paragraph(escape(text), style)

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=landscape(A4), leftMargin=14 * mm, rightMargin=14 * mm,
        topMargin=12 * mm, bottomMargin=14 * mm,
        title=t("manifest.title") + f" {sheet.village_name} {sheet.day.isoformat()}",
        author=sheet.office_name, subject=t("manifest.title"),
    )
    story = [
        p(sheet.office_name.upper(), head),
        p(t("manifest.subtitle"), ParagraphStyle("sub", parent=small, alignment=TA_CENTER)),
        Spacer(1, 2 * mm),
        Table([[""]], colWidths=[doc.width], rowHeights=[1],
              style=[("LINEABOVE", (0, 0), (-1, 0), 1.2, colors.black)]),
        p(t("manifest.title").upper(), title),
        Spacer(1, 3 * mm),
    ]
    facts = [
        (t("manifest.village"), f"{sheet.village_name} ({sheet.village_code}), "
                                f"{t('manifest.kecamatan')} {sheet.kecamatan_name}"),
        (t("manifest.date"), long_date(sheet.day)),
        (t("manifest.team"), f"{sheet.team_name} ({sheet.team_code})"),
        (t("manifest.count"), t("manifest.count_value", count=len(sheet.rows),
                                home=sum(r.home_visit for r in sheet.rows),
                                capacity=sheet.capacity)),
    ]
    story.append(Table([[p(k), p(": " + v)] for k, v in facts],
                       colWidths=[38 * mm, doc.width - 38 * mm],
                       style=[("VALIGN", (0, 0), (-1, -1), "TOP"),
                              ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                              ("TOPPADDING", (0, 0), (-1, -1), 1)]))
    story.append(Spacer(1, 4 * mm))
    header = [p(t(f"manifest.col.{c}"), ParagraphStyle("th", parent=cell,
                                                        fontName="Helvetica-Bold"))
              for c in ("no", "name", "nik", "service", "visit", "mark")]
    body = []
    for i, row in enumerate(sheet.rows, 1):
        name = row.name + (f"  [{t('manifest.priority')}]" if row.priority else "")
        visit = t("manifest.home_visit", address=row.address or "-") if row.home_visit \
            else t("manifest.at_village")
        body.append([p(str(i)), p(f"{name}\n{row.number}".replace("\n", " · ")),
                     p(show_nik(row.nik, nik_display)), p(row.service), p(visit), p("")])
    if not body:
        body.append([p("-"), p(t("manifest.empty")), p(""), p(""), p(""), p("")])
    widths = [10 * mm, 70 * mm, 38 * mm, 52 * mm, doc.width - 200 * mm, 30 * mm]
    story.append(Table(
        [header, *body], colWidths=widths, repeatRows=1,
        style=TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f5f5f5")]),
        ]),
    ))
    story.append(Spacer(1, 4 * mm))
    story.append(p(t("manifest.legend"), small))
    story.append(Spacer(1, 3 * mm))
    contacts = ", ".join(f"{name} ({phone})" if phone else name for name, phone in sheet.contacts)
    story.append(p(t("manifest.contacts", contacts=contacts or "-"), small))
    printed = sheet.printed_at
    story.append(p(t("manifest.printed", when=f"{long_date(printed.date())} "
                                              f"{printed:%H:%M}", office=sheet.office_short),
                   ParagraphStyle("foot", parent=small, textColor=colors.HexColor("#555555"))))
    doc.build(story, onFirstPage=_page_number, onLaterPages=_page_number)
    return buffer.getvalue()


def _page_number(canvas, doc) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 8)
    canvas.drawRightString(doc.pagesize[0] - 14 * mm, 8 * mm,
                           t("manifest.page", page=canvas.getPageNumber()))
    canvas.restoreState()


def announcement(sheet: ManifestSheet) -> str:
    """The plain-text message for the village's WhatsApp group."""
    lines = [
        t("manifest.wa_title", village=sheet.village_name),
        "",
        t("manifest.wa_when", date=long_date(sheet.day), team=sheet.team_name),
        "",
    ]
    come = [r for r in sheet.rows if not r.home_visit]
    if come:
        lines.append(t("manifest.wa_come"))
        lines += [f"{i}. {row.name}" for i, row in enumerate(come, 1)]
        lines.append("")
        lines.append(t("manifest.wa_bring"))
    home = sum(r.home_visit for r in sheet.rows)
    if home:
        lines.append(t("manifest.wa_home", count=home))
    if not sheet.rows:
        lines.append(t("manifest.empty"))
    lines.append("")
    contacts = ", ".join(f"{name} {phone}".strip() for name, phone in sheet.contacts)
    if contacts:
        lines.append(t("manifest.wa_contact", contacts=contacts))
    lines.append(t("manifest.wa_free"))
    lines.append(f"— {sheet.office_short}")
    # One line per resident, as typed into a chat: no control characters from the data.
    return "\n".join("".join(ch for ch in line if ch.isprintable()) for line in lines) + "\n"
