from django.db import connection
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from tests.factories import make_token
from tokens import keys
from tokens.selectors import token_by_digest


def test_lookup_loads_token_issuer_and_tenant_in_one_query(reader, tenant):
    token, value = make_token(reader, name="lookup")

    with CaptureQueriesContext(connection) as queries:
        found = token_by_digest(keys.digest(value))
        seen = (
            found.pk,
            found.name,
            found.user.username,
            found.user.tenant.slug,
            found.tenant.region,
            found.user.role,
            found.user.deprovisioned_at,
        )

    assert len(queries) == 1
    assert seen == (
        token.pk,
        "lookup",
        "reader@contoso.com",
        "contoso",
        "us2",
        "security_reader",
        None,
    )
    assert found.created_at == token.created_at
    assert found._state.adding is False


def test_columns_no_request_reads_still_load_on_first_access(reader):
    _, value = make_token(reader)
    found = token_by_digest(keys.digest(value))

    with CaptureQueriesContext(connection) as queries:
        password = found.user.password

    assert password == User.objects.get(pk=reader.pk).password
    assert len(queries) == 1


def test_unknown_digest_is_none(db):
    assert token_by_digest(keys.digest(keys.generate("api"))) is None


def test_init_signal_listeners_are_honoured(reader):
    _, value = make_token(reader)
    initialised = []

    def listener(sender, instance, **kwargs):
        initialised.append(instance.username)

    post_init.connect(listener, sender=User)
    try:
        found = token_by_digest(keys.digest(value))
    finally:
        post_init.disconnect(listener, sender=User)

    assert initialised == ["reader@contoso.com"]
    assert found.user.username == "reader@contoso.com"
