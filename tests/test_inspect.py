"""Attachment inspection under limits: a reason for every bad file, never a crash or hang."""

from __future__ import annotations

import os

import hostile
import pytest

from bakso_tui.attachments.inspect import InspectorPool, Limits, inspect_bytes, sniff


@pytest.fixture(scope="module")
def pool():
    p = InspectorPool(Limits(), size=2)
    yield p
    p.close()


def codes(result) -> list[str]:
    return [p.code for p in result.problems]


def test_media_type_is_by_content_not_name():
    assert sniff(hostile.text_pdf()) == "application/pdf"
    assert sniff(hostile.jpeg()) == "image/jpeg"
    assert sniff(b"\x89PNG\r\n\x1a\n...") == "image/png"
    assert sniff(b"#!/bin/sh\n%PDF-1.4") is None
    assert sniff(os.urandom(64).replace(b"%", b"x")) is None


def test_good_pdf_pages_text_sizes(pool):
    r = pool.inspect(hostile.text_pdf("Kartu Keluarga", pages=3), "kk.pdf")
    assert r.ok and r.media_type == "application/pdf" and r.pages == 3
    assert "Kartu Keluarga" in r.page_info[0].text
    assert r.page_info[0].width_pt == pytest.approx(595.3, abs=1)
    assert r.as_json()["problems"] == []


def test_scan_jpeg_has_one_page_with_its_image(pool):
    r = pool.inspect(hostile.jpeg(), "scan.jpg")
    assert r.ok and r.pages == 1
    assert r.page_info[0].images == [{"width": 1240, "height": 1754, "dpi": 150}]


@pytest.mark.parametrize("make,code", [
    (lambda: b"", "empty_file"),
    (lambda: os.urandom(4096).replace(b"%", b"x"), "unknown_type"),
    (hostile.encrypted_pdf, "encrypted"),
    (hostile.truncated_pdf, "unreadable"),
    (hostile.pdf_bomb, "decompression_bomb"),
    (hostile.big_png, "too_many_pixels"),
    (hostile.pdf_with_huge_image, "too_many_pixels"),
])
def test_bad_files_get_a_fatal_reason(pool, make, code):
    r = pool.inspect(make(), "bad")
    assert not r.ok
    assert code in codes(r)
    assert all("\n" not in p.message() for p in r.problems)


def test_blank_page_and_low_resolution_are_warnings_not_refusals(pool):
    blank = pool.inspect(hostile.pdf_with_content(b"", filtered=False), "blank.pdf")
    assert blank.ok and codes(blank) == ["empty_page"]
    small = pool.inspect(hostile.jpeg(300, 400), "small.jpg")
    assert small.ok and "low_resolution" in codes(small)


def test_too_many_pages_refused():
    small = InspectorPool(Limits(max_pages=3), size=1)
    try:
        r = small.inspect(hostile.text_pdf(pages=5), "long.pdf")
    finally:
        small.close()
    assert codes(r) == ["too_many_pages"]


def test_a_hanging_parse_is_killed_and_the_pool_goes_on():
    quick = InspectorPool(Limits(timeout_s=0.01), size=1)
    try:
        r = quick.inspect(hostile.text_pdf(pages=40), "slow.pdf")
        assert codes(r) == ["timeout"] and not r.ok
        quick.limits = Limits()  # the next file gets the normal time again
        again = quick.inspect(hostile.text_pdf(pages=1), "next.pdf")
        assert again.ok
    finally:
        quick.close()


def test_a_child_out_of_memory_is_a_reason_not_a_crash():
    tiny = InspectorPool(Limits(memory_bytes=64 * 1024 * 1024), size=1)
    try:
        r = tiny.inspect(hostile.jpeg(5000, 5000, mode="RGB"), "big-photo.jpg")
    finally:
        tiny.close()
    assert not r.ok and set(codes(r)) & {"memory", "crashed"}


def test_module_function_uses_a_bounded_child():
    r = inspect_bytes(hostile.text_pdf(pages=1), "a.pdf")
    assert r.ok and r.sha256 and len(r.sha256) == 64
