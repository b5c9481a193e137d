"""Drawing attachment pages for the viewer: in a bounded child, a reason for every bad file."""

from __future__ import annotations

import hostile
import pytest
from PIL import Image

from bakso_tui.attachments.inspect import InspectorPool, Limits, Problem
from bakso_tui.attachments.render import RenderedPage, check_rendered
from bakso_tui.widgets.page_view import PageView


@pytest.fixture(scope="module")
def pool():
    p = InspectorPool(Limits(), size=1)
    yield p
    p.close()


def test_a_native_pdf_page_is_drawn_with_its_text_layer(pool):
    data = hostile.text_pdf("Surat Keterangan Lahir Baiq Aini", pages=3)
    page = pool.render(data, 2, 800)
    assert isinstance(page, RenderedPage)
    assert (page.number, page.pages) == (2, 3)
    assert max(page.width, page.height) == 800
    assert page.has_text_layer and "Baiq Aini" in page.text
    image = page.image()
    assert image.size == (page.width, page.height)
    # Something is drawn: a page with text is not one flat colour.
    low, high = image.convert("L").getextrema()
    assert high - low > 100


def test_a_photo_is_one_page_without_text_and_never_larger_than_asked(pool):
    page = pool.render(hostile.jpeg(2480, 3508, color=180), 1, 1000)
    assert isinstance(page, RenderedPage)
    assert (page.pages, page.has_text_layer) == (1, False)
    assert (page.width, page.height) == (707, 1000)


@pytest.mark.parametrize("make, code", [
    (hostile.encrypted_pdf, "encrypted"),
    (hostile.truncated_pdf, "unreadable"),
    (lambda: b"%PDF-1.7\n" + b"\x00" * 64, "unreadable"),
    (lambda: hostile.big_png(10_000, 10_000), "too_many_pixels"),
    (lambda: b"#!/bin/sh\nrm -rf /\n", "unknown_type"),
])
def test_bad_files_give_a_reason_and_the_pool_goes_on(pool, make, code):
    reply = pool.render(make(), 1, 800)
    assert isinstance(reply, Problem), reply
    assert reply.code == code
    assert reply.message()  # one line the viewer shows
    assert isinstance(pool.render(hostile.text_pdf(pages=1), 1, 400), RenderedPage)


def test_what_comes_back_from_a_child_is_checked():
    good = RenderedPage(1, 1, 2, 2, b"\0" * 12, "", False)
    assert check_rendered(good, 10) is good
    with pytest.raises(ValueError):
        check_rendered(RenderedPage(1, 1, 2, 2, b"\0" * 11, "", False), 10)
    with pytest.raises(ValueError):
        check_rendered(RenderedPage(1, 1, 20, 2, b"\0" * 120, "", False), 10)
    with pytest.raises(ValueError):
        check_rendered(RenderedPage(3, 2, 2, 2, b"\0" * 12, "", False), 10)


def test_the_view_turns_crops_and_pans_within_the_page():
    page = Image.new("RGB", (200, 400))
    page.putpixel((0, 0), (255, 0, 0))  # a red dot in the top left corner
    view = PageView()
    assert view.apply(page).size == (200, 400)
    turned = view.rotated()
    assert turned.rotation == 90 and turned.apply(page).size == (400, 200)
    # A quarter turn clockwise puts the top left corner at the top right.
    assert turned.apply(page).getpixel((399, 0)) == (255, 0, 0)
    assert turned.rotated().rotated().rotated().rotation == 0
    zoomed = view.zoomed(2)
    assert zoomed.zoom == 2.0 and zoomed.apply(page).size == (100, 200)
    assert zoomed.apply(page).getpixel((0, 0)) != (255, 0, 0)  # centred: the corner is out
    corner = zoomed.panned(-5, -5)  # pans stop at the edge
    assert (corner.cx, corner.cy) == (0.25, 0.25)
    assert corner.apply(page).getpixel((0, 0)) == (255, 0, 0)
    assert view.zoomed(-3).zoom == 1.0 and view.zoomed(99).zoom == 4.0
    assert corner.fit() == PageView()
