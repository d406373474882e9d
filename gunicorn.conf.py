"""gunicorn reads this file from the working directory (Dockerfile, docker-compose, make run).

gunicorn's default request line limit (4094 bytes) answers a longer address with its own bare
"URI Too Long". Above Django's own limit (core.input_guard.MAX_QUERY_STRING), Django
answers first, with a page in the tenant's brand or the API's error shape.
"""

limit_request_line = 8190
