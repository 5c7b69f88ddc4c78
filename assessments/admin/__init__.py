"""Back-office pages of the assessments app: problems (``problems``), DSA sessions, submissions,
integrity and plagiarism (``sessions``)."""

from assessments.admin import problems, sessions  # noqa: F401  (registrations)
