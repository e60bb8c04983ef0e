"""Small, rarely edited tables read on every sign-in (login rules, session policies), cached on
the shared cache and dropped whenever one of their rows is saved or deleted (at once with a
shared cache such as Redis; within `seconds` otherwise)."""

from django.db.models.signals import post_delete, post_save

from accounts import sharedcache


def cached_table(model, key, build, seconds=60):
    """A getter for `build()` (what the table's rows become), cached under `key`."""

    def forget(**kwargs):
        sharedcache.delete(key)

    post_save.connect(forget, sender=model, weak=False, dispatch_uid=f"{key}:save")
    post_delete.connect(forget, sender=model, weak=False, dispatch_uid=f"{key}:delete")

    def get():
        value = sharedcache.get(key)
        if value is None:
            value = build()
            sharedcache.set(key, value, seconds)
        return value

    return get
