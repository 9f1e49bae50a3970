"""Real app servers for the tests that need a process of their own: gunicorn on a free
loopback port with the environment a test gives it."""

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(
    env: dict[str, str], ready_path: str = "/healthz", workers: int = 1, log: Path | None = None
):
    """gunicorn with our config (config/gunicorn.py) and `workers` worker processes,
    yielding its base URL once it answers `ready_path` (with any status); its log (stderr)
    written to `log` if given."""
    port = free_port()
    stderr = log.open("w") if log is not None else None
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "config/gunicorn.py",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stderr=stderr,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + ready_path, timeout=10).read()  # noqa: S310 (loopback)
                break
            except urllib.error.HTTPError:
                break  # it answered
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        if stderr is not None:
            stderr.close()


def http_get(url: str, timeout: float = 20, **headers) -> tuple[int, dict, bytes]:
    """GET over real HTTP: the status, headers and body, for an error status too."""
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (our servers, loopback)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class BlackHole:
    """A TCP server that accepts connections and never says a word: a PostgreSQL or Redis
    that hangs. Counts the connections it was offered."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self._held.append(connection)

    def close(self) -> None:
        self.sock.close()
        for connection in self._held:
            connection.close()


class Inbox:
    """What a real SMTP server on loopback received: (sender, recipients, message text)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []
        self.arrived = threading.Event()
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.messages.append(
                (envelope.mail_from, list(envelope.rcpt_tos), envelope.content.decode())
            )
        self.arrived.set()
        return "250 OK"

    def letters(self) -> list[tuple[str, str]]:
        """Each message's (subject, body), decoded as a mail reader shows them."""
        import email
        from email import policy

        with self._lock:
            texts = [text for _, _, text in self.messages]
        parsed = [email.message_from_string(text, policy=policy.default) for text in texts]
        return [(str(m["Subject"]), m.get_content()) for m in parsed]

    def subjects(self) -> list[str]:
        """The messages' Subject lines, in the order they arrived (quoted-printable or not,
        as the message says; the subjects here are ASCII)."""
        with self._lock:
            texts = [text for _, _, text in self.messages]
        return [
            line.removeprefix("Subject: ")
            for text in texts
            for line in text.splitlines()
            if line.startswith("Subject: ")
        ]


def smtp_mailers(port: int) -> dict:
    """settings.MAILERS that send to the SMTP server on loopback at `port`."""
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
        }
    }


@contextmanager
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free loopback port: yields (inbox, port)."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()
