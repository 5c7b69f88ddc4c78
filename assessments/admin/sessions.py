"""DSA sessions, submissions, proctoring, integrity and plagiarism in the admin."""
