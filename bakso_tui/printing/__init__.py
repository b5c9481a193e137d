"""Printed output: PDFs and texts made from plain objects the rules hand over.

The mobile-service days' recording list and its WhatsApp announcement
(`manifest.py`); the issuance batches' handover records and receipts (`pdf.py`,
`receipts.py`, from `sheets.py`'s dataclasses), and their way to a printer
through CUPS (`cups.py`, `ipp.py`). This package sits below the rules
(DESIGN.md §5): it imports the settings and the messages, never
``bakso_tui.domain``; the rules build the dataclasses it renders.
"""
