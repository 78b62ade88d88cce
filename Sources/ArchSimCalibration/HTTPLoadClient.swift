// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import NIOCore
import NIOHTTP1
import NIOPosix

/// A minimal HTTP/1.1 keep-alive client for load generation, on SwiftNIO: a pool of
/// connections, one request in flight per connection, requests beyond the pool's size wait in
/// a FIFO. All state lives on one event loop (no locks); completions are callbacks on it.
///
/// Cost per request: one encode and one decode on that loop, no Foundation networking.
final class HTTPLoadClient: @unchecked Sendable {
    struct Request {
        var method: HTTPMethod
        var path: String
        var body: [UInt8]?
    }

    struct Reply {
        var status: Int
        /// `x-server-time-ns`: the server's own time for the request, if it said.
        var serverNs: Int64?
        var body: ByteBuffer?
    }

    let loop: any EventLoop
    let host: String
    let port: Int
    let maxConnections: Int
    /// Whether callers want reply bodies (only to read ids out of them).
    private var idle: [Connection] = []
    private var open = 0
    private var waiting = CircularBuffer<(Request, (Result<Reply, any Error>) -> Void)>()
    private var closed = false

    init(loop: any EventLoop, host: String, port: Int, maxConnections: Int) {
        self.loop = loop; self.host = host; self.port = port; self.maxConnections = maxConnections
    }

    /// Sends `request`; `done` runs on ``loop``. Must be called on ``loop``.
    func send(_ request: Request, _ done: @escaping (Result<Reply, any Error>) -> Void) {
        loop.preconditionInEventLoop()
        if closed { done(.failure(ChannelError.ioOnClosedChannel)); return }
        if let c = idle.popLast() { c.send(request, done); return }
        if open < maxConnections {
            open += 1
            connect().assumeIsolated().whenComplete { [self] result in
                switch result {
                case .success(let c): c.send(request, done)
                case .failure(let e): open -= 1; done(.failure(e)); drain()
                }
            }
            return
        }
        waiting.append((request, done))
    }

    private func connect() -> EventLoopFuture<Connection> {
        let handler = ResponseHandler()
        return ClientBootstrap(group: loop)
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.pipeline.addHTTPClientHandlers().flatMap { channel.pipeline.addHandler(handler) }
            }
            .connect(host: host, port: port)
            .map { [self] channel in Connection(client: self, channel: channel, handler: handler) }
    }

    fileprivate func release(_ c: Connection) {
        if closed { _ = c.channel.close(); return }
        if let (r, done) = waiting.popFirst() { c.send(r, done) } else { idle.append(c) }
    }

    fileprivate func lost(_ c: Connection) {
        open -= 1
        drain()
    }

    private func drain() {
        while open < maxConnections, let (r, done) = waiting.popFirst() { send(r, done) }
    }

    /// Closes every connection; pending requests fail.
    func shutdown() -> EventLoopFuture<Void> {
        loop.submit { [self] in
            closed = true
            let all = idle; idle = []
            while let (_, done) = waiting.popFirst() { done(.failure(ChannelError.ioOnClosedChannel)) }
            return all
        }.flatMap { conns in
            EventLoopFuture.andAllComplete(conns.map { $0.channel.close() }, on: self.loop)
        }
    }

    fileprivate final class Connection {
        unowned let client: HTTPLoadClient
        let channel: any Channel
        let handler: ResponseHandler
        init(client: HTTPLoadClient, channel: any Channel, handler: ResponseHandler) {
            self.client = client; self.channel = channel; self.handler = handler
        }

        func send(_ r: Request, _ done: @escaping (Result<Reply, any Error>) -> Void) {
            var head = HTTPRequestHead(version: .http1_1, method: r.method, uri: r.path)
            head.headers.add(name: "Host", value: client.host)
            if let body = r.body {
                head.headers.add(name: "Content-Type", value: "application/json")
                head.headers.add(name: "Content-Length", value: String(body.count))
            }
            handler.pending = { [self] result in
                done(result)
                if case .success = result { client.release(self) } else { _ = channel.close(); client.lost(self) }
            }
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if let body = r.body {
                channel.write(HTTPClientRequestPart.body(.byteBuffer(channel.allocator.buffer(bytes: body))), promise: nil)
            }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        }
    }
}

/// Collects one response (head, body, end) and hands it to `pending`.
private final class ResponseHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    var pending: ((Result<HTTPLoadClient.Reply, any Error>) -> Void)?
    private var status = 0
    private var serverNs: Int64?
    private var body: ByteBuffer?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            serverNs = head.headers.first(name: "x-server-time-ns").flatMap { Int64($0) }
            body = nil
        case .body(var part):
            if body == nil { body = part } else { body!.writeBuffer(&part) }
        case .end:
            let reply = HTTPLoadClient.Reply(status: status, serverNs: serverNs, body: body)
            let p = pending; pending = nil
            p?(.success(reply))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { fail(error); context.close(promise: nil) }
    func channelInactive(context: ChannelHandlerContext) { fail(ChannelError.eof) }

    private func fail(_ e: any Error) {
        let p = pending; pending = nil
        p?(.failure(e))
    }
}
