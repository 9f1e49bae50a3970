from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import user_deprovision, user_reprovision


class Command(BaseCommand):
    help = (
        "Deprovision a user (sessions ended, sign-in refused, their API tokens kept but "
        "refused), or restore one with --undo."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--undo", action="store_true", help="restore a deprovisioned user")

    def handle(self, username, undo, **options):
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if undo:
            changed = user_reprovision(user=user)
            self.stdout.write(
                f"{user.username}: " + ("restored." if changed else "was not deprovisioned.")
            )
        else:
            changed = user_deprovision(user=user)
            self.stdout.write(
                f"{user.username}: "
                + ("deprovisioned." if changed else "was already deprovisioned.")
            )
