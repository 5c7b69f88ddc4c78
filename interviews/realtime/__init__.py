"""Realtime building blocks of the interview room that need no database: limits, frame checks."""
