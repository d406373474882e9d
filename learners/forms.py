from __future__ import annotations

from typing import Any

from allauth.account.adapter import get_adapter
from allauth.account.forms import LoginForm
from allauth.account.forms import ResetPasswordForm as AllauthResetPasswordForm
from allauth.account.internal.userkit import filter_users_by_email
from allauth.mfa.totp.forms import ActivateTOTPForm as AllauthActivateTOTPForm
from allauth.mfa.totp.internal import auth as totp_auth
from django import forms
from django.utils.translation import gettext_lazy as _

from identity.models import User
from learners.models import ContactConsent, ContactTopic
from tenants.models import Unit

EMAIL_LABEL = _("E-mail address")


def _email_field(**kwargs: Any) -> forms.EmailField:
    return forms.EmailField(
        label=EMAIL_LABEL,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        **kwargs,
    )


class PasswordLoginForm(LoginForm):  # type: ignore[misc]
    """allauth's password sign-in, labelled like the rest of the sign-in page."""

    is_password_form = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].label = EMAIL_LABEL
        self.fields["login"].widget.attrs.pop("placeholder", None)
        self.fields["password"].widget.attrs.pop("placeholder", None)
        self.fields["password"].required = True
        self.fields["password"].help_text = ""

    def _setup_password_field(self) -> None:
        # allauth drops the password field when sign-up asks for none; people may add one later.
        pass


class CodeRequestForm(forms.Form):
    """The sign-in page's default: e-mail me a code. Named like allauth's password form so one
    template serves both (the password field only matters when 'Sign in with a password' is used)."""

    is_password_form = False
    login = _email_field()
    password = forms.CharField(label=_("Password"), required=False, widget=forms.PasswordInput)


class SignupForm(forms.Form):
    email = _email_field()
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )


class GuestForm(SignupForm):
    pass


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Sign-in code"),
        max_length=20,
        help_text=_("The code in the e-mail we just sent you."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


class StaffCodeForm(CodeForm):
    email = _email_field()
    field_order = ["email", "code"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = _("The code in the e-mail our staff sent you.")


class ProfileForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = User
        fields = ["full_name", "preferred_name", "phone"]
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "preferred_name": forms.TextInput(attrs={"autocomplete": "nickname"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
        }
        help_texts = {"phone": _("Only used about courses you take, never for marketing.")}


def consent_field_name(unit: Unit, topic: str) -> str:
    return f"consent_{unit.pk}_{topic}"


class ContactForm(forms.Form):
    """One checkbox per unit and topic: what each of the tenant's units may e-mail about."""

    def __init__(
        self,
        *args: Any,
        units: list[Unit],
        current: dict[tuple[int, str], ContactConsent],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.units = units
        self.groups: list[tuple[Unit, list[forms.BoundField], ContactConsent | None]] = []
        for unit in units:
            names = []
            for topic in ContactTopic:
                name = consent_field_name(unit, topic.value)
                consent = current.get((unit.pk, topic.value))
                self.fields[name] = forms.BooleanField(
                    label=topic.label, required=False, initial=bool(consent and consent.granted)
                )
                names.append(name)
            latest = max(
                (c for t in ContactTopic if (c := current.get((unit.pk, t.value))) is not None),
                key=lambda c: c.recorded_at,
                default=None,
            )
            self.groups.append((unit, [self[n] for n in names], latest))

    def choices(self) -> dict[tuple[int, str], bool]:
        return {
            (unit.pk, topic.value): bool(self.cleaned_data.get(consent_field_name(unit, topic.value)))
            for unit in self.units
            for topic in ContactTopic
        }


class RemindersForm(forms.Form):
    reminders = forms.BooleanField(
        label=_("Send me reminders"),
        required=False,
        widget=forms.CheckboxInput(attrs={"aria-describedby": "reminders-hint"}),
        help_text=_(
            "Before a held seat or a seat offered to you expires, and three days before a course starts."
        ),
    )


class DeleteAccountForm(forms.Form):
    confirm_email = forms.CharField(
        label=_("Type your e-mail address to confirm"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_confirm_email(self) -> str:
        value: str = self.cleaned_data["confirm_email"].strip()
        if value.lower() != self.user.email.lower():
            raise forms.ValidationError(
                _("This is not your account's e-mail address (%(email)s).") % {"email": self.user.email}
            )
        return value


class LookupForm(forms.Form):
    email = _email_field()


class MergeForm(forms.Form):
    source_email = _email_field(
        help_text=_("Its enrollments, orders and history move; the account itself stays.")
    )
    target_email = _email_field(help_text=_("The account the learner keeps using."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source_email"].label = _("Merge the records of")
        self.fields["target_email"].label = _("Into the account of")


class ActivateTOTPForm(AllauthActivateTOTPForm):  # type: ignore[misc]
    """allauth's TOTP set-up, keeping one secret until it is confirmed: allauth makes a new one on
    every page load, so a code from the app scanned at the first load failed after a reload."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Not allauth's __init__: it regenerates the secret on every GET.
        self.user = kwargs.pop("user")
        forms.Form.__init__(self, *args, **kwargs)
        self.secret = totp_auth.get_totp_secret(regenerate=False)


class ResetPasswordForm(AllauthResetPasswordForm):  # type: ignore[misc]
    """The same answer for every address, so the page reveals no account: a known address gets
    the reset link, an unknown one allauth's "no account here" e-mail."""

    def clean_email(self) -> str:
        email = get_adapter().clean_email(self.cleaned_data["email"].lower())
        self.users = filter_users_by_email(email, is_active=True, prefer_verified=True, for_login=True)
        return str(self.cleaned_data["email"])
