from outcry.fraud.models import ListEntry
from outcry.fraud.services import invalidate

ARGS = {
    "fraud_report": lambda w: {},
    "fraud_lists": lambda w: {},
    "fraud_list_remove": lambda w: {
        "pk": ListEntry.objects.create(
            organisation=w["org"], kind=ListEntry.Kind.DOMAIN, value="spam.example"
        ).pk
    },
    "fraud_invalidations": lambda w: {},
    "fraud_invalidation_undo": lambda w: {
        "pk": invalidate(
            organisation=w["org"],
            conditions={"petition": w["petition"].pk},
            reason="test",
            by=w["owner"],
        ).pk
    },
}
