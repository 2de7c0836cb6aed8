"""A minimal graphql-transport-ws client over a real socket, for live tests."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect


class GraphQLWebsocket:
    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self._ids = itertools.count(1)

    @classmethod
    async def open(
        cls,
        port: int,
        host: str,
        *,
        origin: str | None = None,
        cookie: str | None = None,
        init_payload: dict[str, Any] | None = None,
        acknowledge: bool = True,
    ) -> GraphQLWebsocket:
        """Connect to ``ws://<host>/graphql/`` (TCP to 127.0.0.1:port) and, by default, init."""
        headers = {"Cookie": cookie} if cookie else None
        connection = await connect(
            f"ws://{host}:{port}/graphql/",
            host="127.0.0.1",
            port=port,
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            origin=origin,  # type: ignore[arg-type]
            additional_headers=headers,
            proxy=None,
        )
        socket = cls(connection)
        if acknowledge:
            await socket.send({"type": "connection_init", "payload": init_payload or {}})
            ack = await socket.receive()
            assert ack["type"] == "connection_ack", ack
        return socket

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def receive(self, timeout: float = 5) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.connection.recv(), timeout)
        message: dict[str, Any] = json.loads(raw)
        return message

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        operation_id = str(next(self._ids))
        await self.send(
            {
                "id": operation_id,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables or {}},
            }
        )
        return operation_id

    async def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run a query or mutation; return its single result payload."""
        operation_id = await self.subscribe(query, variables)
        message = await self.receive()
        assert message["id"] == operation_id, message
        assert message["type"] in {"next", "error"}, message
        if message["type"] == "next":
            complete = await self.receive()
            assert complete == {"id": operation_id, "type": "complete"}, complete
        payload: dict[str, Any] = message["payload"]
        return payload

    async def close_code(self, timeout: float = 5) -> int | None:
        """Wait for the server to close the socket; return its close code."""
        try:
            while True:
                await asyncio.wait_for(self.connection.recv(), timeout)
        except Exception:  # noqa: BLE001 - any close ends the wait; the code is what we test
            pass
        return self.connection.close_code

    async def closed(self, timeout: float = 5) -> tuple[int | None, str | None]:
        """Wait for the server to close the socket; return its close code and reason."""
        code = await self.close_code(timeout)
        return code, self.connection.close_reason

    async def close(self) -> None:
        await self.connection.close()
