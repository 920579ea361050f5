#!/usr/bin/env python3
"""Holds every packet the rehearsal's router forwards for a set time, then lets it go: the
latency of a wire between two hosts, in user space.

Why not `tc qdisc add … netem delay`: netem is what one would use, and scripts/rehearsal/
network.sh does not need it, because some kernels are built without it (this project's
machines: CONFIG_NET_SCH_NETEM is not set). Netfilter's queue (NFQUEUE) is in every
distribution kernel: nftables hands each forwarded packet to this process, which gives the
verdict (accept) once the packet's delay is over. Standard library only; Linux; root.

Delays are one-way, per pair of addresses, from a JSON file:
    {"generation": 3, "default_ms": 2.5, "pairs": [["198.18.1.2", "198.18.6.2", 0]]}
SIGHUP reloads it and prints `loaded <generation>` once the new delays apply, so whoever
changed them can wait for that line instead of sleeping.
"""
import argparse
import heapq
import json
import os
import signal
import socket
import struct
import sys
import threading
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS, NFQA_CFG_QUEUE_MAXLEN = 1, 2, 3
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_PACKET = 2
NFQA_PACKET_HDR, NFQA_VERDICT_HDR, NFQA_PAYLOAD = 1, 2, 10
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
NF_ACCEPT = 1
IP_HEADER = 20  # all the payload we need: source and destination addresses


def attribute(kind, payload):
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * ((4 - length % 4) % 4)


def message(msg_type, queue, attributes, flags=NLM_F_REQUEST):
    # nfgenmsg: family AF_UNSPEC, version 0, the queue number (big endian).
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(queue)) + b"".join(attributes)
    return struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | msg_type, flags, 0, 0) + body


def attributes_of(data, offset, end):
    found = {}
    while offset + 4 <= end:
        length, kind = struct.unpack_from("=HH", data, offset)
        if length < 4:
            break
        found[kind & 0x7FFF] = data[offset + 4 : offset + length]
        offset += (length + 3) & ~3
    return found


class Delays:
    """The one-way delay of a packet, in seconds, from its addresses."""

    def __init__(self, path):
        self.path = path
        self.load()

    def load(self):
        with open(self.path) as file:
            config = json.load(file)
        self.generation = config.get("generation", 0)
        self.default = float(config.get("default_ms", 0)) / 1000
        self.pairs = {}
        for a, b, ms in config.get("pairs", []):
            key = frozenset((socket.inet_aton(a), socket.inet_aton(b)))
            self.pairs[key] = float(ms) / 1000

    def of(self, header):
        source, destination = header[12:16], header[16:20]
        return self.pairs.get(frozenset((source, destination)), self.default)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queue", type=int, default=0)
    parser.add_argument("--config", required=True)
    args = parser.parse_args()
    delays = Delays(args.config)

    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE: bursts wait here, not dropped
    sock.bind((0, 0))

    def configure(*attrs):
        sock.send(message(NFQNL_MSG_CONFIG, args.queue, attrs, NLM_F_REQUEST | NLM_F_ACK))
        reply = sock.recv(4096)
        kind = struct.unpack_from("=H", reply, 4)[0]
        error = struct.unpack_from("=i", reply, 16)[0] if kind == NLMSG_ERROR else 0
        if error:
            sys.exit(f"delay: configuring queue {args.queue} failed: {os.strerror(-error)}")

    configure(attribute(NFQA_CFG_CMD, struct.pack("=BBH", NFQNL_CFG_CMD_BIND, 0, 0)))
    configure(attribute(NFQA_CFG_PARAMS, struct.pack("!IB", IP_HEADER, NFQNL_COPY_PACKET)))
    configure(attribute(NFQA_CFG_QUEUE_MAXLEN, struct.pack("!I", 65536)))

    due = []  # (release time, sequence, packet id): sequence keeps equal times in order
    ready = threading.Condition()
    stopping = threading.Event()

    def release():
        # Private: sends each verdict when its time comes; the condition's timed wait has
        # microsecond resolution (an epoll timeout would round up to whole milliseconds).
        while not stopping.is_set():
            with ready:
                while not due and not stopping.is_set():
                    ready.wait()
                if stopping.is_set():
                    return
                at, _, packet = due[0]
                wait = at - time.monotonic()
                if wait > 0:
                    ready.wait(wait)
                    continue
                heapq.heappop(due)
            verdict = struct.pack("!II", NF_ACCEPT, packet)
            sock.send(message(NFQNL_MSG_VERDICT, args.queue, [attribute(NFQA_VERDICT_HDR, verdict)]))

    def reload(_signal, _frame):
        delays.load()
        print(f"loaded {delays.generation}", flush=True)

    def stop(_signal, _frame):
        stopping.set()
        with ready:
            ready.notify()
        sys.exit(0)

    signal.signal(signal.SIGHUP, reload)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threading.Thread(target=release, daemon=True).start()
    print(f"ready on queue {args.queue}, loaded {delays.generation}", flush=True)

    sequence = 0
    while True:
        try:
            data = sock.recv(1 << 20)
        except OSError as error:
            if error.errno == 105:  # ENOBUFS: the kernel dropped packets; TCP sends them again
                continue
            raise
        offset = 0
        while offset + 16 <= len(data):
            length, kind = struct.unpack_from("=IH", data, offset)
            if length < 16:
                break
            if kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                found = attributes_of(data, offset + 20, offset + length)
                packet = struct.unpack("!I", found[NFQA_PACKET_HDR][:4])[0]
                delay = delays.of(found.get(NFQA_PAYLOAD, b"\0" * IP_HEADER))
                sequence += 1
                with ready:
                    heapq.heappush(due, (time.monotonic() + delay, sequence, packet))
                    ready.notify()
            offset += (length + 3) & ~3


if __name__ == "__main__":
    main()
