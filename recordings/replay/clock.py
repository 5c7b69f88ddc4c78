"""The replay's one way of writing a span of the session, shared by the page and its script."""


def clock(ms: int) -> str:
    """ "4:05" or "1:02:03": a span of milliseconds as a clock reads it (as the scripts do)."""
    total = max(0, int(ms) // 1000)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
