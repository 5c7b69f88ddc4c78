"""The dashboard pages and their CSV downloads: who may open them, what the filters accept, and
that a downloaded cell can never run as a spreadsheet formula."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.factories import MembershipFactory, UserFactory
from interviews.factories import (
    CandidateFactory,
    InterviewFactory,
    ParticipantFactory,
    PositionFactory,
    ScorecardFactory,
)
from interviews.models import Candidate
from tests.conftest import Tenant
from tests.test_reporting_funnel import PERIOD, Story, build_story

FUNNEL = "/reports/funnel/"
CSV = "/reports/funnel/csv/"
BOM = "\ufeff"
MARCH = {"start": PERIOD["start"].isoformat(), "end": PERIOD["end"].isoformat()}


@pytest.fixture
def story(acme: Tenant) -> Story:
    return build_story(acme)


def _rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8").removeprefix(BOM))))


# --- access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "recruiter"])
def test_admins_and_recruiters_see_the_funnel(acme: Tenant, story: Story, role: str) -> None:
    # given
    client = acme.client(role)
    # when
    response = client.get(FUNNEL, MARCH)
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-chart="per_stage"' in html
    assert "<caption>Candidates per stage</caption>" in html
    assert 'id="report-charts"' in html
    assert 'href="/admin/"' in html  # inside the back office's frame
    hired = reverse("admin:interviews_candidate_changelist") + "?created_at__gte="
    assert f'<dt>Hired</dt><dd><a href="{hired}' in html  # a headline figure opens its list


EVERY_PAGE = [
    "/reports/",
    FUNNEL,
    CSV,
    "/reports/candidates/",
    "/reports/candidates/csv/",
    "/reports/interviewers/",
    "/reports/interviewers/csv/",
]


@pytest.mark.parametrize("role", ["interviewer", "candidate"])
@pytest.mark.parametrize("url", EVERY_PAGE)
def test_interviewers_and_candidates_are_sent_away(acme: Tenant, story: Story, role: str, url: str) -> None:
    # given
    client = acme.client(role)
    # when
    response = client.get(url)
    # then: like the admin, to their own pages, with no report data
    assert response.status_code == 302
    assert response["Location"] == reverse("back_office_denied")


@pytest.mark.parametrize("url", EVERY_PAGE)
def test_anonymous_visitors_are_asked_to_log_in(db: Any, url: str) -> None:
    # given / when
    response = Client().get(url, follow=True)
    # then
    final_url = response.redirect_chain[-1][0]
    assert final_url.startswith(reverse("account_login"))
    assert "next=" in final_url


def test_a_superuser_who_works_in_the_organization_sees_it(acme: Tenant, story: Story) -> None:
    # given: a platform superuser whose role there would not reach the back office
    root = UserFactory(email="root@platform.test", is_superuser=True)
    MembershipFactory(user=root, organization=acme.org, role="interviewer")
    client = Client()
    client.force_login(root)
    # when
    response = client.get(FUNNEL)
    # then
    assert response.status_code == 200


@pytest.mark.parametrize("key", ["funnel", "candidates", "interviewers"])
def test_every_dashboard_renders_with_its_tables_and_csv(acme: Tenant, story: Story, key: str) -> None:
    # given
    client = acme.client("recruiter")
    # when
    page = client.get(f"/reports/{key}/", MARCH)
    download = client.get(f"/reports/{key}/csv/", MARCH)
    # then
    assert page.status_code == 200
    assert "<caption>" in page.content.decode()
    assert download.status_code == 200
    assert download.content.startswith(BOM.encode())


def test_the_funnel_offers_a_pdf_of_the_same_filters(acme: Tenant, story: Story) -> None:
    # given / when
    html = acme.client("recruiter").get(FUNNEL, {"source": "referral", **MARCH}).content.decode()
    # then: the PDF form carries the page's filters
    assert f'action="{reverse("reporting_job_start")}"' in html
    assert '<input type="hidden" name="source" value="referral">' in html
    assert '<input type="hidden" name="start" value="2025-03-01">' in html


def test_the_index_lists_the_dashboards(acme: Tenant) -> None:
    # given / when
    response = acme.client("recruiter").get("/reports/")
    # then
    html = response.content.decode()
    assert response.status_code == 200
    for key in ("funnel", "candidates", "interviewers"):
        assert f'href="/reports/{key}/"' in html


def test_the_back_office_home_links_to_the_reports(acme: Tenant) -> None:
    # given / when
    response = acme.client("recruiter").get(reverse("admin:index"))
    # then: the reports first, the usual app list after
    html = response.content.decode()
    assert 'href="/reports/"' in html
    assert 'href="/reports/funnel/"' in html
    assert f'href="{reverse("reporting_jobs")}"' in html
    assert reverse("admin:interviews_candidate_changelist") in html


def test_an_organization_without_candidates_gets_an_empty_report(acme: Tenant) -> None:
    # given: a position without a pipeline, nobody applied
    PositionFactory(organization=acme.org, pipeline=None)
    # when
    response = acme.client("recruiter").get(FUNNEL)
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nothing matches these filters." in html
    assert response.context["dashboard"].summary[0] == ("Candidates", 0)


def test_another_organizations_position_is_a_form_error_not_data(acme: Tenant, globex: Tenant, story: Story) -> None:
    # given
    foreign = PositionFactory(organization=globex.org, title="Globex secret role")
    client = acme.client("recruiter")
    # when
    page = client.get(FUNNEL, {"position": foreign.pk})
    download = client.get(CSV, {"position": foreign.pk})
    # then
    html = page.content.decode()
    assert page.status_code == 200
    assert "Choose positions of your organization only." in html
    assert 'id="report-charts"' not in html
    assert "Globex secret role" not in html
    assert download.status_code == 400


# --- filters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2025-03-10", "end": "2025-03-01"}, "The end of the period must be on or after its start."),
        ({"start": "2022-01-01", "end": "2025-01-01"}, "A report covers two years at most"),
        ({"start": "not-a-date"}, "Enter a valid date."),
        ({"source": "carrier_pigeon"}, "Select a valid choice."),
        ({"team": "Nobody's team"}, "Select a valid choice."),
    ],
)
def test_bad_filters_show_errors_and_refuse_the_csv(
    acme: Tenant, story: Story, params: dict[str, str], message: str
) -> None:
    # given
    client = acme.client("recruiter")
    # when
    page = client.get(FUNNEL, params)
    download = client.get(CSV, params)
    # then
    assert message in page.content.decode()
    assert 'id="report-charts"' not in page.content.decode()
    assert download.status_code == 400
    assert message in download.content.decode()


def test_a_preset_fills_the_period(acme: Tenant, story: Story) -> None:
    # given / when
    response = acme.client("recruiter").get(FUNNEL, {"preset": "30"})
    # then
    filters = response.context["filters"]
    assert (filters.end - filters.start).days == 29


def test_the_filters_keep_to_the_links(acme: Tenant, story: Story) -> None:
    # given
    params = {"team": "Data", "source": "referral", **MARCH}
    # when
    response = acme.client("recruiter").get(FUNNEL, params)
    # then: CSV links carry the same filters
    assert response.context["csv_url"] == f"{CSV}?team=Data&source=referral&start=2025-03-01&end=2025-03-31"


# --- CSV --------------------------------------------------------------------------------------


def test_the_whole_dashboard_downloads_with_a_bom_by_default(acme: Tenant, story: Story) -> None:
    # given / when
    response = acme.client("recruiter").get(CSV, MARCH)
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="funnel-')
    assert response.content.startswith(BOM.encode())
    rows = _rows(response.content)
    assert ["Candidates", "7"] in rows
    assert ["Hired", "2"] in rows
    stages = rows.index(["Candidates per stage"])
    assert rows[stages + 2] == ["Engineering", "Screen", "7", "1", "57.1", "1", "0", "2.0", "2.2"]
    assert rows[stages + 4] == ["Engineering", "Offer", "3", "0", "66.7", "0", "1", "2.5", "2.5"]
    assert rows[stages + 5] == ["Engineering", "Hired", "2", "", "", "", "", "", ""]


def test_bom_0_gives_plain_utf8(acme: Tenant, story: Story) -> None:
    # given
    client = acme.client("recruiter")
    # when
    whole = client.get(CSV, {**MARCH, "bom": "0"})
    table = client.get(CSV, {**MARCH, "bom": "0", "table": "sources"})
    # then
    assert not whole.content.startswith(BOM.encode())
    assert not table.content.startswith(BOM.encode())
    assert whole.content.decode("utf-8").startswith("Hiring funnel")


def test_one_table_downloads_on_its_own(acme: Tenant, story: Story) -> None:
    # given / when
    response = acme.client("recruiter").get(CSV, {**MARCH, "table": "sources"})
    # then
    assert response.content.startswith(BOM.encode())
    assert _rows(response.content) == [
        ["Source", "Candidates", "In process", "Hired", "Rejected", "Withdrew", "Hire rate (%)"],
        ["Careers site", "1", "0", "0", "0", "1", "0.0"],
        ["Referral", "4", "1", "2", "1", "0", "50.0"],
        ["LinkedIn", "2", "2", "0", "0", "0", "0.0"],
    ]  # fmt: skip


def test_an_unknown_table_or_dashboard_is_404(acme: Tenant, story: Story) -> None:
    # given
    client = acme.client("recruiter")
    # when / then
    assert client.get(CSV, {"table": "salaries"}).status_code == 404
    assert client.get("/reports/salaries/").status_code == 404


HOSTILE = ['=HYPERLINK("http://evil.test","click")', "+1", "-2", "@x", "\tTab", "\rCR"]


@pytest.mark.parametrize("title", HOSTILE)
def test_cells_that_would_run_as_formulas_are_neutralised(acme: Tenant, story: Story, title: str) -> None:
    # given a position (and team) named like a formula, with one candidate
    from tests.test_reporting_funnel import T0, _candidate, _walk

    position = PositionFactory(organization=acme.org, title=title, team=title, pipeline=story.stages[0].pipeline)
    _walk(_candidate(acme.org, title, position, "referral", T0), [(None, story.stages[0], 0)])
    client = acme.client("recruiter")
    # when
    table = _rows(client.get(CSV, {**MARCH, "table": "positions"}).content)
    whole = _rows(client.get(CSV, {**MARCH, "position": position.pk}).content)
    # then: a leading apostrophe, the text otherwise intact
    assert ["'" + title, "'" + title, "1", "1", "0", "0", "0", "0.0"] in table
    assert ["Positions", "'" + title] in whole
    every_cell = [cell for row in table + whole for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in every_cell)


@pytest.mark.parametrize("name", HOSTILE)
def test_candidate_and_interviewer_names_that_would_run_as_formulas_are_neutralised(
    acme: Tenant, story: Story, name: str
) -> None:
    # given a candidate and an interviewer named like a formula, with a scored interview
    candidate = CandidateFactory(organization=acme.org, full_name=name, position__pipeline=story.stages[0].pipeline)
    interview = InterviewFactory(
        organization=acme.org,
        candidate=candidate,
        stage=story.stages[0],
        status="completed",
        scheduled_at=datetime(2025, 3, 4, 10, tzinfo=UTC),
    )
    interviewer = UserFactory(full_name=name, email="formula@acme.test")
    MembershipFactory(user=interviewer, organization=acme.org, role="interviewer")
    ParticipantFactory(interview=interview, user=interviewer)
    ScorecardFactory(interview=interview, author=interviewer, ratings=dict.fromkeys(story.stages[0].criteria, 3))
    client = acme.client("recruiter")
    # when
    cells = [
        cell
        for key in ("candidates", "interviewers")
        for row in _rows(client.get(f"/reports/{key}/csv/", MARCH).content)
        for cell in row
    ]
    # then: both names are there, behind an apostrophe; no cell starts a formula
    assert cells.count("'" + name) >= 2
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)


# --- long tables: pages, "show all", the CSV keeps every row; each chart's own table ----------


def many_positions(tenant: Tenant, count: int) -> None:
    """``count`` positions with one candidate each, added in March: a positions table of ``count`` rows."""
    for index in range(count):
        position = PositionFactory(organization=tenant.org, title=f"Role {index:03d}", pipeline=None)
        candidate = CandidateFactory(organization=tenant.org, position=position, source="referral")
        Candidate.objects.filter(pk=candidate.pk).update(created_at=datetime(2025, 3, 3, 9, tzinfo=UTC))


@dataclass
class _Table:
    attrs: dict[str, str | None]
    box: str  # the id of the nearest element around it that has one
    caption: str = ""
    head: list[str] = field(default_factory=list)
    body: list[list[str]] = field(default_factory=list)


class _Tables(HTMLParser):
    """The page's tables as text: caption, header cells, body rows (the standard library's parser)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: list[_Table] = []
        self.ids: list[str] = []
        self.part, self.text = "", ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append(_Table(dict(attrs), self.ids[-1] if self.ids else ""))
        elif tag in ("caption", "thead", "tbody"):
            self.part, self.text = tag, ""
        elif tag == "tr" and self.part == "tbody" and self.tables:
            self.tables[-1].body.append([])
        elif tag in ("th", "td"):
            self.text = ""
        if dict(attrs).get("id"):
            self.ids.append(str(dict(attrs)["id"]))

    def handle_endtag(self, tag: str) -> None:
        table = self.tables[-1] if self.tables else None
        if table is None:
            return
        if tag == "caption":
            table.caption, self.part = self.text.strip(), ""
        elif tag in ("th", "td") and self.part == "thead":
            table.head.append(self.text.strip())
        elif tag in ("th", "td") and self.part == "tbody" and table.body:
            table.body[-1].append(self.text.strip())

    def handle_data(self, data: str) -> None:
        self.text += data


def _table_rows(html: str, key: str) -> list[str]:
    """The row headers of the table ``key`` as the page shows it."""
    (table,) = [t for t in _Tables(html).tables if t.box == f"table-{key}"]
    return [row[0] for row in table.body]


def test_a_long_table_shows_one_page_and_links_to_the_others(acme: Tenant) -> None:
    # given 55 positions, each with a candidate
    many_positions(acme, 55)
    client = acme.client("recruiter")
    # when
    first = client.get(FUNNEL, MARCH).content.decode()
    second = client.get(FUNNEL, {**MARCH, "positions_page": "2"}).content.decode()
    # then: 50 rows, in the dashboard's order, then the other 5 on page 2, the filters kept in the links
    assert _table_rows(first, "positions") == [f"Role {i:03d}" for i in range(50)]
    assert _table_rows(second, "positions") == [f"Role {i:03d}" for i in range(50, 55)]
    assert "(rows 1–50 of 55)" in first
    assert 'href="?start=2025-03-01&amp;end=2025-03-31&amp;positions_page=2#table-positions"' in first
    assert "Show all 55 rows" in first
    assert "Download CSV: By position (all 55 rows)" in first


def test_show_all_lists_every_row_and_links_back_to_pages(acme: Tenant) -> None:
    # given
    many_positions(acme, 55)
    client = acme.client("recruiter")
    # when
    response = client.get(FUNNEL, {**MARCH, "all": "positions"})
    html = response.content.decode()
    # then: every row, no page links for it, and a way back to pages
    assert len(_table_rows(html, "positions")) == 55
    assert "Showing all 55 rows." in html
    assert 'href="?start=2025-03-01&amp;end=2025-03-31#table-positions"' in html
    assert response.context["form"].is_bound  # the filters still apply


def test_a_page_parameter_alone_is_no_filter_and_a_page_past_the_end_is_the_last(acme: Tenant) -> None:
    # given
    many_positions(acme, 55)
    client = acme.client("recruiter")
    # when: all time, page 9 of 2, and a page that is no number
    response = client.get(FUNNEL, {"positions_page": "9"})
    garbled = client.get(FUNNEL, {"positions_page": "x"})
    # then
    assert not response.context["form"].is_bound
    assert _table_rows(response.content.decode(), "positions") == [f"Role {i:03d}" for i in range(50, 55)]
    assert _table_rows(garbled.content.decode(), "positions")[0] == "Role 000"


def test_the_csv_of_a_long_table_keeps_every_row(acme: Tenant) -> None:
    # given
    many_positions(acme, 55)
    # when
    response = acme.client("recruiter").get(CSV, {**MARCH, "table": "positions"})
    # then: the header and all 55 rows
    rows = _rows(response.content)
    assert len(rows) == 56
    assert rows[-1][0] == "Role 054"


def test_each_chart_has_its_own_table_of_exactly_its_figures(acme: Tenant, story: Story) -> None:
    # given
    response = acme.client("recruiter").get(FUNNEL, MARCH)
    charts = {chart.key: chart for chart in response.context["dashboard"].charts}
    # when
    tables = {
        t.attrs["data-chart-table"]: t
        for t in _Tables(response.content.decode()).tables
        if "data-chart-table" in t.attrs
    }
    # then: one table per chart, a row per label, a column per series, the chart's values in it
    assert set(tables) == set(charts)
    for key, chart in charts.items():
        assert [row[0] for row in tables[key].body] == [str(label) for label in chart.labels]
        assert len(tables[key].head) == 1 + len(chart.series)
        assert tables[key].caption == chart.title
    assert [row[1] for row in tables["per_stage"].body] == ["7", "4", "3", "2"]  # Screen, Tech, Offer, Hired
    assert tables["time_in_stage"].head == ["Stage", "Median days", "Average days"]
    assert tables["conversion"].head == ["Step", "Conversion (%)"]
