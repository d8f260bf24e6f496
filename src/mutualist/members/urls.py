from __future__ import annotations

from django.urls import path

from mutualist.members.views import accounts, profiles

app_name = "members"

urlpatterns = [
    # accounts: sign-up, login, password reset, email verification and change
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/login/", accounts.login, name="login"),
    path("accounts/logout/", accounts.logout, name="logout"),
    path("accounts/password/reset/", accounts.password_reset, name="password_reset"),
    path("accounts/password/reset/sent/", accounts.password_reset_done, name="password_reset_done"),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        accounts.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete/",
        accounts.password_reset_complete,
        name="password_reset_complete",
    ),
    path("accounts/password/change/", accounts.password_change, name="password_change"),
    path("accounts/email/", accounts.email_change, name="email_change"),
    path(
        "accounts/email/confirm/<str:token>/",
        accounts.email_change_confirm,
        name="email_change_confirm",
    ),
    path("accounts/email/verify/<str:token>/", accounts.email_verify, name="email_verify"),
    path("accounts/email/verify-resend/", accounts.email_verify_resend, name="email_verify_resend"),
    # the member's own pages
    path("me/", profiles.dashboard, name="dashboard"),
    path("me/profile/", profiles.profile_edit, name="profile_edit"),
    path("me/skills/", profiles.skills_edit, name="skills_edit"),
    path("me/availability/", profiles.availability_edit, name="availability_edit"),
    # public
    path("people/", profiles.directory, name="directory"),
    path("people/<slug:handle>/", profiles.profile_detail, name="profile"),
]
