"""Attachments: the content-addressed store, inspection under limits."""
