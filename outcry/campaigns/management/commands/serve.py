import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from gunicorn.app.base import BaseApplication

from outcry.env import env_int, env_str


class Gunicorn(BaseApplication):
    def __init__(self, options):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # Imported here, after collectstatic, so WhiteNoise finds the files it serves.
        from outcry.wsgi import application

        return application


class Command(BaseCommand):
    help = "Run the production web server (and, with --with-worker, the outbox worker)."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=env_str("BIND", "127.0.0.1:8000"))
        parser.add_argument("--with-worker", action="store_true")

    def handle(self, *args, bind, with_worker, **options):
        call_command("collectstatic", interactive=False, verbosity=0)
        worker = None
        if with_worker:
            worker = subprocess.Popen([sys.executable, "-m", "outcry", "worker"])  # noqa: S603
        host, port = bind.rsplit(":", 1)
        self.stdout.write(f"Outcry is running at http://{host}:{port}/  (Ctrl-C stops it)")
        if settings.LOCAL_MAIL:
            self.stdout.write(f"Outgoing mail stays local: http://{host}:{port}/mailbox/")
        try:
            Gunicorn(
                {
                    "bind": bind,
                    "workers": env_int("WEB_CONCURRENCY", (os.cpu_count() or 1) * 2, minimum=1),
                    "threads": env_int("WEB_THREADS", 1, minimum=1),
                    "accesslog": env_str("ACCESS_LOG") or None,
                    "errorlog": "-",
                    "loglevel": "warning",
                    "graceful_timeout": 10,
                }
            ).run()
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=90)  # it finishes the batch in hand; leases cover the rest
                except subprocess.TimeoutExpired:
                    worker.kill()
