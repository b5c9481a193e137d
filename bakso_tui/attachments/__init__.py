"""Attachments: the content-addressed store; inspecting and drawing untrusted files in bounded child processes."""
