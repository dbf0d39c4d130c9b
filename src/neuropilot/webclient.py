"""`python -m neuropilot.webclient`: the OpenAPI document the console's API types are generated from.

Built in-process from the route table (no server, no database), byte for byte what /v1/openapi.json answers.
`make web-client` feeds it to openapi-typescript; tests/web/test_client.py checks the committed result.
"""

from __future__ import annotations

import sys

from neuropilot import openapi


def document() -> bytes:
    from neuropilot.routes import ROUTES  # imports every handler; only this command needs them

    return openapi.document(ROUTES)


if __name__ == "__main__":
    sys.stdout.buffer.write(document())
