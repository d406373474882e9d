from django.apps import AppConfig


class CredentialsConfig(AppConfig):
    name = "credentials"
    verbose_name = "Credentials"

    def ready(self) -> None:
        from credentials import personal_data
        from credentials.services.listeners import completion_changed, completions_changed
        from enrollment import extensions

        extensions.completion_listeners.register("credentials", completion_changed)
        extensions.completion_batch_listeners.register("credentials", completions_changed)
        self._issuers_cache_signals()
        personal_data.register()

    def _issuers_cache_signals(self) -> None:
        """What the verifier remembers of issuers and statuses goes stale when they change."""
        from django.db.models.signals import post_delete, post_save

        from credentials.models import Credential, IssuerKey
        from credentials.services.issuer_cache import issuers_changed, statuses_changed
        from tenants.models import Domain, Tenant, Unit

        for model in (Tenant, Domain, Unit, IssuerKey):
            for signal in (post_save, post_delete):
                signal.connect(
                    issuers_changed, sender=model, dispatch_uid=f"credentials-issuers-{model.__name__}"
                )
        post_save.connect(statuses_changed, sender=Credential, dispatch_uid="credentials-statuses")
        post_delete.connect(statuses_changed, sender=Credential, dispatch_uid="credentials-statuses")
