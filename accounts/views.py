from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from accounts.decorators import tenant_user_required


@login_required
def home(request):
    return redirect("tokens:api-tokens")


@tenant_user_required
def about(request):
    """Settings > System > About: what the "?" menu's About dialog shows, as a page."""
    return render(request, "accounts/about.html", {"tenant": request.user.tenant})
