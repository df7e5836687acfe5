import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from outcry.env import env_int, env_str

SERVERS = ("granian", "gunicorn")


def server_options() -> dict:
    """What both servers are given, from BIND's neighbours in the environment."""
    return {
        "workers": env_int("WEB_CONCURRENCY", (os.cpu_count() or 1) * 2, minimum=1),
        "threads": env_int("WEB_THREADS", 1, minimum=1),
        "access_log": env_str("ACCESS_LOG"),
        "graceful_seconds": 10,
    }


def run_gunicorn(host: str, port: str, options: dict) -> None:
    from gunicorn.app.base import BaseApplication

    class Gunicorn(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", options["workers"])
            self.cfg.set("threads", options["threads"])
            self.cfg.set("accesslog", options["access_log"] or None)
            self.cfg.set("errorlog", "-")
            self.cfg.set("loglevel", "warning")
            self.cfg.set("graceful_timeout", options["graceful_seconds"])

        def load(self):
            # Imported here, after collectstatic, so WhiteNoise finds the files it serves.
            from outcry.wsgi import application

            return application

    Gunicorn().run()


def run_granian(host: str, port: str, options: dict) -> None:
    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    # Each worker process imports outcry.wsgi itself (after collectstatic, above), and
    # runs the app in `threads` Python threads; Rust does the HTTP around them.
    Granian(
        "outcry.wsgi:application",
        address=host.strip("[]"),
        port=int(port),
        interface=Interfaces.WSGI,
        workers=options["workers"],
        blocking_threads=options["threads"],
        log_level=LogLevels.warning,
        log_access=bool(options["access_log"]),
        workers_kill_timeout=options["graceful_seconds"],
    ).serve()


class Command(BaseCommand):
    help = "Run the production web server (and, with --with-worker, the outbox worker)."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=env_str("BIND", "127.0.0.1:8000"))
        parser.add_argument("--server", choices=SERVERS, default=settings.WEB_SERVER)
        parser.add_argument("--with-worker", action="store_true")

    def handle(self, *args, bind, server, with_worker, **options):
        call_command("collectstatic", interactive=False, verbosity=0)
        worker = None
        if with_worker:
            worker = subprocess.Popen([sys.executable, "-m", "outcry", "worker"])  # noqa: S603
        host, port = bind.rsplit(":", 1)
        self.stdout.write(f"Outcry is running at http://{host}:{port}/  (Ctrl-C stops it)")
        if settings.LOCAL_MAIL:
            self.stdout.write(f"Outgoing mail stays local: http://{host}:{port}/mailbox/")
        self.stdout.flush()
        try:
            run = run_granian if server == "granian" else run_gunicorn
            run(host, port, server_options())
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=90)  # it finishes the batch in hand; leases cover the rest
                except subprocess.TimeoutExpired:
                    worker.kill()
