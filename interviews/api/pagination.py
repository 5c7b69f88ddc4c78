from __future__ import annotations

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Stable pages for integrations that sync while rows are being added (``?cursor=``)."""

    page_size = 50
    max_page_size = 200
    page_size_query_param = "pageSize"
    ordering = "-created_at"
