"""Code execution: one interface (``base``), a local bubblewrap sandbox and a Piston HTTP client.

This package does not import Django, so it can run as its own service; the Django side
(``assessments.execution.service``, the Piston API views) wraps it.
"""
