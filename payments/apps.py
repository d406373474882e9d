from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from payments import handlers, personal_data  # handlers register payments' Stripe events

        personal_data.register()
        del handlers
