"""The rules: plain Python, no Textual."""
