"""The printing layer sits below the rules: it never imports `bakso_tui.domain` (nor Textual)."""

from __future__ import annotations

import subprocess
import sys


def test_printing_imports_neither_the_rules_nor_textual():
    code = (
        "import sys\n"
        "import bakso_tui.printing.pdf, bakso_tui.printing.cups, bakso_tui.printing.ipp\n"
        "import bakso_tui.printing.receipts, bakso_tui.printing.sheets\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('bakso_tui.domain', 'textual')))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
