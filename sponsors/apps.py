from django.apps import AppConfig


class SponsorsConfig(AppConfig):
    name = "sponsors"
    verbose_name = "Employer sponsors"

    def ready(self) -> None:
        # handlers register the invoice.* Stripe events on import
        from sponsors import handlers, my_learning, personal_data, roster

        roster.register()
        my_learning.register()
        personal_data.register()
        del handlers
