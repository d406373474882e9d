from django.contrib import admin

from tenants.models import ApiToken, Domain, SocialProvider, StaffInvitation, StaffMembership, Tenant, Unit


class DomainInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Domain
    extra = 1


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "slug", "currency", "time_zone", "is_active")
    search_fields = ("name", "slug", "domains__host")
    inlines = [DomainInline]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "tenant", "slug", "gl_code", "settlement_kind", "is_active")
    list_filter = ("tenant", "settlement_kind", "is_active")
    search_fields = ("name", "slug", "gl_code")


@admin.register(StaffMembership)
class StaffMembershipAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user", "tenant", "role", "all_units")
    list_filter = ("tenant", "role")
    search_fields = ("user__email",)
    filter_horizontal = ("units",)


@admin.register(StaffInvitation)
class StaffInvitationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("email", "tenant", "role", "created_at", "expires_at", "accepted_at", "revoked_at")
    list_filter = ("tenant", "role")
    search_fields = ("email",)
    exclude = ("token",)


@admin.register(SocialProvider)
class SocialProviderAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Tenant admins set credentials in the staff console; secrets are never shown here."""

    list_display = ("tenant", "kind", "client_id", "is_enabled", "updated_at")
    list_filter = ("kind", "is_enabled")
    exclude = ("secret", "apple_private_key")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("prefix", "name", "user", "tenant", "role", "created_at", "last_used_at", "revoked_at")
    list_filter = ("tenant", "role")
    search_fields = ("user__email", "prefix", "name")
    exclude = ("token_hash",)
    readonly_fields = ("prefix", "user", "tenant", "role", "created_at", "last_used_at")
