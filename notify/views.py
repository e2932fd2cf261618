from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts import rules
from config.errors import Conflict
from notify import recipients, services, tokens
from notify.catalog import TOPICS
from notify.forms import ChannelForm, PreferencesForm, field_name
from notify.models import Channel
from outbox.catalog import EventType

User = services.User


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    """The signed-in person's own notification choices (nobody else's: no user in the URL)."""
    form = PreferencesForm(request.POST or None, modes=services.modes_of(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            services.preferences_set(user=request.user, by=request.user, modes=form.modes())
        except ValidationError as exc:
            for topic, errors in exc.message_dict.items():
                form.add_error(field_name(topic) if topic in TOPICS else None, errors)
        else:
            messages.success(request, "Your notification choices are saved.")
            return redirect("notify:preferences")
    who = dict(recipients.describe())
    context = {"form": form, "who": [(TOPICS[t], text) for t, text in who.items() if t in TOPICS]}
    return render(request, "notify/preferences.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """One click from an email: GET asks to confirm, POST turns the topic off."""
    read = tokens.read(token)
    user = User.objects.filter(pk=read[0], is_active=True).first() if read else None
    if user is None or read[1] not in TOPICS:
        context = {"invalid": True}
        return render(request, "notify/unsubscribe.html", context, status=400)
    context = {"topic": TOPICS[read[1]], "email": user.email, "token": token}
    if request.method == "POST":
        try:
            services.unsubscribe(token=token)
        except Conflict as exc:
            context["refused"] = exc.message
            return render(request, "notify/unsubscribe.html", context, status=409)
        context["done"] = True
    return render(request, "notify/unsubscribe.html", context)


def _admin_only(request):
    if not rules.is_admin(request.user):
        rules.log_denied(request.user, "notify.channels", "channels")
        raise PermissionDenied("Only administrators configure Slack and Teams channels.")


@login_required
@require_http_methods(["GET", "POST"])
def channels(request):
    _admin_only(request)
    form = ChannelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            channel = services.channel_create(
                by=request.user, name=data["name"], kind=data["kind"], url=data["url"],
                event_types=data["event_types"], business_unit=data["business_unit"],
            )  # fmt: skip
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, f"Channel “{channel.name}” saved.")
            return redirect("notify:channels")
    rows = list(Channel.objects.filter(active=True).select_related("business_unit"))
    labels = dict(EventType.choices)
    for row in rows:
        row.event_labels = [labels.get(t, t) for t in row.event_types]
    context = {"form": form, "channels": rows}
    return render(request, "notify/channels.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def channel_remove(request, pk):
    _admin_only(request)
    channel = get_object_or_404(Channel, pk=pk, active=True)
    services.channel_remove(channel=channel, by=request.user)
    messages.success(request, f"Channel “{channel.name}” removed.")
    return redirect("notify:channels")
