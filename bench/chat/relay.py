"""The baseline: a bare WebSocket relay that speaks the part of Parley's chat protocol the benchmark uses.

No database, no encryption, no channel layer, no inbox: rooms are dicts in memory. A visitor says
`{"type": "hello", "token": ROOM}`, an expert socket sends `{"type": "open", "interaction_id": ROOM}` (as many rooms
as it likes); both get `{"type": "ready", "interaction_id": ROOM}`. A message frame is numbered per room and sent
to every socket in the room, the sender's included, as Parley does:
`{"type": "message", "interaction_id": ROOM, "message": {"seq", "sender", "body"}}`; a `seen` frame becomes a
`receipt` frame to the room. `ping` is answered by `pong`.
GET /healthz answers 200 so run.py knows the relay is up.

    python relay.py --port 8765 [--impl websockets|picows]

`websockets` (the default) is the library uvicorn serves Parley's WebSockets with; picows is a faster C
implementation (optional). Both run on uvloop when it is installed, like `parley serve`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import defaultdict
from typing import Any

HOST = "127.0.0.1"


class Rooms:
    def __init__(self) -> None:
        self.members: dict[str, list[Any]] = defaultdict(list)  # room → connections (anything with .send_text)
        self.seq: dict[str, int] = defaultdict(int)

    def handle(self, conn: Any, data: dict[str, Any]) -> None:
        kind = data.get("type")
        if kind == "hello":
            room = str(data.get("token"))
            conn.room, conn.side = room, "customer"
            self._join(conn, room)
            conn.send_text(json.dumps({"type": "ready", "interaction_id": room}, separators=(",", ":")))
        elif kind == "open":
            room = str(data.get("interaction_id"))
            conn.side = "expert"
            self._join(conn, room)
            conn.send_text(json.dumps({"type": "ready", "interaction_id": room}, separators=(",", ":")))
        elif kind == "message":
            room = conn.room if conn.side == "customer" else str(data.get("interaction_id"))
            if conn not in self.members.get(room, ()):
                conn.send_text('{"type":"error","message":"Open the conversation first."}')
                return
            self.seq[room] += 1
            message = {"seq": self.seq[room], "sender": conn.side, "body": str(data.get("body", "")).strip()}
            frame = json.dumps({"type": "message", "interaction_id": room, "message": message}, separators=(",", ":"))
            for member in self.members[room]:
                member.send_text(frame)
        elif kind == "seen":
            room = conn.room if conn.side == "customer" else str(data.get("interaction_id"))
            receipt = {"type": "receipt", "interaction_id": room, "side": conn.side}
            receipt.update(delivered=data.get("delivered"), read=data.get("read"))
            frame = json.dumps(receipt, separators=(",", ":"))
            for member in self.members.get(room, ()):
                member.send_text(frame)
        elif kind == "ping":
            conn.send_text('{"type":"pong"}')
        else:
            conn.send_text('{"type":"error","message":"Unknown frame type."}')

    def _join(self, conn: Any, room: str) -> None:
        if conn not in self.members[room]:
            self.members[room].append(conn)
            conn.rooms.add(room)

    def leave(self, conn: Any) -> None:
        for room in conn.rooms:
            if conn in self.members.get(room, ()):
                self.members[room].remove(conn)


# --- websockets -----------------------------------------------------------------------------------------------


async def serve_websockets(port: int) -> None:
    from http import HTTPStatus

    from websockets.asyncio.server import ServerConnection, broadcast, serve

    rooms = Rooms()

    class Conn:
        def __init__(self, ws: ServerConnection) -> None:
            self.ws, self.room, self.side, self.rooms = ws, "", "", set()
            self.one = [ws]

        def send_text(self, text: str) -> None:
            broadcast(self.one, text)  # synchronous write, no task per frame (websockets' idiom for relays)

    async def handler(ws: ServerConnection) -> None:
        conn = Conn(ws)
        try:
            async for raw in ws:
                if isinstance(raw, str):
                    rooms.handle(conn, json.loads(raw))
        finally:
            rooms.leave(conn)

    def process_request(connection: ServerConnection, request: Any) -> Any:
        if request.path == "/healthz":
            return connection.respond(HTTPStatus.OK, "ok\n")
        return None

    async with serve(handler, HOST, port, process_request=process_request, compression=None, max_queue=None):
        await asyncio.get_running_loop().create_future()  # until killed


# --- picows ---------------------------------------------------------------------------------------------------


async def serve_picows(port: int) -> None:
    from picows import (
        WSFrame,
        WSListener,
        WSMsgType,
        WSTransport,
        WSUpgradeRequest,
        WSUpgradeResponse,
        WSUpgradeResponseWithListener,
        ws_create_server,
    )

    rooms = Rooms()

    class Conn(WSListener):
        def __init__(self) -> None:
            self.transport: WSTransport | None = None
            self.room, self.side, self.rooms = "", "", set()

        def on_ws_connected(self, transport: WSTransport) -> None:
            self.transport = transport

        def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
            if frame.msg_type == WSMsgType.TEXT:
                rooms.handle(self, json.loads(frame.get_payload_as_bytes()))
            elif frame.msg_type == WSMsgType.CLOSE:
                transport.send_close(frame.get_close_code())
                transport.disconnect()

        def on_ws_disconnected(self, transport: WSTransport) -> None:
            rooms.leave(self)

        def send_text(self, text: str) -> None:
            if self.transport is not None:
                self.transport.send(WSMsgType.TEXT, text.encode())

    def factory(request: WSUpgradeRequest) -> Any:
        if request.path in (b"/healthz", "/healthz"):
            return WSUpgradeResponseWithListener(WSUpgradeResponse.create_ok_response(b"ok\n"), None)
        return Conn()

    server = await ws_create_server(factory, HOST, port)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--impl", choices=("websockets", "picows"), default="websockets")
    args = parser.parse_args()
    runner = serve_picows if args.impl == "picows" else serve_websockets
    try:
        import uvloop

        uvloop.run(runner(args.port))
    except ImportError:
        asyncio.run(runner(args.port))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
