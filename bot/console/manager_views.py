"""Managers' pages: the feedback summary (date range, groups, SVG charts, lowest comments, CSV) and
the weekly digests. Thin: the figures come from bot/reports, shared with ``repairbot report``."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console.auth import guard, refuse
from bot.console.errors import ConsoleError
from bot.console.pages import templates
from bot.console.runtime import Console
from bot.reports import DIMENSIONS, Summary, report, svg
from bot.reports.csv_table import csv_table
from bot.store.models import Digest

DEFAULT_DAYS = 30
MAX_DAYS = 366
DIMENSION_LABELS = {"brand": "品牌", "province": "省份", "technician": "师傅", "fault": "故障", "week": "周"}


def date_range(request: Request, today: date) -> tuple[date, date]:
    """The ``from``/``to`` local dates of the filter (both inclusive); 400 on a bad or too long range."""
    raw_from, raw_to = request.query_params.get("from", "").strip(), request.query_params.get("to", "").strip()
    try:
        last = date.fromisoformat(raw_to) if raw_to else today
        first = date.fromisoformat(raw_from) if raw_from else last - timedelta(days=DEFAULT_DAYS - 1)
    except ValueError as exc:
        raise ConsoleError(400, "日期格式应为 YYYY-MM-DD") from exc
    if first > last:
        raise ConsoleError(400, "开始日期不能晚于结束日期")
    if (last - first).days >= MAX_DAYS:
        raise ConsoleError(400, f"时间范围最长 {MAX_DAYS} 天")
    return first, last


def routes(c: Console) -> list[Route]:
    """Summary page, its CSV, the digests and their charts."""

    async def _summary(request: Request) -> tuple[Summary, date, date]:
        tz = c.ctx.tz
        first, last = date_range(request, c.clock().astimezone(tz).date())
        since = datetime.combine(first, time(0), tzinfo=tz)
        until = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
        summary = await c.call(lambda s: report(s, since=since, until=until, tz=tz), write=False)
        return summary, first, last

    @guard("manager")
    async def summary_page(request: Request) -> Response:
        by = request.query_params.get("by", "brand")
        if by not in DIMENSIONS:
            return refuse(request, 400, "分组方式无效")
        try:
            summary, first, last = await _summary(request)
        except ConsoleError as exc:
            return refuse(request, exc.status, exc.message)
        data = summary.to_json()
        charts = {
            "distribution": svg.columns([(f"{k}★", v) for k, v in data["csat_distribution"].items()],
                                        title="满意度分布", digits=0),
            "weeks": svg.columns([(r["key"][5:], r["csat_avg"]) for r in data["by_week"]], title="每周满意度",
                                 maximum=5, digits=2, css="weeks"),
            "groups": svg.rows([(str(r["key"]), r["csat_avg"], f"{r['csat_count']} 份") for r in data[f"by_{by}"]
                                if r["csat_count"]], title=f"各{DIMENSION_LABELS[by]}满意度", maximum=5),
        }
        return templates.TemplateResponse(request, "summary.html", {
            "d": data, "rows": data[f"by_{by}"], "by": by, "dimensions": DIMENSION_LABELS, "charts": charts,
            "first": first.isoformat(), "last": last.isoformat(), "config": c.config})

    @guard("manager")
    async def summary_csv(request: Request) -> Response:
        try:
            summary, first, last = await _summary(request)
        except ConsoleError as exc:
            return refuse(request, exc.status, exc.message)
        name = f"feedback-{first.isoformat()}-{last.isoformat()}.csv"
        return Response(csv_table(summary), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @guard("manager")
    async def digests(request: Request) -> Response:
        from sqlalchemy import select

        def read(s: Session) -> list[dict[str, Any]]:
            # Plain values: the rows are gone with the read-only session.
            return [{"id": d.id, "period_start": d.period_start, "text": d.text, "chart_png": d.chart_png is not None,
                     "outbox_key": d.outbox_key}
                    for d in s.scalars(select(Digest).order_by(Digest.period_start.desc()).limit(26))]

        rows = await c.call(read, write=False)
        return templates.TemplateResponse(request, "digests.html", {"digests": rows})

    @guard("manager")
    async def digest_chart(request: Request) -> Response:
        did = request.path_params["id"]
        def read(s: Session) -> bytes | None:
            digest = s.get(Digest, did)
            return digest.chart_png if digest is not None else None

        png = await c.call(read, write=False)
        if not png:
            return refuse(request, 404, "没有这个周报图表")
        return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})

    return [
        Route("/summary", summary_page, methods=["GET"], name="summary"),
        Route("/summary.csv", summary_csv, methods=["GET"], name="summary_csv"),
        Route("/digests", digests, methods=["GET"], name="digests"),
        Route("/digests/{id:int}/chart.png", digest_chart, methods=["GET"], name="digest_chart"),
    ]
