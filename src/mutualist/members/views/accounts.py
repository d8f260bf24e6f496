"""Account pages: sign-up, login, logout, password reset and change, email
verification and change.

Thin views: a form, one service call, a redirect with a message. A service's
``DomainError`` becomes an error on the form field it names.
"""

from __future__ import annotations

from typing import Any

from axes.utils import reset as axes_reset
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from mutualist.core.errors import DomainError
from mutualist.core.web import add_domain_error
from mutualist.members.forms.accounts import (
    EmailAuthenticationForm,
    EmailChangeForm,
    SignupForm,
)
from mutualist.members.models import User
from mutualist.members.services.accounts import (
    email_change_confirm as email_change_confirm_service,
)
from mutualist.members.services.accounts import (
    email_change_request,
    email_verification_send,
    user_signup,
)
from mutualist.members.services.accounts import email_verify as email_verify_service
from mutualist.members.throttle import (
    LOCKED_OUT,
    is_locked_out,
    password_attempt,
    record_wrong_password,
)
from mutualist.members.web import request_member

_TEMPLATES = "members/accounts"
# Several authentication backends are configured (django-axes first); a user
# who has just signed up is logged in through the model backend explicitly.
_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


_add_domain_error = add_domain_error


@require_http_methods(["GET", "HEAD", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("members:dashboard")
    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic(durable=True):
                user = user_signup(
                    email=form.cleaned_data["email"],
                    password=form.cleaned_data["password"],
                    display_name=form.cleaned_data["display_name"],
                    timezone=form.cleaned_data["timezone"],
                    request_base_url=request.build_absolute_uri("/"),
                )
        except DomainError as exc:
            _add_domain_error(form, exc)
        else:
            auth_login(request, user, backend=_MODEL_BACKEND)
            messages.success(
                request,
                "Welcome to Mutualist! Tell other members what you do: fill in your profile.",
            )
            # Someone who signed up from an invitation link goes back to it.
            next_url = request.POST.get("next") or request.GET.get("next", "")
            if next_url and url_has_allowed_host_and_scheme(
                next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                return redirect(next_url)
            return redirect("members:profile_edit")
    next_value = request.GET.get("next", "")
    return render(request, f"{_TEMPLATES}/signup.html", {"form": form, "next": next_value})


class _LoginView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    template_name = f"{_TEMPLATES}/login.html"
    redirect_authenticated_user = True


class _LogoutView(auth_views.LogoutView):
    """POST only (Django's LogoutView refuses GET with 405)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You are logged out.")
        return response


class _PasswordResetView(auth_views.PasswordResetView):
    template_name = f"{_TEMPLATES}/password_reset_form.html"
    subject_template_name = f"{_TEMPLATES}/email/password_reset_subject.txt"
    email_template_name = f"{_TEMPLATES}/email/password_reset_body.txt"
    success_url = reverse_lazy("members:password_reset_done")


class _PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = f"{_TEMPLATES}/password_reset_confirm.html"
    success_url = reverse_lazy("members:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # Whoever proved they own the mailbox may try again at once, instead
        # of waiting out a lockout that someone else's guessing caused.
        axes_reset(username=self.user.email)
        return response


class _PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view, with wrong old passwords counted towards the login lockout
    (a stolen session could otherwise guess the password here, then change it)."""

    template_name = f"{_TEMPLATES}/password_change.html"
    success_url = reverse_lazy("members:dashboard")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request_member(request)
        if is_locked_out(request=request, user=user):
            form = self.get_form()
            form.is_valid()  # bind and clean, so the page shows the other fields' state
            form.add_error("old_password", LOCKED_OUT)
            return self.render_to_response(self.get_context_data(form=form))
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        if form.has_error("old_password", "password_incorrect"):
            record_wrong_password(request=self.request, user=request_member(self.request))
        return super().form_invalid(form)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Your password has been changed.")
        return response


login = _LoginView.as_view()
logout = _LogoutView.as_view()
password_reset = _PasswordResetView.as_view()
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name=f"{_TEMPLATES}/password_reset_done.html"
)
password_reset_confirm = _PasswordResetConfirmView.as_view()
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name=f"{_TEMPLATES}/password_reset_complete.html"
)
password_change = _PasswordChangeView.as_view()


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def email_change(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 -- login_required guarantees it; narrows the type
    form = EmailChangeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            with password_attempt(request=request, user=user), transaction.atomic(durable=True):
                change = email_change_request(
                    user=user,
                    new_email=form.cleaned_data["new_email"],
                    current_password=form.cleaned_data["current_password"],
                    request_base_url=request.build_absolute_uri("/"),
                )
        except DomainError as exc:
            _add_domain_error(form, exc)
        else:
            messages.success(
                request,
                f"We sent a confirmation link to {change.new_email}. "
                "Your login email stays the same until you follow it.",
            )
            return redirect("members:email_change")
    return render(request, f"{_TEMPLATES}/email_change.html", {"form": form})


@require_http_methods(["GET", "HEAD", "POST"])
def email_change_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; POST confirms.

    Mail scanners that prefetch links only ever GET, so they cannot spend
    the token on the member's behalf.
    """
    if request.method == "POST":
        try:
            with transaction.atomic(durable=True):
                email_change_confirm_service(token=token)
        except DomainError as exc:
            return render(
                request,
                f"{_TEMPLATES}/email_change_confirm.html",
                {"error": exc.message},
                status=exc.status,
            )
        messages.success(request, "Your login email address has been changed.")
        return redirect("members:dashboard" if request.user.is_authenticated else "members:login")
    return render(request, f"{_TEMPLATES}/email_change_confirm.html", {})


@require_http_methods(["GET", "HEAD", "POST"])
def email_verify(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; POST verifies the address the link was mailed to.

    Mail scanners that prefetch links only ever GET, so an address is never
    verified without a person choosing to.
    """
    if request.method == "POST":
        try:
            with transaction.atomic(durable=True):
                email_verify_service(token=token)
        except DomainError as exc:
            return render(
                request,
                f"{_TEMPLATES}/email_verify.html",
                {"error": exc.message},
                status=exc.status,
            )
        messages.success(request, "Thank you: your email address is confirmed.")
        return redirect("members:dashboard" if request.user.is_authenticated else "members:login")
    return render(request, f"{_TEMPLATES}/email_verify.html", {})


@login_required
@require_http_methods(["POST"])
def email_verify_resend(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 -- login_required guarantees it; narrows the type
    try:
        with transaction.atomic(durable=True):
            email_verification_send(user=user, request_base_url=request.build_absolute_uri("/"))
    except DomainError as exc:
        messages.info(request, exc.message)
    else:
        messages.success(request, f"We sent a new link to {user.email}.")
    return redirect("members:dashboard")
