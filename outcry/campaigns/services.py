from django.utils import timezone

from outcry.campaigns.models import Comment, Petition


def post_comment(*, petition: Petition, name: str, email: str, text: str) -> Comment:
    """Take a comment, shown at once or held, as the petition's organisers chose."""
    status = Comment.Status.PENDING if petition.comments_premoderated else Comment.Status.APPROVED
    return Comment.objects.create(
        petition=petition, name=name, email=email, text=text.strip(), status=status
    )


def close_petition(*, petition: Petition, now=None) -> None:
    if petition.closed_at is None:
        Petition.objects.filter(pk=petition.pk).update(closed_at=now or timezone.now())
