"""Django admin is for platform operators; staff use the console (catalog.views.console)."""

from django.contrib import admin

from catalog.models import CatalogEvent, Microcredential, Offering, RefundPolicy, RefundTier


class RefundTierInline(admin.TabularInline):  # type: ignore[type-arg]
    model = RefundTier
    extra = 0


@admin.register(RefundPolicy)
class RefundPolicyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "unit", "tenant", "is_unit_default", "cancellation_fee_minor", "currency"]
    list_filter = ["tenant"]
    inlines = [RefundTierInline]


@admin.register(Microcredential)
class MicrocredentialAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["title", "unit", "tenant", "status", "credit_value", "credit_type"]
    list_filter = ["tenant", "status"]
    search_fields = ["title"]
    filter_horizontal = ["parts"]


@admin.register(Offering)
class OfferingAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "__str__",
        "tenant",
        "starts_at",
        "status",
        "capacity",
        "seats_taken",
        "price_minor",
        "currency",
    ]
    list_filter = ["tenant", "status", "delivery_mode"]
    readonly_fields = ["seats_taken"]


@admin.register(CatalogEvent)
class CatalogEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "at",
        "tenant",
        "action",
        "from_state",
        "to_state",
        "offering",
        "microcredential",
        "actor",
    ]
    list_filter = ["tenant", "action"]

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
