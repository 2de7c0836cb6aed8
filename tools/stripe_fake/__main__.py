"""``python -m stripe_fake --port 12111 --webhook-url URL --webhook-secret whsec_...``"""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType

from stripe_fake.server import FakeStripeServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m stripe_fake", description="A local fake of the Stripe API."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--webhook-url", action="append", default=[], help="repeatable; every event type")
    parser.add_argument("--webhook-secret", default=None, help="signing secret of --webhook-url endpoints")
    parser.add_argument("--api-key", default=None, help="accept only this key (default: any sk_test_ key)")
    parser.add_argument(
        "--public-url", default=None, help="base of checkout/portal URLs (default: own address)"
    )
    parser.add_argument("--frozen-time", action="store_true", help="time moves only when advanced")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    parser.add_argument(
        "--async-webhooks",
        action="store_true",
        help="deliver webhooks from a background thread, as Stripe (after the API call returns)",
    )
    parser.add_argument("--shuffle", action="store_true", help="async: deliver in a random order")
    parser.add_argument(
        "--duplicates", type=float, default=0.0, help="async: share of deliveries sent twice (0..1)"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed of the shuffling and duplicates")
    parser.add_argument(
        "--dunning-retry-days",
        default=None,
        help="comma-separated days between payment retries of a failed renewal (default 3,5,7)",
    )
    parser.add_argument(
        "--dunning-final-action",
        choices=("unpaid", "canceled"),
        default=None,
        help="what a subscription becomes when every retry failed (default unpaid)",
    )
    parser.add_argument(
        "--portal-configuration",
        action="store_true",
        help="start with a default customer portal configuration (as saved in the Dashboard)",
    )
    args = parser.parse_args(argv)
    settings: dict[str, object] = {}
    if args.dunning_retry_days:
        settings["dunning_retry_days"] = [int(d) for d in args.dunning_retry_days.split(",")]
    if args.dunning_final_action:
        settings["dunning_final_action"] = args.dunning_final_action
    server = FakeStripeServer(
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        webhook_urls=args.webhook_url,
        webhook_secret=args.webhook_secret,
        frozen_time=args.frozen_time,
        public_url=args.public_url,
        verbose=args.verbose,
        delivery="async" if args.async_webhooks else "sync",
        shuffle=args.shuffle,
        duplicate_rate=args.duplicates,
        seed=args.seed,
        settings=settings,
        portal_configuration=args.portal_configuration,
    )

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"stripe_fake listening on {server.url}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
