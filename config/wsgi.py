import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Import every view now, then put everything startup made out of the garbage collector's sight:
# later collections walk only what requests allocate, so their pauses (and the p99 they add to
# whichever request they land in) stay short.
get_resolver().url_patterns  # noqa: B018
gc.collect()
gc.freeze()
