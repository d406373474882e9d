from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        # handlers register payments' Stripe events; my_learning its part of My learning
        from payments import handlers, my_learning, overview, personal_data, receivers

        personal_data.register()
        receivers.register()
        overview.register()
        del handlers, my_learning
