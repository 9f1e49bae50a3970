"""The API tokens settings page. Every action is an ordinary form post that works without
JavaScript; static/js/portal.js asks for the same views with `X-Requested-With: fetch` and gets
back only the piece of the page it replaces (a template partial)."""

import csv
import io
import json

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.decorators import tenant_user_required
from accounts.models import User
from accounts.permissions import request_capabilities
from accounts.reauthentication import kept_form, recent_sign_in_required
from accounts.roles import DESCRIPTIONS, READ_ONLY, SCOPES, Capability
from core.errors import Conflict
from core.forms import SubmitOnceForm
from core.http import is_safe_redirect, no_store, origin_of
from core.pagination import BoundedPaginator
from tokens import lifecycle
from tokens.charts import bars
from tokens.expiry import (
    DEFAULT_EXPIRY,
    DEFAULT_GRACE,
    EXPIRY_CHOICES,
    EXPIRY_DAYS,
    GRACE_CHOICES,
    MAX_EXPIRY_DAYS,
    POLICY_EXPIRY_CHOICES,
    expiry_of,
)
from tokens.filters import TokenEventFilter, TokenFilter, TokenOrdering
from tokens.lifecycle import Action
from tokens.models import (
    DEFAULT_NOTICE_DAYS,
    DESCRIPTION_MAX_LENGTH,
    MAX_NOTICE_DAYS,
    NAME_MAX_LENGTH,
    ApiToken,
    EventKind,
    Kind,
    Notice,
    Status,
    TokenEvent,
)
from tokens.policy import COUNT_BOUND as POLICY_COUNT_BOUND
from tokens.policy import POLICY_FIELDS, policy_of, token_policy_plan, token_policy_save
from tokens.selectors import visible_tokens
from tokens.services import (
    AlreadySubmitted,
    NotTheOwner,
    RotationRefused,
    kept_lifetime,
    lifetime_label,
    refuse_unless_owner,
    rotation_expiry,
    rotation_refusal,
    token_generate,
    token_revoke,
    token_rotate,
)
from tokens.usage import usage_of

PAGE_SIZE = 50


TEMPLATE = "tokens/api_tokens.html"


class ExpiryForm(forms.Form):
    """The expiry choice of the Generate and Regenerate dialogs: 7, 30, 90 days, 1 year, a
    date, never; with the tenant's `policy`, only what it allows, its default first. The
    rules are the service's (the same as the API's); the form carries the choice."""

    expires = forms.ChoiceField(
        label="Expires", choices=EXPIRY_CHOICES, initial=DEFAULT_EXPIRY, required=False
    )
    expires_on = forms.DateField(label="Expires on", required=False)

    def __init__(self, *args, policy=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_expiry = DEFAULT_EXPIRY
        self.max_days = None
        if policy is not None:
            self.max_days = policy.max_lifetime_days
            never = policy.allow_never and not policy.max_lifetime_days
            self.fields["expires"].choices = [  # type: ignore[attr-defined]  # a ChoiceField
                (value, label)
                for value, label in EXPIRY_CHOICES
                if (value == "never" and never)
                or value == "date"
                or (
                    value in EXPIRY_DAYS
                    and (not self.max_days or EXPIRY_DAYS[value] <= self.max_days)
                )
            ]
            self.default_expiry = policy.default_expiry
            self.fields["expires"].initial = policy.default_expiry

    def clean(self):
        data = super().clean() or {}
        data["expires"] = data.get("expires") or self.default_expiry  # a post without it
        if (
            data["expires"] == "date"
            and not data.get("expires_on")
            and "expires_on" not in self.errors
        ):
            self.add_error("expires_on", "Choose the date it expires on.")
        return data

    def expires_at(self):
        """The moment the chosen expiry means (None: never)."""
        return expiry_of(self.cleaned_data["expires"], self.cleaned_data.get("expires_on"))

    def add_expiry_error(self, error: ValidationError) -> None:
        """The service's refusal of the expiry, beside the field that chose it."""
        field = "expires_on" if self.cleaned_data.get("expires") == "date" else "expires"
        self.add_error(field, error.error_dict["expires_at"])


class GenerateForm(SubmitOnceForm, ExpiryForm):
    # Validation is the service's (the same rules as the API); the form only carries the name,
    # the description, the expiry chosen, the access and its one-time key.
    name = forms.CharField(
        label="Token name", required=False, strip=False, max_length=NAME_MAX_LENGTH * 4
    )
    description = forms.CharField(
        label="Description (optional)", required=False, strip=False,
        max_length=DESCRIPTION_MAX_LENGTH * 4,
    )  # fmt: skip
    access = forms.ChoiceField(
        label="Access", required=False, initial="role",
        choices=[("role", "Same as my role"), ("read_only", "Read-only"),
                 ("custom", "Only these capabilities")],
    )  # fmt: skip
    scopes = forms.MultipleChoiceField(
        label="Capabilities", required=False, choices=[(s.value, s.value) for s in SCOPES]
    )

    field_order = ["submission", "name", "description", "expires", "expires_on", "access", "scopes"]

    def __init__(self, *args, policy=None, user=None, **kwargs):
        """With the tenant's `policy`: only the expiries it allows, its default first; with
        the `user`: only the capabilities their role has to narrow the token to."""
        super().__init__(*args, policy=policy, **kwargs)
        self.user_capabilities = user.capabilities if user is not None else frozenset()
        if user is not None:
            mine = user.capabilities
            self.fields["scopes"].choices = [  # type: ignore[attr-defined]  # a ChoiceField
                (scope.value, DESCRIPTIONS[scope]) for scope in SCOPES if scope in mine
            ]

    def chosen_scopes(self) -> list[str] | None:
        """None (the same as the role), the role's read capabilities, or those ticked."""
        access = self.cleaned_data.get("access") or "role"
        if access == "read_only":
            return sorted(c.value for c in self.user_capabilities & READ_ONLY)
        if access == "custom":
            return list(self.cleaned_data.get("scopes") or [])
        return None


def render_no_store(request, template: str, context: dict, status: int = 200):
    """Pages that list or show tokens are never kept by the browser or a proxy: the back button
    and the cache must not bring a token's value, or a revoked row, back."""
    return no_store(render(request, template, context, status=status))


def is_fetch(request) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _template(part: str | None, request) -> str:
    return f"{TEMPLATE}#{part}" if part and is_fetch(request) else TEMPLATE


def table_context(request) -> dict:
    tokens = ApiToken.objects.visible_to(request.user, request_capabilities(request))
    filterset = TokenFilter(request.GET, queryset=visible_tokens(request), request=request)
    filter_errors = {}
    if filterset.is_valid():
        rows = filterset.qs
    else:
        filter_errors = filterset.errors
        rows = filterset.queryset.current().order_by(*TokenOrdering.DEFAULT)
    ordering = request.GET.get("ordering", "") if not filter_errors.get("ordering") else ""
    over = getattr(filterset, "search_over_bound", False) and not filter_errors
    page = BoundedPaginator(rows, PAGE_SIZE, over_bound=over).get_page(request.GET.get("page"))
    page.object_list = with_actions(with_grace_notes(list(page.object_list)), request.user)
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("ordering", None)
    return {
        "page_obj": page,
        "filter_values": {
            "status": request.GET.get("status", "") if "status" not in filter_errors else "",
            "search": request.GET.get("search", ""),
            "ordering": ordering,
        },
        "filter_errors": filter_errors,
        "query_without_page": query.urlencode(),
        "query_for_sort": sort_query.urlencode(),
        # Through the (few) deprovisioned users, so that it never joins every token to its user.
        "deprovisioned_count": tokens.filter(
            user__in=User.objects.deprovisioned_in(request.user.tenant_id)
        ).count(),
        "any_tokens": page.paginator.count > 0 or tokens.exists(),
        "columns": COLUMNS,
        "status_choices": [("", "All"), *PAGE_STATUSES],
    }


def with_grace_notes(tokens: list[ApiToken]) -> list[ApiToken]:
    """Marks each token regenerated from one whose old value still works with
    `old_value_until` (the latest such grace), so that the table shows a rotated token once,
    with its note. One query, for the page's rows that belong to a rotation chain."""
    chains = {token.chain_id for token in tokens if token.chain_id}
    graces = {}
    if chains:
        graces = dict(
            ApiToken.objects.in_grace(timezone.now())
            .filter(chain_id__in=chains)
            .values_list("chain_id")
            .annotate(until=Max("grace_until"))
        )
    for token in tokens:
        token.old_value_until = graces.get(token.chain_id) if token.replaced_at is None else None
    return tokens


# The table's status filter: every state but "rotated" (a value in its grace period shows on
# its successor's row). Without one, the current tokens.
PAGE_STATUSES = [(value, label) for value, label in Status.choices if value != Status.ROTATED]


def with_actions(tokens: list[ApiToken], user) -> list[ApiToken]:
    """Marks each token with what the person may do to it now, as the lifecycle says
    (tokens/lifecycle.py): `can_rotate` (its owner only), `can_revoke`."""
    now = timezone.now()
    for token in tokens:
        token.can_rotate = token.user_id == user.pk and not lifecycle.refusal(
            token, Action.ROTATE, now
        )
        token.can_revoke = not lifecycle.refusal(token, Action.REVOKE, now)
    return tokens


# (ordering key, heading) of the sortable columns, in table order.
COLUMNS = [
    ("name", "Token name"),
    ("generated_by", "Generated by"),
    ("generated_on", "Generated on"),
    ("last_used", "Last used"),
    ("status", "Status"),
    ("expires", "Expires"),
]


@tenant_user_required
def api_tokens(request):
    """The table of API tokens, with filter, search, sort and pages in the query string."""
    context = table_context(request)
    context["form"] = GenerateForm(policy=policy_of(request.user.tenant_id), user=request.user)
    return render_no_store(request, _template("table", request), context)


@tenant_user_required
@recent_sign_in_required
@require_http_methods(["GET", "POST"])
def generate(request):
    """Step one asks for a name; a valid post creates the token and answers with step two,
    the one response that ever carries the value."""
    # A form sent after the sign-in was too old comes back filled (accounts/reauthentication).
    data = request.POST or kept_form(request, request.path)
    form = GenerateForm(data, policy=policy_of(request.user.tenant_id), user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            token, value = token_generate(
                user=request.user,
                name=form.cleaned_data["name"],
                submission_key=form.cleaned_data["submission"],
                expires_at=form.expires_at(),
                scopes=form.chosen_scopes(),
                origin=origin_of(request),
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "expires_at" in error.error_dict:
                form.add_expiry_error(error)
            elif hasattr(error, "error_dict") and "scopes" in error.error_dict:
                form.add_error("scopes", error.error_dict["scopes"])
            elif hasattr(error, "error_dict") and "description" in error.error_dict:
                form.add_error("description", error.error_dict["description"])
            else:
                form.add_error(None, error)
        except AlreadySubmitted as repeat:
            template = (
                f"{TEMPLATE}#already-submitted"
                if is_fetch(request)
                else "tokens/api_token_already_submitted.html"
            )
            return render_no_store(request, template, {"token": repeat.token}, status=409)
        else:
            context = {"token": token, "value": value, "tenant": request.user.tenant}
            template = (
                f"{TEMPLATE}#generated" if is_fetch(request) else "tokens/api_token_generated.html"
            )
            return render_no_store(request, template, context, status=201)
    status = 400 if request.method == "POST" else 200
    template = f"{TEMPLATE}#generate-form" if is_fetch(request) else "tokens/api_token_new.html"
    return render_no_store(request, template, {"form": form}, status=status)


KEEP = "keep"  # the Regenerate dialog's first expiry: the same lifetime as before


class RotateForm(ExpiryForm):
    grace = forms.ChoiceField(
        label="The old value keeps working for", initial=DEFAULT_GRACE,
        choices=[(value, label) for value, label, _ in GRACE_CHOICES],
        error_messages={"invalid_choice": "Choose how long the old value keeps working: "
                        "none, 1 hour, 24 hours or 7 days."},
    )  # fmt: skip

    field_order = ["grace", "expires", "expires_on"]

    def __init__(self, *args, token: ApiToken, policy=None, **kwargs):
        """The expiries that Generate offers within the tenant's `policy`, and first, when
        the policy allows it, the same lifetime as the `token` being regenerated."""
        super().__init__(*args, policy=policy, **kwargs)
        now = timezone.now()
        self.keep_until = rotation_expiry(token, now)
        if self.keep_until == kept_lifetime(token, now):
            label = f"{lifetime_label(token).capitalize()}, as before"
            field = self.fields["expires"]
            field.choices = [(KEEP, label), *field.choices]  # type: ignore[attr-defined]
            field.initial = self.default_expiry = KEEP

    def expires_at(self):
        if self.cleaned_data["expires"] == KEEP:
            return self.keep_until
        return super().expires_at()


def _rotate_page(request, context: dict, status: int = 200):
    part = "tokens/api_tokens.html#rotate-form"
    template = part if is_fetch(request) else "tokens/api_token_rotate.html"
    return render_no_store(request, template, context, status=status)


@tenant_user_required
@recent_sign_in_required
@require_http_methods(["GET", "POST"])
def rotate(request, token_id: int):
    """Regenerate: the owner chooses how long the old value keeps working (GET), then gets a
    new value with the same name, scopes and owner, shown once (POST, 201). Another's token
    is refused (403: it would act in their name); a revoked, expired or already regenerated
    one is a form error that says why, and nothing changes."""
    # Revoked ones too, so that regenerating one is told why it cannot be (not "not found").
    tokens = ApiToken.objects.reachable_by(request.user, request_capabilities(request))
    token = tokens.filter(pk=token_id).select_related("user").first()
    if token is None:
        if is_fetch(request):
            return JsonResponse({"message": "That token does not exist."}, status=404)
        messages.error(request, "That token does not exist.")
        return redirect("tokens:api-tokens")
    refuse_unless_owner(token, request.user)  # a 403 page saying why
    policy = policy_of(request.user.tenant_id)
    data = request.POST if request.method == "POST" else kept_form(request, request.path)
    form = RotateForm(data, token=token, policy=policy)
    context = {"token": token, "form": form, "strict": policy.strict_rotation}
    if request.method == "GET":
        # Why it cannot be regenerated, said before the form is sent (and again if it is).
        context["refusal"] = rotation_refusal(token, timezone.now())
        return _rotate_page(request, context)
    if not form.is_valid():
        return _rotate_page(request, context, status=400)
    try:
        new, value = token_rotate(
            token=token, by=request.user, grace=form.cleaned_data["grace"],
            expires_at=form.expires_at(), origin=origin_of(request),
        )  # fmt: skip
    except (RotationRefused, NotTheOwner) as refused:
        form.add_error(None, str(refused))
        return _rotate_page(request, context, status=409 if isinstance(refused, Conflict) else 400)
    except ValidationError as error:
        if hasattr(error, "error_dict") and "expires_at" in error.error_dict:
            form.add_expiry_error(error)
        else:  # a rule the old token predates (its name, say)
            for message in error.messages:
                form.add_error(None, message)
        return _rotate_page(request, context, status=400)
    context = {"token": new, "value": value, "tenant": request.user.tenant, "replaced": token}
    template = f"{TEMPLATE}#generated" if is_fetch(request) else "tokens/api_token_generated.html"
    return render_no_store(request, template, context, status=201)


EVENTS_SHOWN = 50


@tenant_user_required
@require_http_methods(["GET"])
def detail(request, token_id: int):
    """One token: who generated it and when, its status, where it was last used from, its
    last 5 addresses, its requests per day over 30 days, and its events, newest first. Seen
    as the table is (a full admin: any token of the tenant, revoked ones too; others: their
    own)."""
    capabilities = request_capabilities(request)
    tokens = ApiToken.objects.reachable_by(request.user, capabilities, kind=None)
    token = (
        tokens.filter(pk=token_id)
        .select_related("user", "revoked_by", "created_by")
        .with_status()
        .first()
    )
    if token is None:
        raise Http404("No token of yours has that id.")
    with_actions(with_grace_notes([token]), request.user)
    now = timezone.now()
    usage = usage_of(token, now)
    chart, peak = bars(usage["requests_per_day"])
    events = TokenEvent.objects.filter(token=token).order_by("-created", "-id")[:EVENTS_SHOWN]
    context = {
        "token": token,
        "usage": usage,
        "chart": chart,
        "peak": peak,
        "total": sum(day["count"] for day in usage["requests_per_day"]),
        "events": events,
        "all_events": Capability.TOKENS_MANAGE_ALL in capabilities,
        "now": now,
        "can_rotate": token.kind == Kind.API and token.can_rotate,
        # Other kinds are revoked on their own pages (SIEM agents, log collectors, SCIM).
        "can_revoke": token.kind == Kind.API and token.can_revoke,
    }
    return render_no_store(request, "tokens/api_token_detail.html", context)


@tenant_user_required
@require_http_methods(["GET", "POST"])
def revoke(request, token_id: int):
    """Asks for confirmation naming the token and every value of it that still works (GET),
    then revokes it, its whole rotation chain with it (POST). A token already revoked is
    said to be, and nothing changes."""
    token = (
        ApiToken.objects.visible_with(request.user, request_capabilities(request), None)
        .filter(pk=token_id)
        .select_related("user")
        .first()
    )
    refused = token is not None and lifecycle.refusal(token, Action.REVOKE, timezone.now())
    if token is None or refused:
        message = refused.message if refused else "That token no longer exists."
        if is_fetch(request):
            return JsonResponse({"message": message}, status=409 if refused else 404)
        messages.error(request, message)
        return redirect("tokens:api-tokens")
    if request.method == "GET":
        others = [
            other
            for other in ApiToken.objects.chain(token).live().exclude(pk=token.pk)
            if other.state() in lifecycle.WORKING
        ]
        back = request.GET.get("next", "")
        back = back if is_safe_redirect(request, back) else reverse("tokens:api-tokens")
        context = {"token": token, "others": others, "back": back}
        return render(request, "tokens/api_token_revoke.html", context)
    token_revoke(token=token, by=request.user, origin=origin_of(request))
    message = f"The token “{token.name}” was revoked. Requests made with it now fail."
    if is_fetch(request):
        return JsonResponse({"message": message})
    messages.success(request, message)
    back = request.POST.get("next", "")
    if not is_safe_redirect(request, back):
        back = reverse("tokens:api-tokens")
    return redirect(back)


# --- the tenant's token activity -------------------------------------------------------------

ACTIVITY_PAGE_SIZE = 50
WAITING_SHOWN = 20  # e-mails waiting for the mail server, on the activity page
CSV_LIMIT = 100_000  # rows in one export: a month of a busy tenant's events


def _activity(request):
    """The tenant's events narrowed by the query string's filters (TokenEventFilter), newest
    first, and the filters' errors; for full admins only."""
    if Capability.TOKENS_MANAGE_ALL not in request_capabilities(request):
        raise PermissionDenied("The token activity of the tenant is for full admins.")
    events = TokenEvent.objects.for_tenant(request.user.tenant_id)
    filterset = TokenEventFilter(request.GET, queryset=events, request=request)
    if filterset.is_valid():
        return filterset, filterset.qs.order_by("-created", "-id"), {}
    return filterset, events.order_by("-created", "-id"), filterset.errors


@tenant_user_required
@require_http_methods(["GET"])
def activity(request):
    """Every token event of the tenant, filtered by kind, user, token and time in the URL,
    in pages of 50, with an export of the same selection as CSV."""
    filterset, events, errors = _activity(request)
    paginator = BoundedPaginator(events, ACTIVITY_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filterset": filterset,
        "filter_errors": errors,
        "page_obj": page,
        "query_without_page": query.urlencode(),
        "kinds": EventKind.choices,
        # E-mails to owners that the mail server has not taken yet (tokens/outbox.py).
        "waiting": Notice.objects.for_tenant(request.user.tenant_id)
        .waiting()
        .order_by("created", "id")[:WAITING_SHOWN],
    }
    return render_no_store(request, "tokens/token_activity.html", context)


def _csv_cell(value) -> str:
    """A value as a spreadsheet should read it: text, never a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@tenant_user_required
@require_http_methods(["GET"])
def activity_csv(request):
    """The activity page's selection (all its pages, up to CSV_LIMIT rows) as CSV."""
    _, events, errors = _activity(request)
    if errors:
        return JsonResponse(
            {"detail": " ".join(str(e) for errors_ in errors.values() for e in errors_)},
            status=400,
        )
    header = ["time", "kind", "reason", "token_id", "token_name", "token_kind", "token_last4",
              "actor", "actor_kind", "source_ip", "user_agent", "detail", "count"]  # fmt: skip
    rows = events.values_list(
        "created", "kind", "reason", "token_id", "token_name", "token_kind", "token_suffix",
        "actor_label", "actor_kind", "source_ip", "user_agent", "detail", "count",
    )[:CSV_LIMIT]  # fmt: skip

    def lines():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        for row in rows.iterator(chunk_size=2000):
            writer.writerow([row[0].isoformat(), *(_csv_cell(value) for value in row[1:])])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="token-activity-{stamp}.csv"'
    return no_store(response)


# --- the tenant's token policy ------------------------------------------------------------------


class TokenPolicyForm(forms.Form):
    """What a full admin sets; the rules are the model's (TokenPolicy.clean, through
    tokens.policy), whose errors come back beside their fields."""

    max_lifetime_days = forms.IntegerField(
        label="Maximum lifetime (days)", required=False, min_value=1, max_value=MAX_EXPIRY_DAYS,
        help_text="The longest a new API token may live. Blank: unlimited.",
    )  # fmt: skip
    allow_never = forms.BooleanField(
        label="Allow tokens that never expire", required=False,
        help_text="Only without a maximum lifetime.",
    )  # fmt: skip
    default_expiry = forms.ChoiceField(
        label="Default expiry", choices=POLICY_EXPIRY_CHOICES,
        help_text="What the Generate dialog offers first, and what a token made through the "
        "API without an expiry gets.",
    )  # fmt: skip
    dormant_days = forms.IntegerField(
        label="Retire tokens unused for (days)", required=False, min_value=1,
        max_value=MAX_EXPIRY_DAYS, help_text="Blank: never retired for disuse.",
    )  # fmt: skip
    notice_days = forms.IntegerField(
        label="Notice before a new retirement rule (days)", min_value=0,
        max_value=MAX_NOTICE_DAYS, required=False,
        help_text="A new or shortened retirement rule retires nothing for this long; each "
        "owner of a token it would retire is e-mailed once when it is saved. Blank: 7.",
    )  # fmt: skip
    strict_rotation = forms.BooleanField(
        label="Strict rotation", required=False,
        help_text="Off: an old value used after its grace period is refused and raises an "
        "alert, and the new value keeps working. On: that use revokes the whole token, new "
        "value included (no forgotten script goes unnoticed, but one can take it down).",
    )  # fmt: skip
    # The values the preview showed, sent back by its "Confirm and save".
    confirmed = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_notice_days(self) -> int:
        notice = self.cleaned_data.get("notice_days")
        return DEFAULT_NOTICE_DAYS if notice is None else notice  # blank: the default

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in POLICY_FIELDS}

    def fingerprint(self) -> str:
        return json.dumps(self.values(), sort_keys=True)


@tenant_user_required
@recent_sign_in_required
@require_http_methods(["GET", "POST"])
def token_policy(request):
    """Settings > System > Token policy, for full admins. A change that would retire tokens
    (a new or shortened retirement rule) is shown first, with how many and which, and
    saved only once confirmed; its first retirement waits the notice period."""
    if Capability.SETTINGS_MANAGE not in request_capabilities(request):
        raise PermissionDenied("Only administrators who manage settings can set the policy.")
    tenant_id = request.user.tenant_id
    policy = policy_of(tenant_id)
    initial = {name: getattr(policy, name) for name in POLICY_FIELDS}
    form = TokenPolicyForm(request.POST or kept_form(request, request.path), initial=initial)
    status = 200
    context: dict = {"form": form, "policy": policy}
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                plan = token_policy_plan(tenant_id=tenant_id, **form.values())
            except ValidationError as error:
                for field, messages_ in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, messages_)
            else:
                confirmed = form.cleaned_data["confirmed"] == form.fingerprint()
                if plan.notice_starts and plan.retiring_count and not confirmed:
                    context.update(preview=plan, fingerprint=form.fingerprint())
                    status = 200
                else:
                    token_policy_save(tenant_id=tenant_id, by=request.user,
                                      origin=origin_of(request), **form.values())  # fmt: skip
                    messages.success(request, "The token policy is saved.")
                    return redirect("token-policy")
    if policy.dormant_days:
        # What the current rule retires, and from when, so that nobody is surprised.
        context["current"] = token_policy_plan(tenant_id=tenant_id)
    context.update(bound=POLICY_COUNT_BOUND, now=timezone.now())
    return render_no_store(request, "tokens/token_policy.html", context, status=status)
