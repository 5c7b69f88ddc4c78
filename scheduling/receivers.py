"""Receivers: scheduling reacts to interview changes (invites, notifications) without interviews knowing."""

from __future__ import annotations
