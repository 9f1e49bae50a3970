from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404


def tenant_user_required(view):
    """Signed in, in a tenant, not deprovisioned: what every tenant page needs."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if request.user.tenant_id is None or request.user.is_deprovisioned:
            raise Http404("Only users of a tenant have this page.")
        return view(request, *args, **kwargs)

    return wrapped
