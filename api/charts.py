"""Charts over HTTP: the compare bar chart as SVG (``search.charts``), which
the web page's compare view shows inline above the table."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from policy_search import settings
from search.charts import compare_svg
from search.deadline import deadline
from search.service import Filters, SearchService

router = APIRouter()


@router.get(
    "/v1/compare/chart",
    tags=["targets"],
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "an accessible SVG bar chart"}},
)
def compare_chart(
    request: Request,
    indicator: str = Query(..., min_length=1, max_length=50, description="Indicator name, matched loosely (婴儿死亡率)"),
    jurisdiction: str | None = Query(None, max_length=50),
    subject: str | None = Query(None, max_length=20),
) -> Response:
    """The targets of ``GET /v1/compare`` as a bar chart: one group of bars per
    plan, one panel per unit, comparator, value, unit and target year written
    beside each bar, years told apart by pattern; ``<title>``/``<desc>`` give
    the same in words."""
    service: SearchService = request.app.state.holder.get()
    with deadline(settings.get_float("request_timeout")):
        comparison = service.compare(indicator, Filters(jurisdiction=jurisdiction, subject=subject))
    return Response(
        compare_svg(comparison, id_prefix="compare-chart"),
        media_type="image/svg+xml; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )
