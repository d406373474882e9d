from django.contrib import admin

from learners.models import AccountMerge, ContactConsent, LearnerRecord


@admin.register(LearnerRecord)
class LearnerRecordAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user", "tenant", "origin", "created_at", "last_seen_at", "merged_at")
    list_filter = ("tenant", "origin")
    search_fields = ("user__email",)
    readonly_fields = ("merged_into", "merged_at")


@admin.register(ContactConsent)
class ContactConsentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Append-only history: read it here, change it on the learner's profile."""

    list_display = ("user", "tenant", "unit", "topic", "granted", "recorded_at")
    list_filter = ("tenant", "topic", "granted")
    search_fields = ("user__email",)

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(AccountMerge)
class AccountMergeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The audit trail of merges: never edited."""

    list_display = ("created_at", "tenant", "actor_email", "source_email", "target_email")
    list_filter = ("tenant",)
    search_fields = ("source_email", "target_email", "actor_email")

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
