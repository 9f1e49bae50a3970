"""The tenant's token policy (issue 14, part 2): full admins read and set it on the page and
through GET/PUT /api/v1/token-policy/; its lifetime rules bind API tokens generated
afterwards (never, the maximum, the default), tokens made before keep their expiry, and
each change is one event in the token log."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from tests.factories import make_token, make_user
from tests.pages import once
from tokens.models import ApiToken, EventKind, TokenEvent, TokenPolicy
from tokens.services import token_generate, token_mark_used

POLICY = "/api/v1/token-policy/"
TOKENS = "/api/v1/tokens/"
PAGE = "/settings/system/token-policy/"
STRICT = {"max_lifetime_days": 30, "allow_never": False, "default_expiry": "30", "dormant_days": 60}


@pytest.fixture
def admin_api(api_client, admin_user):
    api_client.force_login(admin_user)
    return api_client


def test_a_tenant_without_a_policy_has_the_defaults(admin_api):
    response = admin_api.get(POLICY)

    assert response.status_code == 200
    assert response.json() == {
        "max_lifetime_days": None,
        "allow_never": True,
        "default_expiry": "90",
        "dormant_days": None,
        "notice_days": 7,
        "strict_rotation": False,
        "manage_needs_allowlist": False,
        "approval_required_for": "",
        "dormant_from": None,
        "updated_at": None,
        "updated_by": None,
    }


def test_a_change_is_saved_and_logged_once(admin_api, admin_user):
    first = admin_api.put(POLICY, STRICT, format="json")
    again = admin_api.put(POLICY, STRICT, format="json")

    assert first.status_code == again.status_code == 200
    assert {k: first.json()[k] for k in STRICT} == STRICT
    assert first.json()["updated_by"] == admin_user.username
    event = TokenEvent.objects.get(kind=EventKind.POLICY_CHANGED)
    assert (event.token_id, event.actor, event.tenant_id) == (
        None,
        admin_user,
        admin_user.tenant_id,
    )
    policy = TokenPolicy.objects.get()
    assert event.detail == (
        "Maximum lifetime: unlimited → 30 days; Never allowed: yes → no; "
        "Default expiry: 90 days → 30 days; Retire unused after: off → 60 days. Nothing is "
        f"retired under the new rule before {policy.dormant_from:%Y-%m-%d %H:%M} UTC."
    )
    assert policy.dormant_from - policy.updated_at == timedelta(days=7)  # the notice period


@pytest.mark.parametrize("role", [Role.SECURITY_OPERATOR, Role.SECURITY_READER])
def test_only_full_admins_read_or_set_it(api_client, tenant, role):
    api_client.force_login(make_user(tenant, role))

    assert api_client.get(POLICY).status_code == 403
    assert api_client.put(POLICY, STRICT, format="json").status_code == 403
    assert not TokenPolicy.objects.exists()


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            {**STRICT, "default_expiry": "365"},
            "default_expiry: The default (1 year) is longer than the maximum lifetime (30 days).",
        ),
        (
            {**STRICT, "max_lifetime_days": None, "default_expiry": "never"},
            "default_expiry: The default cannot be never when never is not allowed.",
        ),
        (
            {**STRICT, "max_lifetime_days": 0},
            "max_lifetime_days: Ensure this value is greater than or equal to 1.",
        ),
        (
            {**STRICT, "dormant_days": 4000},
            "dormant_days: Ensure this value is less than or equal to 3650.",
        ),
        (
            {**STRICT, "default_expiry": "date"},
            "default_expiry: Choose one of: 7, 30, 90, 365, never.",
        ),
        ({**STRICT, "default_expiry": 30}, "default_expiry: Choose one of: 7, 30, 90, 365, never."),
        ({**STRICT, "max_lifetime_days": "30"}, "max_lifetime_days: A valid integer is required."),
        ({**STRICT, "dormant_days": 30.0}, "dormant_days: A valid integer is required."),
        ({**STRICT, "allow_never": "yes"}, "allow_never: Must be a valid boolean."),
        ({**STRICT, "allow_never": 1}, "allow_never: Must be a valid boolean."),
        ({"allow_never": True}, "max_lifetime_days: This field is required."),
    ],
)
def test_a_bad_policy_is_a_400_and_changes_nothing(admin_api, body, detail):
    response = admin_api.put(POLICY, body, format="json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)
    assert not TokenPolicy.objects.exists()
    assert not TokenEvent.objects.filter(kind=EventKind.POLICY_CHANGED).exists()


def test_the_policy_binds_tokens_generated_afterwards(admin_api, admin_user):
    old, old_value = make_token(admin_user, name="before the policy")  # never expires
    admin_api.put(POLICY, STRICT, format="json")

    too_long = admin_api.post(TOKENS, {"name": "long", "expires_in_days": 31}, format="json")
    never = admin_api.post(TOKENS, {"name": "never", "expires_at": None}, format="json")
    fits = admin_api.post(TOKENS, {"name": "fits", "expires_in_days": 30}, format="json")
    default = admin_api.post(TOKENS, {"name": "default"}, format="json")

    assert too_long.status_code == never.status_code == 400
    assert too_long.json()["detail"] == (
        "expires_at: This tenant's token policy allows at most 30 days."
    )
    assert never.json()["detail"] == (
        "expires_at: This tenant's token policy requires an expiry within 30 days."
    )
    assert fits.status_code == default.status_code == 201
    lifetime = datetime.fromisoformat(default.json()["expires_at"]) - timezone.now()
    assert timedelta(days=29) < lifetime <= timedelta(days=30)
    assert ApiToken.objects.get(pk=old.pk).expires_at is None
    admin_api.logout()
    me = admin_api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {old_value}")
    assert me.status_code == 200


def test_the_page_sets_it_and_says_what_applies_to_which_tokens(client, admin_user):
    client.force_login(admin_user)
    host = {"HTTP_HOST": "contoso.us2.portal.test"}

    shown = client.get(PAGE, **host)
    saved = client.post(
        PAGE, {"max_lifetime_days": "90", "default_expiry": "30", "dormant_days": ""}, **host
    )
    bad = client.post(PAGE, {"max_lifetime_days": "30", "default_expiry": "90"}, **host)

    assert shown.status_code == 200
    html = shown.content.decode()
    assert "apply to tokens generated from now on" in html
    assert "applies to every token" in html
    assert saved.status_code == 302
    policy = TokenPolicy.objects.get()
    assert (
        policy.max_lifetime_days,
        policy.allow_never,
        policy.default_expiry,
        policy.dormant_days,
    ) == (90, False, "30", None)
    assert bad.status_code == 400
    assert bad.context["form"].errors == {
        "default_expiry": ["The default (90 days) is longer than the maximum lifetime (30 days)."]
    }
    assert TokenPolicy.objects.get().max_lifetime_days == 90  # unchanged


def test_the_page_shows_what_a_new_rule_retires_and_saves_it_only_once_confirmed(
    client, admin_user, tenant
):
    client.force_login(admin_user)
    host = {"HTTP_HOST": "contoso.us2.portal.test"}
    now = timezone.now()
    for n in range(3):
        token_generate(user=admin_user, name=f"Old {n}", created_at=now - timedelta(days=40))
    used, _ = token_generate(user=admin_user, name="Used", created_at=now - timedelta(days=40))
    token_mark_used(token=used, at=now - timedelta(days=2))
    asked = {"allow_never": "on", "default_expiry": "90", "dormant_days": "30", "notice_days": "7"}

    before = client.get(PAGE, **host).content.decode()
    preview = client.post(PAGE, asked, **host)
    unsaved = TokenPolicy.objects.filter(tenant=tenant).first()
    fingerprint = preview.context["fingerprint"]
    changed = client.post(PAGE, {**asked, "dormant_days": "20", "confirmed": fingerprint}, **host)
    confirmed = client.post(PAGE, {**asked, "confirmed": fingerprint}, **host)
    policy = TokenPolicy.objects.get()
    at_30 = client.get(PAGE, **host).content.decode()
    client.post(PAGE, {**asked, "dormant_days": "60"}, **host)  # longer: retires less, at once
    at_60 = client.get(PAGE, **host).content.decode()

    assert 'data-testid="dormant-preview"' not in before  # retirement is off
    assert preview.status_code == 200
    html = preview.content.decode()
    assert 'data-testid="policy-preview"' in html
    assert "This change retires 3 API tokens not used for 30 days, from " in html
    assert "(after a notice of 7 days), unless they are used before then." in html
    assert [t.name for t in preview.context["preview"].retiring] == ["Old 0", "Old 1", "Old 2"]
    assert "Confirm and save" in html
    assert unsaved is None  # nothing saved before the confirmation
    assert changed.status_code == 200  # other values than those previewed: previewed again
    assert "This change retires 3 API tokens not used for 20 days" in changed.content.decode()
    assert confirmed.status_code == 302
    assert policy.dormant_days == 30
    assert "3 API tokens have not been used for 30 days: from " in at_30
    assert f"{policy.dormant_from:%b %-d, %Y, %H:%M} UTC</time> (the end of the rule's notice" in (
        at_30
    )
    assert "0 API tokens have not been used for 60 days." in at_60
    assert ApiToken.objects.live().count() == 4  # saying so retires nothing
    assert TokenPolicy.objects.get().dormant_days == 60


def test_the_page_is_for_full_admins(client, tenant):
    client.force_login(make_user(tenant, Role.SECURITY_OPERATOR))

    assert client.get(PAGE, HTTP_HOST="contoso.us2.portal.test").status_code == 403


def test_the_generate_dialog_offers_what_the_policy_allows(client, admin_user, admin_api):
    admin_api.put(POLICY, {**STRICT, "max_lifetime_days": 90}, format="json")
    client.force_login(admin_user)
    host = {"HTTP_HOST": "contoso.us2.portal.test"}

    form = client.get("/settings/security-extensions/api-tokens/new/", **host).context["form"]
    never = client.post(
        "/settings/security-extensions/api-tokens/new/",
        once({"name": "x", "expires": "never"}),
        **host,
    )

    assert [value for value, _ in form.fields["expires"].choices] == ["7", "30", "90", "date"]
    assert form.fields["expires"].initial == "30"
    assert never.status_code == 400
    assert not ApiToken.objects.exists()


def test_policy_changes_show_in_the_activity_log(client, admin_user, admin_api):
    admin_api.put(POLICY, STRICT, format="json")
    client.force_login(admin_user)

    page = client.get(
        "/settings/security-extensions/token-activity/?kind=policy_changed",
        HTTP_HOST="contoso.us2.portal.test",
    )
    listed = admin_api.get("/api/v1/token-events/", {"kind": "policy_changed"}).json()

    assert "The tenant's token policy" in page.content.decode()
    assert [(e["kind"], e["token"]["id"]) for e in listed["results"]] == [("policy_changed", None)]


def test_patch_changes_only_what_it_names_and_a_dry_run_changes_nothing(
    admin_api, admin_user, tenant
):
    now = timezone.now()
    for n in range(2):
        token_generate(user=admin_user, name=f"Old {n}", created_at=now - timedelta(days=40))
    admin_api.put(POLICY, STRICT, format="json")  # dormant 60: nothing that old
    events_before = TokenEvent.objects.filter(kind=EventKind.POLICY_CHANGED).count()

    dry = admin_api.patch(POLICY, {"dormant_days": 30, "dry_run": True}, format="json")
    unchanged = TokenPolicy.objects.get()
    done = admin_api.patch(POLICY, {"dormant_days": 30}, format="json")

    assert dry.status_code == 200
    body = dry.json()
    assert (body["dry_run"], body["dormant_days"], body["max_lifetime_days"]) == (True, 30, 30)
    assert body["changes"] == ["Retire unused after: 60 days → 30 days"]
    assert body["retiring_count"] == 2
    assert [t["name"] for t in body["retiring"]] == ["Old 0", "Old 1"]
    assert body["retire_from"] == body["dormant_from"]  # after the notice period
    assert unchanged.dormant_days == 60
    assert done.status_code == 200
    assert (done.json()["dry_run"], done.json()["dormant_days"]) == (False, 30)
    policy = TokenPolicy.objects.get()
    assert (policy.dormant_days, policy.max_lifetime_days, policy.default_expiry) == (30, 30, "30")
    assert TokenEvent.objects.filter(kind=EventKind.POLICY_CHANGED).count() == events_before + 1


def test_a_shortened_rule_retires_nothing_in_its_notice_and_tells_each_owner_once(
    admin_api, admin_user, tenant, smtp
):
    from tokens.jobs import dormant_tokens_retire
    from tokens.outbox import notices_deliver

    owner = make_user(tenant, Role.SECURITY_READER, email="pat@contoso.com")
    now = timezone.now()
    for n in range(2):
        token_generate(user=owner, name=f"Pat's {n}", created_at=now - timedelta(days=40))
    admin_api.patch(POLICY, {"dormant_days": 90, "notice_days": 3}, format="json")
    admin_api.patch(POLICY, {"dormant_days": 30}, format="json")  # shorter: a notice starts
    start = TokenPolicy.objects.get().dormant_from

    during = dormant_tokens_retire(now=start - timedelta(seconds=1))
    after = dormant_tokens_retire(now=start)
    sent = notices_deliver()

    assert start - now >= timedelta(days=3)
    assert (during, after) == (0, 2)
    letters = dict(smtp.letters())
    told = letters[f"2 API tokens of yours will be retired from {start:%Y-%m-%d}"]
    assert '"Pat\'s 0"' in told
    assert '"Pat\'s 1"' in told
    assert f"From {start:%Y-%m-%d %H:%M} UTC they are revoked unless they are used" in " ".join(
        told.split()
    )
    assert sent == 3  # the coming retirement once, then each token's retirement


def test_the_saved_message_is_said_once(client, admin_user):
    client.force_login(admin_user)

    saved = client.post(
        PAGE,
        {"default_expiry": "30", "dormant_days": ""},
        follow=True,
        HTTP_HOST="contoso.us2.portal.test",
    )

    assert saved.content.decode().count("The token policy is saved.") == 1


def test_a_patch_at_odds_with_the_stored_policy_is_a_409_and_one_at_odds_with_itself_a_400(
    admin_api,
):
    admin_api.put(POLICY, STRICT, format="json")  # at most 30 days, never not allowed

    longer = admin_api.patch(POLICY, {"default_expiry": "90"}, format="json")
    never = admin_api.patch(POLICY, {"default_expiry": "never"}, format="json")
    itself = admin_api.patch(
        POLICY,
        {"max_lifetime_days": 7, "allow_never": False, "default_expiry": "30"},
        format="json",
    )
    together = admin_api.patch(
        POLICY, {"max_lifetime_days": 365, "default_expiry": "90"}, format="json"
    )

    assert (longer.status_code, longer.json()) == (
        409,
        {
            "detail": "The default (90 days) is longer than the maximum lifetime (30 days). "
            "Change them together, or with PUT."
        },
    )
    assert never.status_code == 409
    assert never.json()["detail"] == (
        "The default cannot be never when never is not allowed. Change them together, or with PUT."
    )
    assert itself.status_code == 400
    assert itself.json()["detail"] == (
        "default_expiry: The default (30 days) is longer than the maximum lifetime (7 days)."
    )
    assert together.status_code == 200
    assert TokenPolicy.objects.get().default_expiry == "90"


def test_the_schema_states_the_policys_rules_between_fields(api_client):
    import yaml

    schema = yaml.safe_load(api_client.get("/api/schema/").content)
    body = schema["components"]["schemas"]["PolicyChangeInput"]

    assert {
        "not": {
            "properties": {
                "default_expiry": {"enum": ["90"]},
                "max_lifetime_days": {"type": "integer", "maximum": 89},
            },
            "required": ["default_expiry", "max_lifetime_days"],
        }
    } in body["allOf"]
    assert len(body["allOf"]) == 6  # never twice, then 7, 30, 90 and 365 days
    assert body["additionalProperties"] is False
