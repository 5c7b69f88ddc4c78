// The comparison peer of bench/signaling.py: a Socket.IO room relay doing what our RoomConsumer does
// on the relay path. Rooms of two; a "signal" frame goes to its targetId, only when that peer is in
// the sender's room, stamped with the sender's id. bench/signaling.py copies this file into a
// temporary folder holding socket.io and runs `node socketio_relay.js <port>` there.
"use strict";
const http = require("node:http");
const { Server } = require("socket.io");

const httpServer = http.createServer();
const io = new Server(httpServer, { serveClient: false, transports: ["websocket"], maxHttpBufferSize: 64 * 1024 });

io.on("connection", (socket) => {
  socket.on("join", (roomId, ack) => {
    const present = [...(io.sockets.adapter.rooms.get(roomId) ?? [])];
    if (present.length >= 2) return ack({ error: "room_full" });
    socket.join(roomId);
    socket.data.roomId = roomId;
    ack({ selfId: socket.id, peers: present });
    socket.to(roomId).emit("USER_JOINED", { userId: socket.id });
  });
  socket.on("signal", (frame) => {
    const room = io.sockets.adapter.rooms.get(socket.data.roomId);
    const { targetId } = frame.payload ?? {};
    if (!room || targetId === socket.id || !room.has(targetId)) {
      return socket.emit("ERROR", { code: "invalid_target" });
    }
    io.to(targetId).emit("signal", { type: frame.type, payload: { ...frame.payload, fromId: socket.id } });
  });
});

httpServer.listen(Number(process.argv[2]), "127.0.0.1", () => console.log("listening"));
