"""The pages of issue 26 answer only the full admins they are for, and bad input with a form
error, never a 500: the Users page and a new service account, a service account's role and
custodians, deprovisioning and restoring, a hand-over that cannot be, a decision on one's
own request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from accounts.service_accounts import service_account_create
from accounts.services import user_deprovision
from tests.factories import make_token, make_user
from tokens.models import ApiToken
from tokens.services import token_generate

CONTOSO = "contoso.us2.portal.test"
USERS = "/settings/system/users/"
TOKENS = "/settings/security-extensions/api-tokens/"


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


def get(client, path):
    return client.get(path, HTTP_HOST=CONTOSO)


def post(client, path, data):
    return client.post(path, data, HTTP_HOST=CONTOSO)


@pytest.mark.parametrize(
    "path", [USERS, f"{USERS}1/", f"{USERS}1/deprovision/", f"{USERS}1/hand-over/"]
)
def test_only_full_admins_reach_the_users_pages(client, reader, path):
    client.force_login(reader)

    assert get(client, path).status_code == 403


def test_a_service_account_is_created_on_the_users_page(admin, admin_user, reader):
    blank = post(admin, USERS, {"name": "", "role": "security_reader"})
    with_at = post(
        admin, USERS, {"name": "a@b", "role": "security_reader", "custodians": [reader.pk]}
    )
    made = post(
        admin, USERS, {"name": "soar-bot", "role": "security_reader", "custodians": [reader.pk]}
    )

    assert blank.status_code == 400
    assert "Name at least one custodian" in blank.content.decode()
    assert with_at.status_code == 400
    assert "no @: people&#x27;s names have one" in with_at.content.decode()
    account = User.objects.get(username="soar-bot")
    assert made.status_code == 302
    assert made["Location"] == f"{USERS}{account.pk}/"
    assert list(account.custodians.all()) == [reader]
    listed = get(admin, USERS).content.decode()
    assert 'data-testid="service-accounts"' in listed
    assert "soar-bot" in listed


def test_a_service_accounts_role_and_custodians_change_on_its_page(admin, tenant, reader):
    account = service_account_create(
        tenant=tenant, name="soar-bot", role=Role.SECURITY_READER, custodians=[reader.pk]
    )
    page = f"{USERS}{account.pk}/"

    none = post(admin, page, {"name": "soar-bot", "role": "security_operator"})
    saved = post(
        admin, page, {"name": "soar-bot", "role": "security_operator", "custodians": [reader.pk]}
    )

    assert none.status_code == 400
    assert "Name at least one custodian" in none.content.decode()
    assert saved.status_code == 302
    account.refresh_from_db()
    assert account.role == Role.SECURITY_OPERATOR


def test_a_person_is_not_changed_on_their_page(admin, reader):
    response = post(admin, f"{USERS}{reader.pk}/", {"role": "global_admin"})

    assert response.status_code == 403
    reader.refresh_from_db()
    assert reader.role == Role.SECURITY_READER


def test_a_service_account_without_custodian_is_marked_on_its_page(admin, tenant, reader):
    account = service_account_create(
        tenant=tenant, name="soar-bot", role=Role.SECURITY_READER, custodians=[reader.pk]
    )
    user_deprovision(user=reader)

    html = get(admin, f"{USERS}{account.pk}/").content.decode()
    listed = get(admin, USERS).content.decode()

    assert 'data-testid="no-custodian"' in html
    assert "Nobody answers for this service account" in html
    assert 'data-testid="no-custodian">No custodian<' in listed


def test_nobody_deprovisions_themselves_and_a_restore_gives_the_tokens_back(
    admin, admin_user, reader
):
    _, _value = make_token(reader)
    user_deprovision(user=reader)

    own = get(admin, f"{USERS}{admin_user.pk}/deprovision/")
    own_post = post(admin, f"{USERS}{admin_user.pk}/deprovision/", {})
    restored = post(admin, f"{USERS}{reader.pk}/deprovision/", {"restore": "1"})

    assert "You cannot deprovision yourself." in own.content.decode()
    assert own_post.status_code == 403
    admin_user.refresh_from_db()
    assert admin_user.deprovisioned_at is None
    assert restored.status_code == 302
    reader.refresh_from_db()
    assert reader.deprovisioned_at is None


def test_a_hand_over_that_cannot_be_says_why(admin, tenant, reader):
    service_account_create(
        tenant=tenant, name="soar-bot", role=Role.SECURITY_READER, custodians=[reader.pk]
    )
    token, _ = make_token(reader)  # its owner is active

    page = get(admin, f"{TOKENS}{token.pk}/hand-over/")
    attempt = post(admin, f"{TOKENS}{token.pk}/hand-over/", {"service_account": "1", "grace": "1h"})

    assert "stays as it is: Only a deprovisioned person&#x27;s token is handed over" in (
        page.content.decode()
    )
    assert attempt.status_code == 400
    assert "None of these tokens can be handed over." in attempt.content.decode()
    assert ApiToken.objects.count() == 1


def test_a_hand_over_with_no_service_account_says_to_create_one(admin, reader):
    _token, _ = make_token(reader)
    user_deprovision(user=reader)

    page = get(admin, f"{USERS}{reader.pk}/hand-over/").content.decode()

    assert 'data-testid="no-targets"' in page


def test_a_decision_page_refuses_ones_own_request_and_a_bad_decision(admin, admin_user, tenant):
    make_user(tenant, Role.GLOBAL_ADMIN)
    mine, _ = make_token(admin_user, name="Mine")
    ApiToken.objects.filter(pk=mine.pk).update(
        pending_until=timezone.now() + timezone.timedelta(days=7)
    )
    page = f"{TOKENS}{mine.pk}/decide/"

    own = post(admin, page, {"decision": "approve"})
    bad = post(admin, page, {"decision": "maybe"})

    assert own.status_code == 403
    assert "You cannot approve or deny your own request" in own.content.decode()
    assert bad.status_code == 400
    mine.refresh_from_db()
    assert (mine.pending_until is not None, mine.revoked_at) == (True, None)


def test_a_siem_agents_token_is_not_handed_over(admin, tenant, reader):
    service_account_create(
        tenant=tenant, name="soar-bot", role=Role.SECURITY_READER, custodians=[reader.pk]
    )
    token, _ = make_token(reader, kind="siem")
    user_deprovision(user=reader)

    page = get(admin, f"{TOKENS}{token.pk}/hand-over/").content.decode()

    assert (
        "stays as it is: Only API tokens are handed over: regenerate a SIEM agent&#x27;s or "
        "a log collector&#x27;s token on its own page."
    ) in page


def test_a_role_that_takes_from_its_tokens_is_previewed_then_confirmed(admin, tenant):
    operator = make_user(tenant, Role.SECURITY_OPERATOR)
    account = service_account_create(
        tenant=tenant, name="closer", role=Role.SECURITY_OPERATOR, custodians=[operator.pk]
    )
    token, _ = token_generate(user=account, by=operator, name="Alert closer")
    page = f"{USERS}{account.pk}/"
    body = {"name": "closer", "role": "security_reader", "custodians": [operator.pk]}

    preview = post(admin, page, body)
    account.refresh_from_db()
    role_before_confirming = account.role
    confirmed = post(admin, page, {**body, "confirmed": "security_reader"})

    html = preview.content.decode()
    assert preview.status_code == 200
    assert 'data-testid="role-preview"' in html
    assert (
        "As Security reader, 1 of its tokens would lose capabilities from the next request" in html
    )
    assert (
        f'<strong>Alert closer</strong> <code class="suffix">…{token.suffix}</code>: loses '
        "<code>Investigation.manage</code>"
    ) in html
    assert role_before_confirming == Role.SECURITY_OPERATOR
    assert confirmed.status_code == 302
    account.refresh_from_db()
    assert account.role == Role.SECURITY_READER


def test_the_users_page_reads_custodians_in_the_same_queries_for_any_number(admin, tenant):
    person = make_user(tenant, Role.SECURITY_READER)
    service_account_create(
        tenant=tenant, name="first", role=Role.SECURITY_READER, custodians=[person.pk]
    )
    with CaptureQueriesContext(connection) as one:
        get(admin, USERS)
    for n in range(4):
        service_account_create(
            tenant=tenant, name=f"more{n}", role=Role.SECURITY_READER, custodians=[person.pk]
        )
    with CaptureQueriesContext(connection) as five:
        html = get(admin, USERS).content.decode()

    assert len(five) == len(one)
    # the people table, each account's custodian, and the new account form's choice
    assert html.count(person.display_name) == 7
