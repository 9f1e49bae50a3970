import django
from django.db import connection
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from tests.factories import make_token
from tokens import keys
from tokens.lookup import CompiledTokenLookup, PlainTokenLookup, make_lookup, token_by_digest
from tokens.services import token_generate


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


def test_the_compiled_lookup_serves_on_this_django(db):
    """tokens/lookup.py reads Django internals (the compiler's klass_info, select and
    converters, ModelState, the connection's _prepare_cursor). If a Django release moved
    them the product still works (PlainTokenLookup serves), but slower: this test fails so
    that someone looks at tokens/lookup.py before upgrading."""
    lookup = make_lookup("default")

    assert isinstance(lookup, CompiledTokenLookup), (
        f"tokens/lookup.py: CompiledTokenLookup cannot be built on Django "
        f"{django.get_version()}; the plain ORM lookup serves instead (see the warning)"
    )


def _loaded(instance) -> dict:
    return {k: v for k, v in instance.__dict__.items() if not k.startswith("_")}


def test_the_plain_lookup_reads_the_same_token_in_one_query_too(reader):
    token, value = token_generate(user=reader, name="both ways", scopes=["Investigation.read"])
    digest = keys.digest(value)
    compiled = CompiledTokenLookup("default")(digest)

    with CaptureQueriesContext(connection) as queries:
        plain = PlainTokenLookup("default")(digest)
        read = (plain.user.username, plain.tenant.slug, plain.user.tenant.slug)

    assert len(queries) == 1
    assert read == ("reader@contoso.com", "contoso", "contoso")
    assert _loaded(plain) == _loaded(compiled)
    assert _loaded(plain.user) == _loaded(compiled.user)
    assert _loaded(plain.tenant) == _loaded(compiled.tenant)
    assert plain.scopes == ["Investigation.read"]
    assert plain.pk == token.pk
    assert PlainTokenLookup("default")(keys.digest(keys.generate("api"))) is None


class LookupOnAMovedDjango(CompiledTokenLookup):
    """What a Django release that renamed a key of the compiler's klass_info would give."""

    @staticmethod
    def _part(compiler, info):
        moved = {("fields" if key == "select_fields" else key): v for key, v in info.items()}
        return CompiledTokenLookup._part(compiler, moved)


def test_a_lookup_that_cannot_be_built_falls_back_to_the_plain_one_and_says_so(
    db, monkeypatch, caplog
):
    monkeypatch.setattr("tokens.lookup.CompiledTokenLookup", LookupOnAMovedDjango)

    with caplog.at_level("WARNING", logger="tokens.lookup"):
        lookup = make_lookup("default")

    assert type(lookup) is PlainTokenLookup
    assert "tokens/lookup.py: the compiled token lookup cannot be built" in caplog.text
