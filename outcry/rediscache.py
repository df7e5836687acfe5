"""Django's Redis cache, with one redis-py client per connection pool.

Django's backend makes a new `redis.Redis` for every cache operation. Since
redis-py 5 that copies a table of some 170 response callbacks each time: about
0.1 ms of CPU, as much as the GET itself, on every page answered from the page
cache and every rate-limit count. A client is a thin handle on its pool, so one
per pool is kept. Django gives each thread its own cache object, so none is
shared between threads (it would be safe: each command takes a connection from
the pool), and the pool notices a fork.
"""

from django.core.cache.backends import redis


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))  # pools live as long as this object
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
