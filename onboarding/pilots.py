"""The pilots sheet: one row per pilot, with its owners, stage, unit, risk tier and the key
fields of its strategy workbook.

A row whose name matches an existing pilot (any case) changes that pilot; others create
one. On an existing pilot an empty cell leaves the value as it is, and the workbook columns
must be empty or unchanged (its owners edit their workbook; the importer is not one).
Everything is written by the importing admin under the apps' rules (accounts.rules) and
audited: new pilots in bulk (PilotSheet._create_many) with their stage through gates'
pilots_move_stage ("Imported from <file>", an audited administrative transition, not a
review); changed pilots through pilot_update, pilot_role_assign and pilot_transition.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Prefetch, Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts import rules
from accounts.audit import Entry, audit_record_many
from accounts.models import PilotRole, PilotRoleKind
from gates.services import pilot_transition, pilots_move_stage
from onboarding.sheets import Column, RowPlan, Sheet
from portfolio import events
from portfolio import services as pilot_services
from portfolio.models import BusinessUnit, Pilot, RiskTier, Stage, Status, tidy_name
from portfolio.workbooks.forms import workbook_form_class
from portfolio.workbooks.models import StrategyWorkbook
from portfolio.workbooks.spec import SPECS

WORKBOOK_COLUMNS = (
    "business_problem",
    "kpi",
    "expected_annual_benefit",
    "annual_volume",
    "cost_per_transaction",
    "one_time_build_cost",
)
PHASE = "strategy"
TRUE = {"yes", "y", "true", "1", "x"}
FALSE = {"no", "n", "false", "0", ""}
_STAGES = {**{s.value: s.value for s in Stage}, **{s.label.lower(): s.value for s in Stage}}
_TIERS = {**{t.value: t.value for t in RiskTier}, **{t.label.lower(): t.value for t in RiskTier}}
_STAGE_LABELS = dict(Stage.choices)
_TIER_LABELS = dict(RiskTier.choices)


def _label(model, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


class PilotSheet(Sheet):
    name = "pilots"
    title = "Pilots"
    columns = (
        Column("name", "The pilot's name. A name already in Pilotgate (in any case) changes "
               "that pilot; its name stays as it is.", required=True,
               example="Invoice matching"),
        Column("business_unit", "A business unit on the managed list.", required=True,
               example="Finance"),
        Column("business_owner", "Username or email of the accountable owner (an active "
               "user).", required=True, example="olivia"),
        Column("technical_owner", "Username or email of the technical owner.",
               example="tom@example.com"),
        Column("stage", "Discovery, Pilot, Readiness or Scale (default Discovery). Recorded "
               "as an administrative move by you.", example="Pilot"),
        Column("risk_tier", "Low, Medium or High (default Medium).", example="High"),
        Column("confidential", "Yes or no (default no): only its people and leads see it.",
               example="no"),
        Column("summary", "A short description, up to 4,000 characters."),
        Column("business_problem", "Strategy workbook: the business problem."),
        Column("kpi", "Strategy workbook: the tracked KPI."),
        Column("expected_annual_benefit", "Strategy workbook: money per year at "
               "production (a number).", example="250000"),
        Column("annual_volume", "Strategy workbook: transactions per year (a whole "
               "number).", example="120000"),
        Column("cost_per_transaction", "Strategy workbook: run cost per transaction.",
               example="0.04"),
        Column("one_time_build_cost", "Strategy workbook: one-time build cost.",
               example="80000"),
    )  # fmt: skip

    # --- the dry run --------------------------------------------------------------------

    def _lookups(self, rows) -> None:
        names, people, units = set(), set(), set()
        for _number, row in rows:
            names.add(tidy_name(row.get("name", "")).lower())
            units.add(tidy_name(row.get("business_unit", "")).lower())
            for column in ("business_owner", "technical_owner"):
                if row.get(column, "").strip():
                    people.add(row[column].strip().lower())
        self.units = {
            u.name.lower(): u
            for u in BusinessUnit.objects.annotate(key=Lower("name")).filter(key__in=units)
        }
        User = get_user_model()
        found = User.objects.annotate(u=Lower("username"), e=Lower("email")).filter(
            Q(u__in=people) | Q(e__in=people)
        )
        self.users_by_name, self.users_by_email = {}, {}
        for user in found:
            self.users_by_name[user.username.lower()] = user
            if user.email:
                self.users_by_email.setdefault(user.email.lower(), []).append(user)
        self.existing: dict[str, list[Pilot]] = {}
        pilots = (
            Pilot.objects.annotate(key=Lower("name"))
            .filter(key__in=names)
            .select_related("unit", "strategyworkbook")
            .prefetch_related(Prefetch("roles", queryset=PilotRole.objects.select_related("user")))
        )
        for pilot in pilots:
            self.existing.setdefault(pilot.name.lower(), []).append(pilot)

    def _person(self, plan: RowPlan, column: str, raw: str):
        key = raw.strip().lower()
        user = self.users_by_name.get(key)
        if user is None:
            by_email = self.users_by_email.get(key, [])
            if len(by_email) > 1:
                plan.error(column, f"{len(by_email)} users have the email “{raw}”; give a username")
                return None
            user = by_email[0] if by_email else None
        if user is None:
            plan.error(column, f"no user has the username or email “{raw}”")
            return None
        if not user.is_active:
            plan.error(column, f"“{raw}” is not an active user")
            return None
        return user

    def _choice(self, plan, column, raw, choices, default, words):
        text = raw.strip().lower()
        if not text:
            return default
        if text not in choices:
            plan.error(column, f"“{raw}” is not one of {words}")
            return None
        return choices[text]

    def _workbook(self, plan: RowPlan, row: dict) -> dict[str, str]:
        given = {c: row.get(c, "").strip() for c in WORKBOOK_COLUMNS if row.get(c, "").strip()}
        if not given:
            return {}
        form = workbook_form_class(SPECS[PHASE], tuple(given))(given, instance=StrategyWorkbook())
        if not form.is_valid():
            for name, messages in form.errors.items():
                plan.error(name, " ".join(str(m) for m in messages).rstrip(".").lower())
            return {}
        plan.values["workbook_clean"] = {n: form.cleaned_data[n] for n in given}
        return given

    def plan_rows(self, rows, *, by) -> list[RowPlan]:
        self._lookups(rows)
        plans, first_row_of = [], {}
        for number, row in rows:
            name = tidy_name(row.get("name", ""))
            plan = RowPlan(number=number, key=name or f"(row {number})")
            plans.append(plan)
            if "__extra__" in row:
                plan.error("row", row["__extra__"])
            if not name:
                plan.error("name", "required; give the pilot's name")
            elif len(name) > 200:
                plan.error("name", "longer than 200 characters")
            elif name.lower() in first_row_of:
                plan.error("name", f"“{name}” is also on row {first_row_of[name.lower()]}; "
                           "give one row per pilot")  # fmt: skip
            else:
                first_row_of[name.lower()] = number
            self._plan_row(plan, row, name)
        return plans

    def _plan_row(self, plan: RowPlan, row: dict, name: str) -> None:
        matches = self.existing.get(name.lower(), [])
        pilot = matches[0] if len(matches) == 1 else None
        if len(matches) > 1:
            plan.error("name", f"{len(matches)} pilots are already called “{name}”; rename "
                       "them first so the row names one")  # fmt: skip
        if pilot is not None and pilot.status == Status.STOPPED:
            plan.error("name", f"“{pilot.name}” is stopped; a stopped pilot no longer changes")
        creating = pilot is None
        values = plan.values
        unit_raw = tidy_name(row.get("business_unit", ""))
        if unit_raw:
            unit = self.units.get(unit_raw.lower())
            current = pilot.unit if pilot else None
            if unit is None:
                plan.error("business_unit", f"“{unit_raw}” is not on the list of business units")
            elif not unit.active and (current is None or current.pk != unit.pk):
                plan.error("business_unit", f"“{unit.name}” is no longer in use")
            else:
                values["unit"] = unit
        elif creating:
            plan.error("business_unit", "required; give a business unit from the list")
        owner_raw = row.get("business_owner", "").strip()
        if owner_raw:
            values["business_owner"] = self._person(plan, "business_owner", owner_raw)
        elif creating:
            plan.error("business_owner", "required; give a username or email")
        tech_raw = row.get("technical_owner", "").strip()
        if tech_raw:
            values["technical_owner"] = self._person(plan, "technical_owner", tech_raw)
        stage = self._choice(plan, "stage", row.get("stage", ""), _STAGES,
                             Stage.DISCOVERY if creating else None,
                             "Discovery, Pilot, Readiness, Scale")  # fmt: skip
        tier = self._choice(plan, "risk_tier", row.get("risk_tier", ""), _TIERS,
                            RiskTier.MEDIUM if creating else None, "Low, Medium, High")  # fmt: skip
        values["stage"], values["risk_tier"] = stage, tier
        confidential = row.get("confidential", "").strip().lower()
        if confidential in TRUE:
            values["confidential"] = True
        elif confidential and confidential not in FALSE:
            plan.error("confidential", f"“{row['confidential']}” is not yes or no")
        elif confidential or creating:
            values["confidential"] = False
        summary = row.get("summary", "").strip()
        if len(summary) > 4000:
            plan.error("summary", "longer than 4,000 characters")
        elif summary:
            values["summary"] = summary
        values["name"] = name
        values["workbook"] = self._workbook(plan, row)
        if plan.action == "error":
            return
        if creating:
            plan.action = "create"
            plan.changes = self._describe_new(values)
        else:
            plan.target_id, plan.key = pilot.pk, pilot.name
            plan.changes = self._describe_changes(plan, pilot, values)
            if plan.action != "error":
                plan.action = "update" if plan.changes else "unchanged"

    def _describe_new(self, values) -> list[str]:
        words = [
            f"New pilot in {values['unit'].name}, {_STAGE_LABELS[values['stage']]}, "
            f"{_TIER_LABELS[values['risk_tier']].lower()} risk"
            + (", confidential" if values.get("confidential") else ""),
            f"Business owner {values['business_owner'].get_username()}",
        ]
        if values.get("technical_owner"):
            words.append(f"Technical owner {values['technical_owner'].get_username()}")
        if values["workbook"]:
            names = ", ".join(_label(StrategyWorkbook, n) for n in values["workbook"])
            words.append(f"Strategy workbook: {names}")
        return words

    def _describe_changes(self, plan: RowPlan, pilot: Pilot, values) -> list[str]:
        words = []
        basics = {}
        # By name: a pilot from before the managed list of units names its unit only so.
        if values.get("unit") and values["unit"].name.lower() != pilot.business_unit.lower():
            basics["business_unit"] = values["unit"]
            words.append(f"Business unit: {pilot.business_unit} → {values['unit'].name}")
        if values.get("risk_tier") and values["risk_tier"] != pilot.risk_tier:
            basics["risk_tier"] = values["risk_tier"]
            words.append(
                f"Risk tier: {_TIER_LABELS[pilot.risk_tier]} → {_TIER_LABELS[values['risk_tier']]}"
            )
        if "confidential" in values and values["confidential"] != pilot.confidential:
            basics["confidential"] = values["confidential"]
            words.append(f"Confidential: {'yes' if values['confidential'] else 'no'}")
        if values.get("summary") and values["summary"] != pilot.summary:
            basics["summary"] = values["summary"]
            words.append("Summary replaced")
        values["basics"] = basics
        roles = {}
        for role, column in ((PilotRoleKind.BUSINESS_OWNER, "business_owner"),
                             (PilotRoleKind.TECHNICAL_OWNER, "technical_owner")):  # fmt: skip
            user = values.get(column)
            holder = pilot.holder(role)
            if user is not None and (holder is None or holder.pk != user.pk):
                roles[role] = user
                before = holder.get_username() if holder else "nobody"
                words.append(f"{role.label}: {before} → {user.get_username()}")
        values["roles"] = roles
        if values.get("stage") and values["stage"] != pilot.stage:
            words.append(f"Stage: {_STAGE_LABELS[pilot.stage]} → {_STAGE_LABELS[values['stage']]}")
        workbook = getattr(pilot, "strategyworkbook", None)
        for name, value in values.get("workbook_clean", {}).items():
            current = getattr(workbook, name, None) if workbook else None
            if current != value and not (current in (None, "") and value in (None, "")):
                plan.error(name, "the pilot exists; its owners change its workbook on its page "
                           "(leave the cell empty, or as it is)")  # fmt: skip
        return words

    # --- the import ---------------------------------------------------------------------

    def apply(self, rows: list[RowPlan], *, by, file_name: str) -> dict[str, int]:
        reason = f"Imported from {file_name}"
        creates = [plan for plan in rows if plan.action == "create"]
        updates = [plan for plan in rows if plan.action == "update"]
        self._create_many(creates, by=by, reason=reason)
        for plan in updates:
            self._update(plan, by=by, reason=reason)
        return {"created": len(creates), "updated": len(updates)}

    def _create_many(self, plans: list[RowPlan], *, by, reason: str) -> list[Pilot]:
        """New pilots in a few statements (2,000 in well under a minute): pilot_create's
        rule and checks, the roles and workbook fields the rows give, one audit event per
        write as the single services record it, and the stages through
        gates' pilots_move_stage (an administrative move per pilot, "Imported from ...")."""
        if not plans:
            return []
        rules.ensure(rules.can_create_pilot(by), by, "create_pilot", "pilot:new")
        now = timezone.now()
        pilots = []
        for plan in plans:
            values = plan.values
            pilot = Pilot(
                name=values["name"], business_unit=values["unit"].name, unit=values["unit"],
                summary=values.get("summary", ""), risk_tier=values["risk_tier"],
                confidential=values.get("confidential", False), created_by=by,
                created_at=now, stage_entered_at=now,
            )  # fmt: skip
            # The model's field checks, as pilot_create runs them (the unit and the people
            # were resolved by the plan; no query per row).
            pilot.full_clean(
                exclude=["stage", "status", "created_by", "stage_entered_at", "unit"],
                validate_unique=False,
                validate_constraints=False,
            )
            pilots.append(pilot)
        Pilot.objects.bulk_create(pilots, batch_size=500)
        roles, workbooks, entries = [], [], []
        for pilot, plan in zip(pilots, plans, strict=True):
            values = plan.values
            plan.target_id = pilot.pk
            entries.append(
                Entry(
                    action="pilot.create", object_type="portfolio.pilot", object_id=pilot.pk,
                    pilot_id=pilot.pk,
                    after={**{f: getattr(pilot, f) for f in pilot_services.EDITABLE_FIELDS},
                           "stage": pilot.stage, "status": pilot.status, "source": reason},
                )
            )  # fmt: skip
            for role, column in ((PilotRoleKind.BUSINESS_OWNER, "business_owner"),
                                 (PilotRoleKind.TECHNICAL_OWNER, "technical_owner")):  # fmt: skip
                user = values.get(column)
                if user is None:
                    continue
                roles.append(PilotRole(pilot=pilot, role=role, user=user))
                entries.append(
                    Entry(
                        action="pilot_role.assign", object_type="portfolio.pilot",
                        object_id=pilot.pk, pilot_id=pilot.pk,
                        before={"role": role, "user": None},
                        after={"role": role, "user": user.get_username()},
                    )
                )  # fmt: skip
            cleaned = values.get("workbook_clean") or {}
            if cleaned:
                workbooks.append(StrategyWorkbook(pilot=pilot, updated_by=by, **cleaned))
        PilotRole.objects.bulk_create(roles, batch_size=1000)
        StrategyWorkbook.objects.bulk_create(workbooks, batch_size=500)
        cleaned_of = {p.target_id: p.values.get("workbook_clean") for p in plans}
        for workbook in workbooks:
            entries.append(
                Entry(
                    action="workbook.update", object_type="portfolio.strategyworkbook",
                    object_id=workbook.pk, pilot_id=workbook.pilot_id,
                    before={"phase": PHASE},
                    after={"phase": PHASE, **cleaned_of[workbook.pilot_id]},
                )
            )  # fmt: skip
        audit_record_many(actor=by, entries=entries)
        moves = [(pilot, plan.values["stage"]) for pilot, plan in zip(pilots, plans, strict=True)]
        pilots_move_stage(moves=moves, by=by, reason=reason)
        if workbooks:
            # The realized-economics aggregates count pilots with and without a case apart.
            transaction.on_commit(lambda: events.aggregates_stale.send(sender=Pilot), robust=True)
        return pilots

    def _update(self, plan: RowPlan, *, by, reason: str) -> Pilot:
        values = plan.values
        pilot = Pilot.objects.get(pk=plan.target_id)
        if values["basics"]:
            pilot = pilot_services.pilot_update(pilot=pilot, by=by, **values["basics"])
        if values.get("stage") and values["stage"] != pilot.stage:
            pilot = pilot_transition(pilot=pilot, by=by, to_stage=values["stage"], reason=reason)
        for role, user in values["roles"].items():
            pilot_services.pilot_role_assign(pilot=pilot, role=role, user=user, by=by)
        return pilot
