"""Calendar invites (iCalendar), private ICS feeds, CalDAV sync and external busy-time import."""
