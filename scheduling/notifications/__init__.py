"""In-app notifications (the bell), e-mail delivery with preferences, reminders and digests."""
