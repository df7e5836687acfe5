"""The Redis cache backend (outcry/rediscache.py): Django's, with its client made once."""

from django.core.cache import cache


def test_one_client_serves_every_operation(redis):
    clients = cache._cache
    assert clients.get_client() is clients.get_client("any", write=True)
    cache.set("page", {"body": b"x" * 10_000}, 5)
    assert cache.get("page") == {"body": b"x" * 10_000}
    assert cache.add("count", 1, 5) and cache.incr("count") == 2
    cache.delete("page")
    assert cache.get("page") is None
    assert len(clients._clients) == 1

