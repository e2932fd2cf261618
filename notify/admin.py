"""Operators read what went out and what failed; the Channel (its URL a secret) is managed
on its own page, never here."""

from django.contrib import admin

from notify.models import ChannelMessage, Email


@admin.register(Email)
class EmailAdmin(admin.ModelAdmin):
    list_display = ("subject", "to", "topic", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "topic")
    search_fields = ("to", "subject")
    readonly_fields = [f.name for f in Email._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # read-only: the records are the delivery history


@admin.register(ChannelMessage)
class ChannelMessageAdmin(admin.ModelAdmin):
    list_display = ("event", "channel", "status", "attempts", "response_status", "sent_at")
    list_filter = ("status",)
    readonly_fields = ["channel", "event", "status", "attempts", "last_error", "sent_at",
                       "response_status", "next_attempt_at"]  # fmt: skip

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # read-only: the records are the delivery history
