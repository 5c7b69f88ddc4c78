"""Speech-to-text of recordings: PyAV decodes, PocketSphinx (or an OpenAI-compatible endpoint) listens.

``services.recording_transcribe`` is the entry point; the Celery task
``recordings.transcribe_recording`` (``tasks.py``, queue ``batch``) runs it after an interview.
"""
