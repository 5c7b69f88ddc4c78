"""``python manage.py run_media``: the Procfile's ``media`` process (docs/recording.md)."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from django.core.management.base import BaseCommand

from recordings.recorder import ice
from recordings.recorder.services import sessions_orphaned_fail
from recordings.recorder.watcher import MediaWatcher


class Command(BaseCommand):
    help = "Record the interview rooms where recording is on and everyone present consented."

    def handle(self, *args: Any, **options: Any) -> None:
        ice.limit_host_addresses()
        failed = sessions_orphaned_fail()
        if failed:
            self.stderr.write(f"{failed} recording session(s) left by a previous media process marked failed")
        asyncio.run(self._run())

    async def _run(self) -> None:
        watcher = MediaWatcher()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, watcher.stop)  # leave every room and store the files first
        self.stdout.write(f"media: watching rooms of {watcher.base_url} every {watcher.poll_seconds} s")
        await watcher.run()
