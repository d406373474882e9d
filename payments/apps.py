from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        # handlers register payments' Stripe events on import
        from payments import handlers, my_learning, overview, personal_data, receivers

        personal_data.register()
        receivers.register()
        my_learning.register()
        overview.register()
        del handlers
