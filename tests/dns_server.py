"""A tiny authoritative DNS server on 127.0.0.1 (UDP), speaking the real wire format with
dnspython's message helpers: the custom-domain checks resolve through it as they would through
any name server. Records are set per test; any other name is NXDOMAIN."""

from __future__ import annotations

import socket
import threading

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset


class LocalDnsServer:
    def __init__(self) -> None:
        self.records: dict[tuple[str, str], list[str]] = {}
        self.queries: list[tuple[str, str]] = []
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self.port = int(self._socket.getsockname()[1])
        self._running = True
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def set(self, name: str, record_type: str, *values: str) -> None:
        self.records[(name.lower().rstrip("."), record_type)] = list(values)

    def forget(self, name: str) -> None:
        name = name.lower().rstrip(".")
        for key in [key for key in self.records if key[0] == name]:
            del self.records[key]

    def _answer(self, wire: bytes) -> bytes:
        query = dns.message.from_wire(wire)
        response = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        record_type = dns.rdatatype.to_text(question.rdtype)
        self.queries.append((name, record_type))
        values = self.records.get((name, record_type))
        if values:
            texts = [f'"{value}"' for value in values] if record_type == "TXT" else values
            response.answer.append(dns.rrset.from_text_list(question.name, 60, "IN", record_type, texts))
        elif not any(key[0] == name for key in self.records):
            response.set_rcode(dns.rcode.NXDOMAIN)
        return bytes(response.to_wire())

    def _serve(self) -> None:
        while self._running:
            try:
                wire, peer = self._socket.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self._socket.sendto(self._answer(wire), peer)

    def close(self) -> None:
        self._running = False
        self._thread.join(timeout=2)
        self._socket.close()
