"""Pages: interviewer availability, candidate self-scheduling, the slot finder in the back office."""
