"""Does a brand control the custom domain it claims? A DNS TXT record, or an HTTP token.

* DNS: ``_affiliate-verify.<domain>`` holds a TXT string equal to the claim's token.
* HTTP: ``http://<domain>/.well-known/affiliate-verify/<token>`` answers the token. The
  platform answers that path itself (``tenants.hosts.DomainVerificationMiddleware``) for a
  pending claim, so the check passes as soon as the domain points at the platform.

Both reach out of the platform on a brand admin's word, so both are bounded:

* the resolver asks only the configured name servers (the system's by default), with a
  short lifetime, for two fixed record types;
* the HTTP fetch resolves the name itself, refuses any address that is not globally
  routable (loopback, private, link-local — the cloud metadata address —, multicast,
  reserved) unless ``CUSTOM_DOMAIN_FETCH_ALLOWED_NETWORKS`` allows it, then connects to
  *that* address (no second lookup a rebinding DNS could answer differently), sends one GET
  of a fixed path with the domain as Host, follows no redirect and reads at most
  ``_MAX_BODY`` bytes.

Both are injectable (``DomainVerifier(resolver=..., fetcher=...)``); the tests point the
real ones at a local DNS server and the live test server through the settings.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings

from tenants.error_codes import CustomDomainErrorCode as Code
from tenants.models import CustomDomainMethod

logger = logging.getLogger(__name__)

TXT_RECORD_PREFIX = "_affiliate-verify"
WELL_KNOWN_PREFIX = "/.well-known/affiliate-verify/"
_MAX_BODY = 512
_USER_AGENT = "AffiliatePlatform-DomainVerification/1.0"


def txt_record_name(domain: str) -> str:
    return f"{TXT_RECORD_PREFIX}.{domain}"


def http_token_url(domain: str, token: str) -> str:
    return f"http://{domain}{WELL_KNOWN_PREFIX}{token}"


class LookupFailed(Exception):
    """The name servers could not be asked or did not answer (not: the name has no record)."""


class DomainResolver(Protocol):
    def txt(self, name: str) -> list[str]:
        """The TXT strings at ``name`` ([] when it has none); LookupFailed when DNS fails."""
        ...

    def addresses(self, name: str) -> list[str]:
        """The IPv4 then IPv6 addresses of ``name`` ([] when it has none); LookupFailed."""
        ...


class DnsPythonResolver:
    """dnspython's stub resolver on the configured name servers (``CUSTOM_DOMAIN_DNS_NAMESERVERS``,
    empty: the system's ``/etc/resolv.conf``), port and lifetime."""

    def __init__(
        self, *, nameservers: list[str] | None = None, port: int = 53, lifetime: float = 5.0
    ) -> None:
        import dns.resolver

        try:
            self._resolver = dns.resolver.Resolver(configure=not nameservers)
        except dns.resolver.NoResolverConfiguration:
            # No /etc/resolv.conf (a bare container): every lookup fails as DNS_ERROR, the
            # request does not.
            logger.warning("no DNS resolver configuration: set CUSTOM_DOMAIN_DNS_NAMESERVERS")
            self._resolver = dns.resolver.Resolver(configure=False)
        if nameservers:
            self._resolver.nameservers = list(nameservers)
        self._resolver.port = port
        self._resolver.lifetime = lifetime
        self._resolver.cache = None

    def _records(self, name: str, record_type: str) -> list[object]:
        import dns.exception
        import dns.resolver

        try:
            answer = self._resolver.resolve(name, record_type, raise_on_no_answer=False, search=False)
        except dns.resolver.NXDOMAIN:
            return []
        except dns.exception.DNSException as error:
            raise LookupFailed(type(error).__name__) from error
        return list(answer.rrset) if answer.rrset is not None else []

    def txt(self, name: str) -> list[str]:
        return [
            b"".join(record.strings).decode("utf-8", "replace")  # type: ignore[attr-defined]
            for record in self._records(name, "TXT")
        ]

    def addresses(self, name: str) -> list[str]:
        return [str(record) for kind in ("A", "AAAA") for record in self._records(name, kind)]


@dataclass(frozen=True)
class CheckOutcome:
    verified: bool
    method: str  # CustomDomainMethod, or "" when not verified
    code: str  # a CustomDomainErrorCode ("" when verified)
    message: str


def address_allowed(address: str, allowed_networks: list[str]) -> bool:
    """Globally routable unicast, or inside a network the settings allow (tests, intranets)."""
    ip = ipaddress.ip_address(address)
    if any(ip in ipaddress.ip_network(network, strict=False) for network in allowed_networks):
        return True
    return ip.is_global and not ip.is_multicast


class HttpTokenFetcher:
    """GET ``/.well-known/affiliate-verify/<token>`` from the domain, SSRF-bounded (see module)."""

    def __init__(
        self,
        *,
        resolver: DomainResolver,
        port: int = 80,
        timeout: float = 5.0,
        allowed_networks: list[str] | None = None,
    ) -> None:
        self.resolver = resolver
        self.port = port
        self.timeout = timeout
        self.allowed_networks = list(allowed_networks or [])

    def check(self, domain: str, token: str) -> tuple[bool, str, str]:
        """(answered the token, code, sentence)."""
        url = http_token_url(domain, token)
        try:
            addresses = self.resolver.addresses(domain)
        except LookupFailed:
            return False, Code.DNS_ERROR, f"{domain} could not be resolved."
        if not addresses:
            return False, Code.HTTP_TOKEN_NOT_FOUND, f"{domain} has no address yet."
        usable = [address for address in addresses if address_allowed(address, self.allowed_networks)]
        if not usable:
            return (
                False,
                Code.HTTP_ADDRESS_REFUSED,
                f"{domain} points at an address that is not public; it cannot be checked over HTTP.",
            )
        for address in usable[:1]:  # one connection: "verify now" waits on it
            body = self._get(address, domain, token)
            if body is not None and body.strip() == token:
                return True, "", ""
        return False, Code.HTTP_TOKEN_NOT_FOUND, f"{url} did not answer the token."

    def _get(self, address: str, domain: str, token: str) -> str | None:
        connection = http.client.HTTPConnection(address, self.port, timeout=self.timeout)
        try:
            connection.request(
                "GET",
                WELL_KNOWN_PREFIX + token,
                headers={"Host": domain, "User-Agent": _USER_AGENT, "Accept": "text/plain"},
            )
            response = connection.getresponse()
            if response.status != 200:
                return None
            return response.read(_MAX_BODY).decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:
            logger.info("HTTP verification of %s at %s failed: %s", domain, address, error)
            return None
        finally:
            connection.close()


class DomainVerifier:
    """Checks a claim: the DNS TXT record first (proof independent of where the domain
    points), then the HTTP token."""

    def __init__(self, *, resolver: DomainResolver, fetcher: HttpTokenFetcher) -> None:
        self.resolver = resolver
        self.fetcher = fetcher

    def check(self, domain: str, token: str) -> CheckOutcome:
        record = txt_record_name(domain)
        try:
            values = self.resolver.txt(record)
        except LookupFailed:
            dns_code, dns_message = Code.DNS_ERROR, f"The DNS lookup of {record} failed."
        else:
            if token in (value.strip() for value in values):
                return CheckOutcome(True, CustomDomainMethod.DNS, "", "")
            if values:
                dns_code = Code.DNS_RECORD_MISMATCH
                dns_message = f"The TXT record {record} does not hold this token."
            else:
                dns_code, dns_message = Code.DNS_RECORD_NOT_FOUND, f"No TXT record {record} was found."
        answered, http_code, http_message = self.fetcher.check(domain, token)
        if answered:
            return CheckOutcome(True, CustomDomainMethod.HTTP, "", "")
        code = dns_code if dns_code != Code.DNS_RECORD_NOT_FOUND else http_code
        if code == Code.HTTP_TOKEN_NOT_FOUND:
            code = Code.NOT_VERIFIED_YET
        return CheckOutcome(False, "", code, f"{dns_message} {http_message}")


def default_verifier() -> DomainVerifier:
    """The verifier the settings describe (read at call time: tests override them)."""
    resolver = DnsPythonResolver(
        nameservers=list(settings.CUSTOM_DOMAIN_DNS_NAMESERVERS),
        port=settings.CUSTOM_DOMAIN_DNS_PORT,
        lifetime=settings.CUSTOM_DOMAIN_CHECK_TIMEOUT_SECONDS,
    )
    fetcher = HttpTokenFetcher(
        resolver=resolver,
        port=settings.CUSTOM_DOMAIN_HTTP_PORT,
        timeout=settings.CUSTOM_DOMAIN_CHECK_TIMEOUT_SECONDS,
        allowed_networks=list(settings.CUSTOM_DOMAIN_FETCH_ALLOWED_NETWORKS),
    )
    return DomainVerifier(resolver=resolver, fetcher=fetcher)
