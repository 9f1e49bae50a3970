"""Every route of the tokens app, wired in by config/urls.py and config/api_router.py:
the tokens table and its dialogs (namespace "tokens", under
settings/security-extensions/api-tokens/), the token pages elsewhere in Settings
(`settings_routes`, under settings/), and the API (`api_routes`, under api/v1/ and
cas/api/v1/ in the "api" namespace)."""

from django.urls import path

from tokens.api import approval, events, governance, me, policy, reports, rotation
from tokens.api import tokens as tokens_api
from tokens.views import activity, approvals, detail, dialogs, people, table
from tokens.views import governance as governance_pages
from tokens.views import policy as policy_page

app_name = "tokens"
urlpatterns = [
    path("", table.api_tokens, name="api-tokens"),
    path("new/", dialogs.generate, name="generate"),
    path("<int:token_id>/", detail.detail, name="detail"),
    path("<int:token_id>/revoke/", detail.revoke, name="revoke"),
    path("<int:token_id>/regenerate/", dialogs.rotate, name="rotate"),
    path("<int:token_id>/allow-list/", governance_pages.allowlist, name="allowlist"),
    path("<int:token_id>/narrow/", governance_pages.narrow, name="narrow"),
    path("<int:token_id>/hand-over/", people.hand_over_one, name="hand-over"),
    path("<int:token_id>/decide/", approvals.decide, name="decide"),
    path("unused-capabilities/", governance_pages.unused, name="unused-capabilities"),
    path("inventory.<str:fmt>", governance_pages.inventory, name="inventory"),
]

settings_routes = [
    path("system/users/", people.users, name="users"),
    path("system/users/<int:user_id>/", people.user_page, name="user"),
    path("system/users/<int:user_id>/deprovision/", people.deprovision, name="user-deprovision"),
    path("system/users/<int:user_id>/hand-over/", people.hand_over_all, name="user-hand-over"),
    path("system/token-policy/", policy_page.token_policy, name="token-policy"),
    path("security-extensions/token-activity/", activity.activity, name="token-activity"),
    path(
        "security-extensions/token-activity/export.csv",
        activity.activity_csv,
        name="token-activity-csv",
    ),
]

api_routes = [
    path("me/", me.MeApi.as_view(), name="me"),
    path("tokens/", tokens_api.TokenListApi.as_view(), name="tokens"),
    path("tokens/self/rotate/", rotation.TokenSelfRotateApi.as_view(), name="token-self-rotate"),
    path(
        "tokens/unused-capabilities/",
        governance.UnusedCapabilitiesApi.as_view(),
        name="token-unused-capabilities",
    ),
    path("tokens/<str:token_id>/", tokens_api.TokenDetailApi.as_view(), name="token"),
    path("tokens/<str:token_id>/narrow/", tokens_api.TokenNarrowApi.as_view(), name="token-narrow"),
    path("tokens/<str:token_id>/revoke/", tokens_api.TokenRevokeApi.as_view(), name="token-revoke"),
    path("tokens/<str:token_id>/rotate/", rotation.TokenRotateApi.as_view(), name="token-rotate"),
    path(
        "tokens/<str:token_id>/approve/", approval.TokenApproveApi.as_view(), name="token-approve"
    ),
    path("tokens/<str:token_id>/deny/", approval.TokenDenyApi.as_view(), name="token-deny"),
    path(
        "tokens/<str:token_id>/transfer/",
        rotation.TokenHandOverApi.as_view(),
        name="token-transfer",
    ),
    path("tokens/<str:token_id>/events/", events.TokenEventsApi.as_view(), name="token-events"),
    path("token-events/", events.TokenEventListApi.as_view(), name="token-event-list"),
    path("token-policy/", policy.TokenPolicyApi.as_view(), name="token-policy"),
    path("credentials/revoke/", reports.CredentialsRevokeApi.as_view(), name="credentials-revoke"),
    path(
        "credentials/inventory/",
        governance.CredentialInventoryApi.as_view(),
        name="credential-inventory",
    ),
]
