from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants and units"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from identity.registry import register_personal_data
        from tenants import personal_data
        from tenants.models import Domain, Tenant

        register_personal_data(
            "staff",
            export=personal_data.export,
            erase=personal_data.erase,
            blocker=personal_data.deletion_blocker,
        )
        # The per-process host → tenant cache (tenants.cache) forgets on any tenant or host change.
        for model in (Tenant, Domain):
            post_save.connect(
                _tenants_changed, sender=model, dispatch_uid=f"tenants-cache-save-{model.__name__}"
            )
            post_delete.connect(
                _tenants_changed, sender=model, dispatch_uid=f"tenants-cache-delete-{model.__name__}"
            )


def _tenants_changed(**kwargs: object) -> None:
    from tenants.cache import tenants_changed

    tenants_changed()
