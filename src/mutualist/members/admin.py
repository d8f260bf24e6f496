"""Admin for members: users (by email), profiles and the skill taxonomy.

Adding a user goes through ``user_signup``, the same service as the sign-up
page, so an admin-made account also gets its profile and a unique handle.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.http import HttpRequest

from mutualist.core.reference import timezone_choices
from mutualist.members.forms.accounts import AdminEmailAuthenticationForm
from mutualist.members.models import (
    AvailabilityWindow,
    MemberSkill,
    Profile,
    ProfileLanguage,
    Skill,
    User,
)
from mutualist.members.services.accounts import user_signup


class UserAddForm(BaseUserCreationForm):  # type: ignore[type-arg]
    display_name = forms.CharField(max_length=80)
    timezone = forms.ChoiceField(initial="UTC")

    class Meta:
        model = User
        fields = ("email",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = timezone_choices()  # type: ignore[attr-defined]

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"]).strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this email address already exists.", code="email_taken"
            )
        return email


class UserEditForm(UserChangeForm):  # type: ignore[type-arg]
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()


@admin.register(User)
class UserAdmin(DjangoUserAdmin):  # type: ignore[type-arg]
    form = UserEditForm
    add_form = UserAddForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined", "email_verified_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "display_name", "timezone", "password1", "password2"),
            },
        ),
    )
    list_display = ("email", "display_name", "is_active", "is_staff", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active")
    list_select_related = ("profile",)
    search_fields = ("email", "profile__display_name", "profile__handle")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined", "email_verified_at")

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        if change:
            return super().save_form(request, form, change)
        # Creating: the service writes the user and the profile together.
        return user_signup(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            display_name=form.cleaned_data["display_name"],
            timezone=form.cleaned_data["timezone"],
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:  # on add, save_form() has already saved everything
            if "email" in form.changed_data:
                # No one has proved they read mail at the address an operator
                # typed in; the owner confirms it like any new sign-up.
                obj.email_verified_at = None
            super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if change:  # the add form has no related fields
            super().save_related(request, form, formsets, change)


class MemberSkillInline(admin.TabularInline):  # type: ignore[type-arg]
    model = MemberSkill
    autocomplete_fields = ("skill",)
    extra = 0


class ProfileLanguageInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ProfileLanguage
    extra = 0


class AvailabilityWindowInline(admin.TabularInline):  # type: ignore[type-arg]
    model = AvailabilityWindow
    extra = 0


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("display_name", "handle", "country", "city", "timezone", "is_public")
    list_filter = ("is_public", "country")
    search_fields = ("display_name", "handle", "user__email")
    raw_id_fields = ("user",)
    readonly_fields = ("updated_at",)
    inlines = (MemberSkillInline, ProfileLanguageInline, AvailabilityWindowInline)


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "category", "slug")
    list_filter = ("category",)
    search_fields = ("name", "slug", "category")
    prepopulated_fields = {"slug": ("name",)}


# The admin login goes through the same length check as the site's login form.
admin.site.login_form = AdminEmailAuthenticationForm
