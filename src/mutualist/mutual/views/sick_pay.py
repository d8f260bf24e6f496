"""Taking part in the sick-pay fund, from its page: joining with a tier,
moving to another tier or leaving on a set date, cancelling such a change.

A refusal comes back as the fund page with the form and the service's
words on the field they concern."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from mutualist.core.errors import DomainError
from mutualist.core.web import forbidden_as_403
from mutualist.members.web import request_member
from mutualist.mutual.forms import ChangeForm, JoinForm, form_error, tier_choices
from mutualist.mutual.models import Fund, Participation, ParticipationChange
from mutualist.mutual.rules import SickPayRules, rules_for
from mutualist.mutual.selectors import (
    fund_get_for_user,
    member_statement,
    participation_change_get_for_fund,
)
from mutualist.mutual.services import sick_pay
from mutualist.mutual.services.funds import rules_in_force
from mutualist.mutual.views._common import TEMPLATES, day, fund_context, set_dates

KIND = Fund.Kind.SICK_PAY.value


def _rules(fund: Fund) -> SickPayRules:
    version = rules_in_force(fund=fund, on=timezone.localdate())
    typed = rules_for(fund.kind, version.rules) if version else None
    if not isinstance(typed, SickPayRules):
        raise Http404("The sick-pay fund has no rules in force yet.")
    return typed


def _to_fund(fund: Fund) -> HttpResponse:
    return redirect("mutual:fund", slug=fund.collective.slug, kind=fund.kind)


@login_required
@require_POST
def sick_pay_join(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_member(request)
    fund = fund_get_for_user(user=user, slug=slug, kind=KIND)
    rules = _rules(fund)
    form = JoinForm(request.POST, tiers=tier_choices(rules.tiers, fund.currency))
    status = 422
    if form.is_valid():
        try:
            with transaction.atomic(durable=True):
                joined = sick_pay.sick_pay_join(
                    fund=fund, member=user, tier=form.cleaned_data["tier"]
                )
        except DomainError as exc:
            form_error(form, exc.field, exc.message)
            status = exc.status
        else:
            messages.success(
                request,
                f"You are in the sick-pay fund from {day(joined.joined_on)}. Your first deposit "
                f"is for {joined.joined_on:%B %Y}, taken from what the collective owes you.",
            )
            warning = sick_pay.group_size_warning(fund)
            if warning:
                messages.warning(request, warning)
            return _to_fund(fund)
    context = fund_context(user=user, fund=fund, join_form=form)
    return render(request, f"{TEMPLATES}/fund.html", context, status=status)


@login_required
@require_POST
def sick_pay_change(request: HttpRequest, slug: str) -> HttpResponse:
    """Move to another tier, or leave, on one of the next set dates."""
    user = request_member(request)
    fund = fund_get_for_user(user=user, slug=slug, kind=KIND)
    rules = _rules(fund)
    form = ChangeForm(
        request.POST,
        tiers=tier_choices(rules.tiers, fund.currency),
        dates=set_dates(rules, timezone.localdate()),
    )
    participation = member_statement(fund=fund, member=user).participation
    status = 422
    if participation is None or participation.state != Participation.State.ACTIVE:
        messages.error(request, "You do not take part in the sick-pay fund.")
        return _to_fund(fund)
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic(durable=True):
                if data["change"] == "exit":
                    change = sick_pay.sick_pay_exit(
                        participation=participation, effective_on=data["effective_on"]
                    )
                else:
                    change = sick_pay.sick_pay_tier_change(
                        participation=participation,
                        tier=data["tier"],
                        effective_on=data["effective_on"],
                    )
        except DomainError as exc:
            form_error(form, exc.field, exc.message)
            status = exc.status
        else:
            if change.kind == ParticipationChange.Kind.EXIT:
                notice = (
                    f"You leave the fund on {day(change.effective_on)}; what is left in your "
                    "account then goes back to you. You can cancel until that day."
                )
            else:
                notice = (
                    f"You move to tier {(change.tier or 0) + 1} on {day(change.effective_on)}. "
                    "You can cancel until that day."
                )
            messages.success(request, notice)
            return _to_fund(fund)
    context = fund_context(user=user, fund=fund, change_form=form)
    return render(request, f"{TEMPLATES}/fund.html", context, status=status)


@login_required
@require_POST
@forbidden_as_403
def sick_pay_change_cancel(request: HttpRequest, slug: str, change_id: int) -> HttpResponse:
    user = request_member(request)
    fund = fund_get_for_user(user=user, slug=slug, kind=KIND)
    change = participation_change_get_for_fund(fund=fund, change_id=change_id)
    try:
        with transaction.atomic(durable=True):
            sick_pay.sick_pay_change_cancel(change=change, actor=user)
    except DomainError as exc:
        if exc.status == 403:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, "The change is cancelled; nothing changes on that date.")
    return _to_fund(fund)
