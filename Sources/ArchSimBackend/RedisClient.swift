// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import NIOCore
import NIOPosix

/// A value of the Redis serialisation protocol, version 2 (RESP2): what a server answers.
public enum RESPValue: Sendable, Equatable {
    case simple(String)
    case error(String)
    case integer(Int64)
    case bulk([UInt8]?)     // nil: the null bulk string ($-1)
    case array([RESPValue]?)

    /// A bulk or simple string as text; nil otherwise.
    public var text: String? {
        switch self {
        case .simple(let s): return s
        case .bulk(let b?): return String(decoding: b, as: UTF8.self)
        default: return nil
        }
    }
}

/// Decodes RESP2 values from a byte stream; leaves an incomplete value in the buffer until the
/// rest arrives.
struct RESPDecoder: ByteToMessageDecoder {
    typealias InboundOut = RESPValue

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        var view = buffer
        guard let value = try Self.parse(&view) else { return .needMoreData }
        buffer = view
        context.fireChannelRead(Self.wrapInboundOut(value))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }

    /// One value from the front of `buffer` (advancing it), or nil when it is not all there.
    static func parse(_ buffer: inout ByteBuffer) throws -> RESPValue? {
        guard let type = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
              let line = lineLength(buffer, from: buffer.readerIndex + 1) else { return nil }
        let text = buffer.getString(at: buffer.readerIndex + 1, length: line) ?? ""
        let after = buffer.readerIndex + 1 + line + 2
        func number() throws -> Int64 {
            guard let n = Int64(text) else { throw RESPError("not a number in a RESP header: \(text)") }
            return n
        }
        switch UInt8(ascii: "+") == type ? "+" : UInt8(ascii: "-") == type ? "-" : UInt8(ascii: ":") == type ? ":"
            : UInt8(ascii: "$") == type ? "$" : UInt8(ascii: "*") == type ? "*" : "?" {
        case "+": buffer.moveReaderIndex(to: after); return .simple(text)
        case "-": buffer.moveReaderIndex(to: after); return .error(text)
        case ":": let n = try number(); buffer.moveReaderIndex(to: after); return .integer(n)
        case "$":
            let n = try number()
            if n < 0 { buffer.moveReaderIndex(to: after); return .bulk(nil) }
            guard buffer.writerIndex >= after + Int(n) + 2 else { return nil }
            let bytes = buffer.getBytes(at: after, length: Int(n)) ?? []
            buffer.moveReaderIndex(to: after + Int(n) + 2)
            return .bulk(bytes)
        case "*":
            let n = try number()
            var view = buffer
            view.moveReaderIndex(to: after)
            if n < 0 { buffer = view; return .array(nil) }
            var items: [RESPValue] = []
            for _ in 0..<n {
                guard let item = try parse(&view) else { return nil }
                items.append(item)
            }
            buffer = view
            return .array(items)
        default:
            throw RESPError("not a RESP2 type byte: \(type)")
        }
    }

    /// Length of the line starting at `index`, up to its CRLF; nil when the CRLF has not arrived.
    static func lineLength(_ buffer: ByteBuffer, from index: Int) -> Int? {
        var i = index
        while i + 1 < buffer.writerIndex {
            if buffer.getInteger(at: i, as: UInt8.self) == 13 && buffer.getInteger(at: i + 1, as: UInt8.self) == 10 { return i - index }
            i += 1
        }
        return nil
    }
}

public struct RESPError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}

/// A small Redis client over SwiftNIO: one connection, pipelined. Commands may be sent from
/// any number of tasks at once; Redis answers them in the order they arrived, and the pipeline
/// handler hands each answer to the command at the head of its queue. GET, SET with a TTL, DEL,
/// INFO; ``command(_:)`` for the rest. ``connect(host:port:)`` gives a long-lived client (the
/// backend's cache) to ``close()``; ``withConnection(host:port:_:)`` a scoped one.
public final class RedisClient: Sendable {
    private let channel: any Channel
    private let timeout: TimeAmount?

    /// Connects to host:port (TCP_NODELAY: each command leaves at once). With `timeout`, the
    /// connection must be made, and each command answered, within it; a command that is not
    /// fails, and the connection closes (the answers of later commands could no longer be
    /// paired with them), failing every command waiting on it.
    public static func connect(host: String = "127.0.0.1", port: Int, timeout: TimeAmount? = nil) async throws -> RedisClient {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(timeout ?? .seconds(10))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RESPDecoder()))
                    try channel.pipeline.syncOperations.addHandler(RESPPipeline())
                }
            }
            .connect(host: host, port: port).get()
        return RedisClient(channel: channel, timeout: timeout)
    }

    /// Connects to host:port, runs `body` with the client, closes the connection.
    public static func withConnection<T: Sendable>(host: String = "127.0.0.1", port: Int,
                                                   _ body: (RedisClient) async throws -> T) async throws -> T {
        let client = try await connect(host: host, port: port)
        do {
            let value = try await body(client)
            await client.close()
            return value
        } catch {
            await client.close()
            throw error
        }
    }

    private init(channel: any Channel, timeout: TimeAmount?) { self.channel = channel; self.timeout = timeout }

    /// Closes the connection; commands still waiting fail.
    public func close() async { try? await channel.close() }

    /// Whether the connection is still open (it closes when Redis goes, or a command times out).
    public var isOpen: Bool { channel.isActive }

    /// Sends `arguments` as one command and returns the answer; a RESP error answer is thrown.
    public func command(_ arguments: [String]) async throws -> RESPValue {
        var buffer = channel.allocator.buffer(capacity: 16 + arguments.reduce(0) { $0 + $1.utf8.count + 16 })
        buffer.writeString("*\(arguments.count)\r\n")
        for a in arguments {
            buffer.writeString("$\(a.utf8.count)\r\n")
            buffer.writeString(a)
            buffer.writeString("\r\n")
        }
        let answer = channel.eventLoop.makePromise(of: RESPValue.self)
        // A write that fails (the connection is closed) fails the command: a closed channel has
        // no pipeline left to answer it. A second completion of a promise is ignored by NIO.
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { answer.fail($0) }
        channel.writeAndFlush(RESPPipeline.Command(bytes: buffer, answer: answer), promise: written)
        if let timeout {
            let channel = self.channel
            let deadline = channel.eventLoop.scheduleTask(in: timeout) {
                answer.fail(RESPError("no answer from Redis within \(timeout.nanoseconds / 1_000_000) ms"))
                channel.close(promise: nil)
            }
            answer.futureResult.whenComplete { _ in deadline.cancel() }
        }
        let value = try await answer.futureResult.get()
        if case .error(let message) = value { throw RESPError(message) }
        return value
    }

    /// The value of `key`, nil when absent (a miss).
    public func get(_ key: String) async throws -> [UInt8]? {
        guard case .bulk(let value) = try await command(["GET", key]) else { throw RESPError("GET: not a bulk string") }
        return value
    }

    /// Sets `key`; with `ttl` (s, rounded to ms), it expires that long after.
    public func set(_ key: String, _ value: String, ttl: Double? = nil) async throws {
        var args = ["SET", key, value]
        if let ttl { args += ["PX", String(max(1, Int((ttl * 1000).rounded())))] }
        _ = try await command(args)
    }

    /// Deletes keys; how many existed.
    @discardableResult
    public func del(_ keys: String...) async throws -> Int { try await del(keys) }

    /// Deletes keys; how many existed.
    @discardableResult
    public func del(_ keys: [String]) async throws -> Int {
        guard case .integer(let n) = try await command(["DEL"] + keys) else { throw RESPError("DEL: not an integer") }
        return Int(n)
    }

    /// INFO `section` as name → value (lines `name:value`; comments and blank lines skipped).
    public func info(_ section: String = "all") async throws -> [String: String] {
        guard let text = try await command(["INFO", section]).text else { throw RESPError("INFO: not a string") }
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        return fields
    }
}

/// Pairs answers with commands: each command written queues its promise; each value decoded
/// answers the oldest. When the connection fails or closes, every command waiting fails.
final class RESPPipeline: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = Command
    typealias OutboundOut = ByteBuffer

    struct Command: Sendable {
        var bytes: ByteBuffer
        var answer: EventLoopPromise<RESPValue>
    }

    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let command = unwrapOutboundIn(data)
        guard context.channel.isActive else {
            command.answer.fail(RESPError("the connection to the Redis server is closed"))
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        waiting.append(command.answer)
        // A failed write breaks the pairing of answers with commands: close, failing them all.
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { [channel = context.channel] _ in channel.close(promise: nil) }
        written.futureResult.cascade(to: promise)
        context.write(wrapOutboundOut(command.bytes), promise: written)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = unwrapInboundIn(data)
        guard let answer = waiting.popFirst() else {
            failAll(RESPError("the Redis server sent an answer no command was waiting for"))
            context.close(promise: nil)
            return
        }
        answer.succeed(value)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RESPError("the Redis server closed the connection"))
        context.fireChannelInactive()
    }

    private func failAll(_ error: any Error) {
        while let answer = waiting.popFirst() { answer.fail(error) }
    }
}
