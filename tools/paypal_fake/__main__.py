"""``python -m paypal_fake --port 12112 --webhook-url URL --webhook-id WH-...``"""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType

from paypal_fake.server import FakePayPalServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m paypal_fake", description="A local fake of PayPal Payouts."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12112)
    parser.add_argument("--client-id", default=None, help="accept only this client id (default: any)")
    parser.add_argument("--client-secret", default=None)
    parser.add_argument("--webhook-url", action="append", default=[], help="repeatable")
    parser.add_argument("--webhook-id", default=None, help="the id of --webhook-url (PAYPAL_WEBHOOK_ID)")
    parser.add_argument(
        "--process-delay", type=float, default=2.0, help="seconds before items get their outcome"
    )
    parser.add_argument("--duplicates", action="store_true", help="deliver every webhook twice")
    parser.add_argument("--shuffle", action="store_true", help="deliver webhooks out of order")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    server = FakePayPalServer(
        host=args.host,
        port=args.port,
        client_id=args.client_id,
        client_secret=args.client_secret,
        webhook_urls=args.webhook_url,
        webhook_id=args.webhook_id,
        process_delay=args.process_delay,
        verbose=args.verbose,
    )
    server.state.duplicates = args.duplicates
    server.state.shuffle = args.shuffle

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"paypal_fake listening on {server.url}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
