"""Demo users and pilots. Idempotent: running it twice changes nothing the second time."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import GlobalRole, PilotRoleKind
from portfolio import services
from portfolio.models import STAGE_ORDER, BusinessUnit, Pilot, RiskTier, Status
from portfolio.workbooks import demo as workbook_demo


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str
    superuser: bool = False


DEMO_USERS = [
    DemoUser("admin", "Ada", "Admin", GlobalRole.ADMIN, superuser=True),
    DemoUser("grace", "Grace", "Hopper", GlobalRole.GOVERNANCE_LEAD),
    DemoUser("gus", "Gustav", "Lind", GlobalRole.GOVERNANCE_LEAD),
    DemoUser("erin", "Erin", "Okafor", GlobalRole.EXECUTIVE),
    DemoUser("olivia", "Olivia", "Marsh", GlobalRole.CONTRIBUTOR),
    DemoUser("tom", "Tomás", "Reyes", GlobalRole.CONTRIBUTOR),
    DemoUser("oscar", "Oscar", "Nguyen", GlobalRole.CONTRIBUTOR),
    DemoUser("rita", "Rita", "Sandoval", GlobalRole.CONTRIBUTOR),
    DemoUser("casey", "Casey", "Brooks", GlobalRole.CONTRIBUTOR),
]

BUSINESS_UNITS = [
    "Customer Service",
    "Finance",
    "Claims",
    "Sales",
    "HR",
    "Supply Chain",
    "Legal",
    "IT Operations",
]

# (name, business unit, summary)
DEMO_PILOTS = [
    ("Claims triage assistant", "Claims", "Routes incoming claims to the right adjuster queue."),
    ("Invoice matching copilot", "Finance", "Matches supplier invoices to purchase orders."),
    ("Contract clause extractor", "Legal", "Pulls renewal and liability clauses from contracts."),
    ("Support reply drafter", "Customer Service", "Drafts first replies to support tickets."),
    ("Returns reason classifier", "Customer Service", "Classifies return reasons for refunds."),
    ("Sales call summariser", "Sales", "Summarises discovery calls into CRM notes."),
    ("Lead scoring explainer", "Sales", "Explains lead scores to account executives."),
    ("Candidate screening helper", "HR", "Screens applications against role requirements."),
    ("Policy Q&A for employees", "HR", "Answers benefits and leave questions from the handbook."),
    ("Demand forecast narrator", "Supply Chain", "Explains weekly demand forecast changes."),
    ("Supplier risk monitor", "Supply Chain", "Flags supplier news that threatens delivery."),
    ("Incident postmortem writer", "IT Operations", "Drafts postmortems from incident timelines."),
    ("Alert noise reducer", "IT Operations", "Groups duplicate monitoring alerts."),
    ("Expense audit sampler", "Finance", "Picks risky expense reports for audit."),
    ("Month-end close checklist bot", "Finance", "Tracks and nudges month-end close tasks."),
    ("Fraud claim detector", "Claims", "Scores claims for likely fraud before payout."),
    ("Subrogation opportunity finder", "Claims", "Finds claims where another party should pay."),
    ("NDA review assistant", "Legal", "Reviews inbound NDAs against the playbook."),
    ("Regulatory change tracker", "Legal", "Summarises regulatory updates that affect us."),
    ("Knowledge base gap finder", "Customer Service", "Finds questions the help centre misses."),
    ("Chat escalation predictor", "Customer Service", "Predicts chats that will need an agent."),
    ("Quote configurator guide", "Sales", "Guides reps through complex product quotes."),
    ("Churn risk briefings", "Sales", "Weekly briefings on accounts likely to churn."),
    ("Onboarding buddy", "HR", "Answers new starters' questions in their first month."),
    ("Skills inventory builder", "HR", "Builds a skills inventory from project records."),
    ("Purchase order coder", "Supply Chain", "Codes purchase orders to the right GL account."),
    (
        "Freight invoice auditor",
        "Supply Chain",
        "Checks freight invoices against contracted rates.",
    ),
    (
        "Service desk ticket router",
        "IT Operations",
        "Routes service desk tickets to resolver groups.",
    ),
    ("Change risk assessor", "IT Operations", "Rates the risk of planned infrastructure changes."),
    ("Cash application matcher", "Finance", "Applies incoming payments to open invoices."),
    ("Collections email writer", "Finance", "Writes tailored payment reminder emails."),
    ("Medical bill reviewer", "Claims", "Checks medical bills against fee schedules."),
    ("Litigation hold notifier", "Legal", "Identifies custodians for litigation holds."),
    ("Voice of customer digest", "Customer Service", "Digests survey verbatims into themes."),
    ("Proposal first-draft writer", "Sales", "Drafts RFP answers from the approved library."),
    ("Shift scheduling advisor", "HR", "Suggests shift schedules that respect rules."),
    ("Warehouse slotting advisor", "Supply Chain", "Suggests where to store fast-moving items."),
    ("Log anomaly explainer", "IT Operations", "Explains unusual log patterns in plain words."),
    ("Vendor onboarding checker", "Finance", "Checks new vendor documents for completeness."),
    ("Claims letter generator", "Claims", "Generates decision letters for settled claims."),
]


def ensure_users() -> dict[str, object]:
    User = get_user_model()
    users = {}
    for spec in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=spec.username,
            defaults={
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "email": f"{spec.username}@example.com",
                "is_staff": spec.superuser,
                "is_superuser": spec.superuser,
            },
        )
        if created:
            user.set_password(settings.PILOTGATE_DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=spec.role))
        users[spec.username] = user
    return users


# How a demo pilot moves to its stage or status: the gates app's transition service (its
# rules and its audit event), which gates/apps.py registers here, since portfolio sits
# below gates and does not import it.
PILOT_MOVERS: list[Callable[..., Pilot]] = []


def _move(**kwargs) -> Pilot:
    if not PILOT_MOVERS:
        raise RuntimeError("No pilot transition registered: is the gates app installed?")
    return PILOT_MOVERS[0](**kwargs)


def ensure_pilots(users: dict) -> list[Pilot]:
    """About 40 pilots across every stage, status, business unit and risk tier."""
    rng = random.Random(20261126)  # fixed: the same demo every time
    owners = [users["olivia"], users["tom"], users["casey"]]
    for unit_name in sorted({unit for _, unit, _ in DEMO_PILOTS}):
        if not BusinessUnit.objects.filter(name__iexact=unit_name).exists():
            BusinessUnit.objects.create(name=unit_name)
    pilots = []
    for index, (name, unit, summary) in enumerate(DEMO_PILOTS):
        existing = Pilot.objects.filter(name=name).first()
        if existing is not None:
            pilots.append(existing)
            continue
        owner = owners[index % len(owners)]
        pilot = services.pilot_create(
            by=owner,
            name=name,
            business_unit=unit,
            summary=summary,
            risk_tier=[RiskTier.LOW, RiskTier.MEDIUM, RiskTier.HIGH][index % 3],
            confidential=index % 9 == 4,
        )
        technical = users["tom"] if owner != users["tom"] else users["olivia"]
        services.pilot_role_assign(
            pilot=pilot, role=PilotRoleKind.TECHNICAL_OWNER, user=technical, by=owner
        )
        if index % 2 == 0:
            services.pilot_role_assign(
                pilot=pilot, role=PilotRoleKind.OPERATIONS_LEAD, user=users["oscar"], by=owner
            )
        if index % 3 == 0:
            services.pilot_role_assign(
                pilot=pilot, role=PilotRoleKind.RISK_LEAD, user=users["rita"], by=owner
            )
        stage = STAGE_ORDER[index % 4]
        # Before the transitions: a stopped pilot's workbooks are read-only.
        workbook_demo.fill(pilot, users, stage=stage)
        if stage != "discovery":
            pilot = _move(pilot=pilot, by=users["admin"], to_stage=stage, reason="Demo history")
        status = Status.ACTIVE
        if index % 10 == 7:
            status = Status.ON_HOLD
        elif index % 13 == 11:
            status = Status.STOPPED
        if status != Status.ACTIVE:
            pilot = _move(pilot=pilot, by=users["admin"], to_status=status, reason="Demo history")
        # Spread registration and stage-entry times so ages and "stale" look real.
        age = timedelta(days=rng.randint(10, 400))
        in_stage = timedelta(days=rng.randint(1, min(age.days, 200)))
        Pilot.objects.filter(pk=pilot.pk).update(
            created_at=timezone.now() - age, stage_entered_at=timezone.now() - in_stage
        )
        pilots.append(pilot)
    return pilots


def seed() -> dict:
    users = ensure_users()
    pilots = ensure_pilots(users)
    context = {"users": users, "pilots": pilots}
    workbook_demo.seed(context)
    return context
