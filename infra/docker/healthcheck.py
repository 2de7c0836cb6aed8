"""The image's HEALTHCHECK: GET /healthz on this container's port (web and lane).

Worker, beat and drain serve no HTTP: docker-compose.prod.yml and the ECS task definitions give
them probes of their own. Exit status 0 is healthy, 1 is not.
"""

import os
import sys
import urllib.request

url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz"
try:
    with urllib.request.urlopen(url, timeout=3) as response:
        sys.exit(0 if response.status == 200 else 1)
except OSError:
    sys.exit(1)
