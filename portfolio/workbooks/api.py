"""`/api/pilots/{id}/workbooks/{phase}/`: GET, PUT (replace) and PATCH (partial), with lists."""

from __future__ import annotations

from typing import Any

from django.http import Http404, QueryDict
from django.urls import reverse
from django.utils.functional import lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from config.money import currency_code
from config.parsers import JSONParser
from portfolio import selectors as pilot_selectors
from portfolio.workbooks import services
from portfolio.workbooks.provides import progress, workbook_facts
from portfolio.workbooks.selectors import economic_case_of, list_rows, workbook_get
from portfolio.workbooks.spec import MONEY_FIELDS, SPECS, PhaseSpec

READ_ONLY_KEYS = frozenset(
    {
        "pilot",
        "phase",
        "title",
        "complete",
        "missing",
        "progress",
        "updated_at",
        "economic_case",
        "bias_review_evidence_file",
    }
)


def _file(pilot, stored) -> dict | None:
    if stored is None:
        return None
    url = reverse("portfolio:evidence", args=[pilot.pk, stored.pk])
    return {"id": stored.pk, "name": stored.name, "size": stored.size, "url": url}


def workbook_payload(pilot, spec: PhaseSpec) -> dict[str, Any]:
    workbook = workbook_get(pilot, spec.phase)
    facts = workbook_facts(pilot)[spec.phase]
    data: dict[str, Any] = {
        "pilot": pilot.pk,
        "phase": spec.phase,
        "title": spec.title,
        "complete": facts.complete,
        "missing": list(facts.missing),
        "progress": progress(facts, spec.phase),
        "updated_at": workbook.updated_at.isoformat() if workbook.pk else None,
    }
    data.update(services.workbook_values(workbook, spec.fields))
    if spec.phase == "data":
        data["bias_review_evidence_file"] = _file(pilot, workbook.bias_review_evidence_file)
    for list_spec, rows in zip(spec.lists, list_rows(pilot, spec).values(), strict=True):
        items = []
        for row in rows:
            item = {"id": row.pk, **{n: services.plain(getattr(row, n)) for n in list_spec.fields}}
            if list_spec.has_evidence:
                item["evidence_file"] = _file(pilot, row.evidence_file)
            items.append(item)
        data[list_spec.name] = items
    if spec.phase == "strategy":
        data["economic_case"] = economic_case_of(workbook).as_dict()
    return data


def _spec(phase: str) -> PhaseSpec:
    spec = SPECS.get(phase)
    if spec is None:
        raise Http404(f"No workbook {phase!r}; use one of {', '.join(SPECS)}.")
    return spec


PHASE_PARAM = OpenApiParameter(
    "phase", str, OpenApiParameter.PATH, enum=list(SPECS), description="Which workbook."
)


def _body_doc() -> str:
    """What each phase's body holds, for the schema (the forms of the pages judge it)."""
    lines = [
        "A JSON object of the phase's fields and lists. People are usernames of active "
        "users, metrics are catalog keys, dates are YYYY-MM-DD, amounts are numbers or "
        f"decimal strings. Amounts of money ({', '.join(MONEY_FIELDS)}, and the economic "
        f"case in the response) are in {currency_code()}, the installation's currency "
        "(PILOTGATE_CURRENCY). Unknown names are refused. By phase:",
        "",
    ]
    for spec in SPECS.values():
        lists = "; ".join(f"`{ls.name}` [{', '.join(ls.fields)}]" for ls in spec.lists)
        lines.append(f"- `{spec.phase}`: {', '.join(spec.fields)}; lists: {lists}")
    return "\n".join(lines)


BODY_DOC = lazy(_body_doc, str)()


class LenientJSONParser(JSONParser):
    """Accepts NaN and Infinity so the field they were sent for gets a clear error of its
    own (and the rest of the request is still stored) instead of a parse error for all."""

    strict = False


class WorkbookView(APIView):
    """One workbook of a pilot. Lists are arrays of rows; people are usernames; metrics are
    catalog keys. A bad field or row is reported under its name (e.g. `success_metrics[1].target`)
    while the valid fields and lists of the same request are stored."""

    parser_classes = [LenientJSONParser, FormParser, MultiPartParser]

    @extend_schema(
        summary="Read a workbook", parameters=[PHASE_PARAM], responses=OpenApiTypes.OBJECT
    )
    def get(self, request, pk, phase):
        spec = _spec(phase)
        pilot = pilot_selectors.pilot_get(user=request.user, pk=pk)
        return Response(workbook_payload(pilot, spec))

    @extend_schema(
        summary="Replace a workbook (fields not sent are cleared, lists not sent are emptied)",
        description=BODY_DOC,
        parameters=[PHASE_PARAM],
        request=OpenApiTypes.OBJECT,
        responses=OpenApiTypes.OBJECT,
    )
    def put(self, request, pk, phase):
        return self._save(request, pk, phase, partial=False)

    @extend_schema(
        summary="Change some fields or lists of a workbook",
        description=BODY_DOC,
        parameters=[PHASE_PARAM],
        request=OpenApiTypes.OBJECT,
        responses=OpenApiTypes.OBJECT,
    )
    def patch(self, request, pk, phase):
        return self._save(request, pk, phase, partial=True)

    def _save(self, request, pk, phase, *, partial: bool):
        spec = _spec(phase)
        pilot = pilot_selectors.pilot_get(user=request.user, pk=pk)
        if not isinstance(request.data, dict):
            return Response(
                {
                    "message": "Send a JSON object.",
                    "errors": {"non_field_errors": ["Not an object."]},
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        data = {k: v for k, v in request.data.items() if k not in READ_ONLY_KEYS}
        result = services.workbook_replace(
            pilot=pilot,
            phase=phase,
            by=request.user,
            data=data,
            partial=partial,
            json_body=not isinstance(request.data, QueryDict),
        )
        if result.errors:
            names = ", ".join(sorted(result.errors))
            saved = sorted(result.after)
            note = f" Saved: {', '.join(saved)}." if saved else " Nothing was saved."
            return Response(
                {
                    "message": f"Invalid input: {names}.{note}",
                    "errors": result.errors,
                    "saved": saved,
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(workbook_payload(pilot, spec))
