"""The hiring REST API (``/api/v1/``): thin views over the selectors and services."""
