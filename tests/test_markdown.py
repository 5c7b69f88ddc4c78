"""Problem statements render Markdown, and nothing a statement holds can run script in the page."""

from __future__ import annotations

import pytest

from assessments.markdown import render_markdown


def test_fenced_code_and_tables_render() -> None:
    # given
    text = "Sum:\n\n```python\nprint(1 < 2)\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    # when
    html = render_markdown(text)
    # then
    assert '<code class="language-python">print(1 &lt; 2)' in html
    assert "<table>" in html
    assert "<td>1</td>" in html


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "[x](javascript:alert(1))",
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        "<iframe src=https://evil.example></iframe>",
        "<svg onload=alert(1)>",
        '<div style="background:url(javascript:alert(1))" onclick="alert(1)">x</div>',
        '<a href="data:text/html,<script>alert(1)</script>">x</a>',
        "<style>body{display:none}</style>",
        '<form action="https://evil.example"><input name=a></form>',
    ],
)
def test_xss_payloads_are_neutralised(payload: str) -> None:
    # when
    html = render_markdown(f"Statement\n\n{payload}\n").lower()
    # then
    assert "<script" not in html
    assert "javascript:" not in html
    assert "onerror" not in html
    assert "onload" not in html
    assert "onclick" not in html
    assert "<iframe" not in html
    assert "<svg" not in html
    assert "<style" not in html
    assert "<form" not in html
    assert "data:text/html" not in html


def test_links_get_a_safe_rel() -> None:
    # when
    html = render_markdown("[docs](https://example.com/x)")
    # then
    assert 'href="https://example.com/x"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_the_result_is_marked_safe_for_templates() -> None:
    # when
    html = render_markdown("**bold**")
    # then
    assert hasattr(html, "__html__")
    assert "<strong>bold</strong>" in html
