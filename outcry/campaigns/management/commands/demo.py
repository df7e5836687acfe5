import random
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from outcry.actions.models import CaseTarget, SampleLetter, UrgentAction
from outcry.campaigns import demo_content
from outcry.campaigns.models import Comment, Membership, Organisation, Petition, Role, Target
from outcry.privacy.digest import domain_digest, email_digest
from outcry.signing.models import CountDelta, NameDisplay, Signature
from outcry.signing.services import apply_count_deltas

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
FIRST = [
    "Ana",
    "Luis",
    "María",
    "José",
    "Rosa",
    "Carlos",
    "Lucía",
    "Jorge",
    "Elena",
    "Diego",
    "Carmen",
    "Pedro",
    "Sofía",
    "Miguel",
    "Julia",
    "Raúl",
    "Paola",
    "Andrés",
    "Teresa",
    "Iván",
]
LAST = [
    "Quispe",
    "Mamani",
    "Flores",
    "Huamán",
    "Rojas",
    "Torres",
    "Chávez",
    "Vargas",
    "Castillo",
    "Ramos",
    "Mendoza",
    "Gutiérrez",
    "Condori",
    "Salazar",
    "Paredes",
]
DEMO_SIGNERS = 90


def unwrap(text: str) -> str:
    """Join the source's hard-wrapped lines: a letter's lines are its paragraphs."""
    return "\n\n".join(" ".join(p.split()) for p in text.strip().split("\n\n"))


def aware(day: str):
    return timezone.make_aware(datetime.fromisoformat(day).replace(hour=12))


class Command(BaseCommand):
    help = "Load the demo campaigns and an organiser login. Safe to run again: keeps all data."

    def handle(self, *args, **options):
        with transaction.atomic():
            org, _ = Organisation.objects.get_or_create(
                slug="demo", defaults={"name": "Outcry Demo"}
            )
            password = self.organiser(org)
            if not Petition.objects.filter(slug=demo_content.PETITION["slug"]).exists():
                self.petition(org)
                self.stdout.write("Loaded the demo petition.")
            ua = demo_content.URGENT_ACTION
            if not UrgentAction.objects.filter(
                organisation=org, serial=ua["serial"], year=ua["year"]
            ).exists():
                self.urgent_action(org, ua)
                self.stdout.write(f"Loaded the demo urgent action UA {ua['serial']}.22.")
        apply_count_deltas()
        if password:
            self.stdout.write(
                "\nOrganiser login (shown only this once):\n"
                f"  user: organiser\n  password: {password}\n"
                "  workspace: http://127.0.0.1:8000/en/organiser/\n"
                "  admin: http://127.0.0.1:8000/admin/\n"
            )

    def organiser(self, org) -> str | None:
        User = get_user_model()
        if User.objects.filter(username="organiser").exists():
            return None
        password = secrets.token_urlsafe(12)
        user = User.objects.create_user("organiser", password=password, is_staff=True)
        Membership.objects.create(organisation=org, user=user, role=Role.OWNER)
        return password

    def petition(self, org):
        data = demo_content.PETITION
        target = Target.objects.create(organisation=org, **data["target"])
        now = timezone.now()
        petition = Petition(
            organisation=org,
            slug=data["slug"],
            title=data["title"],
            goal=data["goal"],
            body=data["body"],
            letter=data["letter"],
            target=target,
            language="en",
            image_alt=data["image_alt"],
            image_credit=data["image_credit"],
            published_at=now - timedelta(days=30),
            comments_premoderated=True,
        )
        with open(DEMO_DIR / data["image"], "rb") as image:
            petition.image.save(data["image"], File(image), save=False)
        petition.save()
        self.signers(petition, now)

    def urgent_action(self, org, data):
        """UA 105.22 and the action it follows. Open for action: its deadline is moved
        to the future, while the dates of the story stay true."""
        earlier = data["follows"]
        first = UrgentAction.objects.create(
            organisation=org,
            serial=earlier["serial"],
            year=earlier["year"],
            headline=earlier["headline"],
            country=data["country"],
            summary=earlier["summary"],
            people_at_risk=data["people_at_risk"],
            pronouns=data["pronouns"],
            status=UrgentAction.Status.UPDATED,
            published_at=aware(earlier["published"]),
            preferred_language=data["preferred_language"],
        )
        action = UrgentAction.objects.create(
            organisation=org,
            serial=data["serial"],
            year=data["year"],
            follows=first,
            headline=data["headline"],
            country=data["country"],
            summary=data["summary"],
            people_at_risk=data["people_at_risk"],
            pronouns=data["pronouns"],
            published_at=aware(data["published"]),
            deadline=timezone.localdate() + timedelta(days=60),
            preferred_language=data["preferred_language"],
            take_action=data["actions"].replace("7 March 2023", "the deadline"),
            background=data["background"],
        )
        for group, people in (
            (CaseTarget.Group.TARGET, data["targets"]),
            (CaseTarget.Group.COPY, data["copies_to"]),
        ):
            for position, fields in enumerate(people):
                target = Target.objects.create(organisation=org, **fields)
                CaseTarget.objects.create(
                    action=action, target=target, group=group, position=position
                )
                if group == CaseTarget.Group.TARGET:
                    CaseTarget.objects.create(action=first, target=target, group=group)
        for language, letter in data["letters"].items():
            SampleLetter.objects.create(
                action=action, language=language, **{**letter, "body": unwrap(letter["body"])}
            )

    def signers(self, petition, now):
        """Ninety made-up supporters, so the counter, list and pages have something to show."""
        rng = random.Random(105)  # the same demo every time
        signatures = []
        for i in range(DEMO_SIGNERS):
            # Two different people may share a name: the list shows both, as it should.
            name = "Rosa Quispe" if i in (10, 11) else f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            email = f"supporter{i}@example.org"
            when = now - timedelta(days=29) + timedelta(hours=7 * i)
            signatures.append(
                Signature(
                    petition=petition,
                    name=name,
                    email=email,
                    email_digest=email_digest(email),
                    domain_digest=domain_digest(email),
                    country=rng.choice(["PE", "PE", "PE", "ES", "GB", "US", "CL", "MX"]),
                    name_display=rng.choice(list(NameDisplay.values) + [NameDisplay.FULL] * 3),
                    language=rng.choice(["es", "en"]),
                    state=Signature.State.CONFIRMED,
                    created_at=when,
                    confirmed_at=when + timedelta(minutes=5),
                )
            )
        Signature.objects.bulk_create(signatures)
        CountDelta.objects.create(petition=petition, delta=len(signatures))
        for name, text in [
            (
                "Lucía Rojas",
                "My cousin was at the protest in Celendín. No one should die for "
                "asking for clean water.",
            ),
            ("Tom B.", "Security forces must protect people, not shoot them."),
        ]:
            Comment.objects.create(
                petition=petition,
                name=name,
                email="commenter@example.org",
                email_digest=email_digest("commenter@example.org"),
                text=text,
                status=Comment.Status.APPROVED,
            )
