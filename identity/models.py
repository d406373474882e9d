"""People. An account is an e-mail address: learners have no university ID."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PHONE_RE = re.compile(r"^\+?[0-9][0-9 ().-]*$")


def validate_phone(value: str) -> None:
    """A phone number as people type it: digits with spaces, dots, dashes, brackets; 7 to 15 digits."""
    digits = sum(ch.isdigit() for ch in value)
    if not PHONE_RE.match(value) or not 7 <= digits <= 15:
        raise ValidationError(
            _("Enter a phone number of 7 to 15 digits, like +1 312 555 0100."), code="invalid_phone"
        )


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields["is_staff"] = True
        fields["is_superuser"] = True
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """One person, one account per e-mail (case-insensitive), across all tenants.

    `is_staff` means a platform operator (Django admin); tenant staff roles live in
    tenants.StaffMembership.
    """

    email = models.EmailField(_("e-mail address"), max_length=254, unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    preferred_name = models.CharField(
        _("preferred name"), max_length=100, blank=True, help_text=_("What we call you in e-mails and pages.")
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True, validators=[validate_phone])
    # Set when the person deleted their account: the row stays, without personal data, so that
    # records finance must keep still point somewhere (see identity.registry).
    anonymous_reference = models.CharField(max_length=40, blank=True, default="")
    deleted_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(_("platform operator"), default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="identity_user_email_ci_unique"),
            models.UniqueConstraint(
                fields=["anonymous_reference"],
                condition=~Q(anonymous_reference=""),
                name="identity_user_anonymous_reference_unique",
            ),
            models.CheckConstraint(
                condition=Q(deleted_at__isnull=True) | ~Q(anonymous_reference=""),
                name="identity_user_deleted_has_reference",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        """How pages and e-mails address the person."""
        return self.preferred_name or self.full_name or self.email

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def clean(self) -> None:
        super().clean()
        self.email = type(self).objects.normalize_email(self.email)
