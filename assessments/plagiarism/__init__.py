"""Plagiarism between candidates' submissions for the same problem.

Why copydetect (DESIGN §5): it is a maintained implementation of winnowing (Schleimer, Wilkerson
and Aiken, "Winnowing: local algorithms for document fingerprinting", the algorithm behind MOSS)
that tokenises code with Pygments first, so renamed variables, functions and strings and
reformatting do not hide a copy; it also maps every shared fingerprint back to character ranges
of the original code, which is what the side-by-side view highlights. Writing our own would mean
re-deriving the tokeniser filters and the offset bookkeeping for eight languages.

``compare`` is the Django-free part (two pieces of code in, overlaps and ranges out);
``services`` decides which submissions to compare and stores ``PlagiarismMatch`` rows.
"""
