"""gunicorn settings for `make run` and production (`gunicorn -c gunicorn.conf.py app:app`)."""

import os

bind = os.environ.get("FOIA_BIND") or f"127.0.0.1:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
accesslog = os.environ.get("FOIA_ACCESS_LOG", "-")
# %(U)s is the path WITHOUT the query string: calendar-feed tokens travel in the query string
# and must never reach a log file.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss'
