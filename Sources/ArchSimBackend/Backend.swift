// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// A running backend: the shop, its HTTP listener and the stage recorder. Start it in-process
/// with ``start(_:)`` (tests, calibration) and ``stop()`` it, or ``serve(_:onRunning:)`` it until
/// SIGINT/SIGTERM (the `archsim backend serve` command).
public final class Backend: @unchecked Sendable {
    public let shop: Shop
    public let stages: StageRecorder
    /// The bound port (the system's choice when the configuration asked for 0).
    public let port: Int
    public let host: String
    private let task: Task<Void, any Error>
    private let group: ServiceGroup

    private init(shop: Shop, stages: StageRecorder, host: String, port: Int, task: Task<Void, any Error>, group: ServiceGroup) {
        self.shop = shop; self.stages = stages; self.host = host; self.port = port; self.task = task; self.group = group
    }

    public var baseURL: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    static func application(_ c: BackendConfiguration, shop: any ShopOperations, stages: StageRecorder, logger: Logger,
                            onRunning: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        let router = BackendApp.router(shop: shop, recorder: stages, maxBodyBytes: c.maxBodyBytes)
        return Application(router: router,
                           configuration: .init(address: .hostname(c.host, port: c.port), serverName: "archsim-backend"),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? c.port) },
                           logger: logger)
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "archsim.backend")
        logger.logLevel = .warning
        return logger
    }

    /// Opens (or creates) the shop and starts listening; returns once the port is bound.
    public static func start(_ configuration: BackendConfiguration) async throws -> Backend {
        let shop = try Shop(configuration: configuration)
        let stages = StageRecorder()
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = application(configuration, shop: shop, stages: stages, logger: quietLogger) { port in
            continuation.yield(port); continuation.finish()
        }
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: quietLogger))
        let task = Task {
            // If binding fails, run() throws: end the stream so start() does not wait forever.
            defer { continuation.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            task.cancel()
            let result = await task.result
            try? await shop.close()
            if case .failure(let error) = result { throw error }
            throw ShopError(500, "start_failed", "the HTTP server stopped before it was listening")
        }
        return Backend(shop: shop, stages: stages, host: configuration.host, port: port, task: task, group: group)
    }

    /// Stops listening (in-flight requests finish), stops replication, closes the databases.
    public func stop() async throws {
        await group.triggerGracefulShutdown()
        _ = await task.result
        try await shop.close()
    }

    /// Runs until SIGINT or SIGTERM, then shuts down gracefully.
    public static func serve(_ configuration: BackendConfiguration,
                             onOpened: @escaping @Sendable (Shop) -> Void = { _ in },
                             onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let shop = try Shop(configuration: configuration)
        onOpened(shop)
        try await serve(shop, configuration, onRunning: onRunning)
    }

    /// Serves `shop` (already open) until SIGINT or SIGTERM, then shuts down gracefully and
    /// closes it. `configuration` gives the address and the body limit.
    public static func serve(_ shop: any ShopOperations, _ configuration: BackendConfiguration,
                             onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        var logger = Logger(label: "archsim.backend")
        logger.logLevel = .notice
        let app = application(configuration, shop: shop, stages: StageRecorder(), logger: logger, onRunning: onRunning)
        do { try await app.runService() } catch { try? await shop.close(); throw error }
        try await shop.close()
    }
}
