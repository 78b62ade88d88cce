// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import ArchSimKernel
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// What one load run measured, per request type (same order as the workload's requests).
public struct LoadRun: Sendable {
    public struct PerType: Sendable {
        public var name: String
        /// Response times (ns) of requests whose intended start fell in the measured window,
        /// from the intended start (not the send): no coordinated omission.
        public var latencies: [Int64] = []
        /// Client time minus the server's own time (ns): the HTTP hop, both ways, with the
        /// client's and server's HTTP work and the wait for a connection.
        public var hops: [Int64] = []
        public var errors = 0
        public var sent = 0
        /// Errors by HTTP status (0: no answer — connection failure or timeout).
        public var errorStatuses: [Int: Int] = [:]
        /// Answers with a 4xx status (served, but refused: a sold-out product's 409), by status.
        public var refused: [Int: Int] = [:]
    }
    public var types: [PerType]
    /// Requests per second asked for (open loop), or nil (closed loop).
    public var offeredRate: Double?
    /// Seconds measured (after the warm-up).
    public var duration: Double
    /// Responses that arrived within the measured window, per second.
    public var throughput: Double
    /// Requests still unanswered when the run gave up on them (counted as errors).
    public var abandoned: Int
    /// CPU of the generator, the backend and the rest of the machine during the measured window.
    public var resources: RunResources?

    public var allLatencies: [Int64] { types.flatMap(\.latencies) }
    public var sent: Int { types.reduce(0) { $0 + $1.sent } }
    public var errors: Int { types.reduce(0) { $0 + $1.errors } }
    public var errorRate: Double { sent == 0 ? 0 : Double(errors) / Double(sent) }
}

/// Drives the backend over HTTP, open loop (requests scheduled by their intended start time,
/// Poisson, whatever the backend does — as wrk2) or closed loop (a fixed number of clients, to
/// find capacity). Request contents come from the workload: Zipf-popular products, uniform
/// users, payments of orders placed earlier in the run.
public enum LoadGenerator {
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        public var seed: UInt64
        public var warmup: Double
        public var duration: Double
        public var maxConnections: Int
        /// A request unanswered this long after its intended start is an error (s).
        public var timeout: Double
        /// Where the generator and the backend run (nil: wherever the scheduler puts them).
        public var isolation: Isolation?
        /// The backend's HTTP event-loop threads, whose CPU is reported apart.
        public var httpLoopThreads: [Int32] = []
        public init(host: String, port: Int, seed: UInt64 = 1, warmup: Double = 1, duration: Double = 10,
                    maxConnections: Int = 256, timeout: Double = 10) {
            self.host = host; self.port = port; self.seed = seed; self.warmup = warmup; self.duration = duration
            self.maxConnections = maxConnections; self.timeout = timeout
        }
    }

    /// The generator's own event loop: one thread, never one of the backend's HTTP loops (they
    /// use NIO's singleton group), so the generator's sends, receives and timers are not a queue
    /// on the backend's request path.
    public static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// Open loop at `rate` requests per second (Poisson arrivals).
    public static func open(_ workload: ShopWorkload, rate: Double, options: Options) async throws -> LoadRun {
        try await Driver(workload: workload, options: options, mode: .open(rate)).run()
    }

    /// Closed loop: `clients` clients, each sends its next request when the last one is answered.
    public static func closed(_ workload: ShopWorkload, clients: Int, options: Options) async throws -> LoadRun {
        try await Driver(workload: workload, options: options, mode: .closed(clients)).run()
    }
}

/// One run's state, confined to one event loop.
private final class Driver: @unchecked Sendable {
    enum Mode { case open(Double), closed(Int) }
    let workload: ShopWorkload
    let options: LoadGenerator.Options
    let mode: Mode
    let loop: any EventLoop
    let client: HTTPLoadClient
    let streams: RandomStreams
    let mixStream, keyStream, userStream, gapStream: RandomStream
    let mix: WeightedChoice
    let zipf: ZipfSampler
    var types: [LoadRun.PerType]
    var start: Int64 = 0
    var windowStart: Int64 = 0
    var windowEnd: Int64 = 0
    var nextIntended: Int64 = 0
    var inFlight = 0
    var completedInWindow = 0
    var placedOrders: [Int64] = []
    var ticker: RepeatedTask?
    var finished: EventLoopPromise<Void>
    var issuing = true
    var meter: ResourceMeter?
    var windowReading: ResourceMeter.Reading?
    var resources: RunResources?

    init(workload: ShopWorkload, options: LoadGenerator.Options, mode: Mode) {
        self.workload = workload; self.options = options; self.mode = mode
        loop = LoadGenerator.group.next()
        client = HTTPLoadClient(loop: loop, host: options.host, port: options.port, maxConnections: options.maxConnections)
        streams = RandomStreams(seed: options.seed)
        mixStream = streams.stream("load.mix"); keyStream = streams.stream("load.keys")
        userStream = streams.stream("load.users"); gapStream = streams.stream("load.gaps")
        mix = WeightedChoice(weights: workload.requests.map(\.weight))
        zipf = ZipfSampler(count: workload.catalogue.products, s: workload.productZipf)
        types = workload.requests.map { LoadRun.PerType(name: $0.name) }
        finished = loop.makePromise()
    }

    func run() async throws -> LoadRun {
        try await loop.submit { self.begin() }.get()
        try await finished.futureResult.get()
        try await loop.submit { self.closeWindow() }.get()
        try? await client.shutdown().get()
        let seconds = options.duration
        let offered: Double? = if case .open(let r) = mode { r } else { nil }
        let abandoned = inFlight
        return LoadRun(types: types, offeredRate: offered, duration: seconds,
                       throughput: Double(completedInWindow) / seconds, abandoned: abandoned, resources: resources)
    }

    private func begin() {
        start = monotonicNanoseconds()
        windowStart = start + Int64(options.warmup * 1e9)
        windowEnd = windowStart + Int64(options.duration * 1e9)
        nextIntended = start
        let generator = Threads.current()
        options.isolation?.pin(generator: generator)
        meter = ResourceMeter(generator: generator, httpLoops: options.httpLoopThreads)
        loop.scheduleTask(in: .nanoseconds(windowStart - monotonicNanoseconds())) { [self] in
            // Threads the backend started during the warm-up join its cores, then the window opens.
            options.isolation?.pin(generator: generator)
            windowReading = meter?.read()
        }
        loop.scheduleTask(in: .nanoseconds(windowEnd - monotonicNanoseconds())) { [self] in closeWindow() }
        switch mode {
        case .open:
            arrive()
        case .closed(let n):
            for _ in 0..<n { issue(intended: monotonicNanoseconds()) }
            ticker = loop.scheduleRepeatedTask(initialDelay: .milliseconds(10), delay: .milliseconds(10)) { [self] _ in checkEnd() }
        }
    }

    /// Issues every request whose intended start has come, then sleeps until the next one: each
    /// request is timed from its intended start, so a late send counts against the backend
    /// (no coordinated omission).
    private func arrive() {
        guard case .open(let rate) = mode else { return }
        let now = monotonicNanoseconds()
        while issuing, nextIntended <= now {
            if nextIntended >= windowEnd { issuing = false; break }
            issue(intended: nextIntended)
            // Exponential gaps: Poisson arrivals at `rate`.
            nextIntended += Int64(-log(gapStream.uniformPositive()) / rate * 1e9)
        }
        if issuing {
            loop.scheduleTask(in: .nanoseconds(max(0, nextIntended - monotonicNanoseconds()))) { [self] in arrive() }
        } else {
            ticker = loop.scheduleRepeatedTask(initialDelay: .milliseconds(1), delay: .milliseconds(5)) { [self] _ in checkEnd() }
        }
    }

    /// The window's CPU readings (once, at its end, or when the run ends first).
    private func closeWindow() {
        guard resources == nil, let meter, let a = windowReading else { return }
        let cores = options.isolation?.backendCores.count ?? Threads.allowedCores().count
        resources = ResourceMeter.resources(from: a, to: meter.read(), pinned: options.isolation != nil, backendCoreCount: cores)
    }

    private func checkEnd() {
        let now = monotonicNanoseconds()
        if now >= windowEnd { issuing = false }
        if !issuing, inFlight == 0 || now >= windowEnd + Int64(options.timeout * 1e9) {
            ticker?.cancel(); ticker = nil
            finished.succeed(())
        }
    }

    private func issue(intended: Int64) {
        var kind = mix.sample(mixStream)
        var request = makeRequest(kind)
        if request == nil, let fallback = workload.requests.firstIndex(where: { $0.request == .placeOrder }) {
            kind = fallback; request = makeRequest(kind)
        }
        guard let request else { return }
        let counted = intended >= windowStart && intended < windowEnd
        if counted { types[kind].sent += 1 }
        inFlight += 1
        let timeoutNs = Int64(options.timeout * 1e9)
        client.send(request) { [self] result in
            inFlight -= 1
            let now = monotonicNanoseconds()
            if now >= windowStart && now < windowEnd { completedInWindow += 1 }
            switch result {
            case .success(let reply):
                let latency = now - intended
                if counted {
                    // Answered in time and not a server failure: served. A 4xx is the shop's answer
                    // (an order for a sold-out product gets 409), counted apart as refused.
                    if reply.status < 500 && latency <= timeoutNs {
                        types[kind].latencies.append(latency)
                        if let server = reply.serverNs { types[kind].hops.append(max(0, latency - server)) }
                        if reply.status >= 400 { types[kind].refused[reply.status, default: 0] += 1 }
                    } else {
                        types[kind].errors += 1
                        types[kind].errorStatuses[latency > timeoutNs ? 0 : reply.status, default: 0] += 1
                    }
                }
                if workload.requests[kind].request == .placeOrder, reply.status == 201, let body = reply.body, let id = Self.firstID(body) {
                    if placedOrders.count < 100_000 { placedOrders.append(id) }
                }
            case .failure:
                if counted { types[kind].errors += 1; types[kind].errorStatuses[0, default: 0] += 1 }
            }
            if case .closed = mode, issuing, now < windowEnd { issue(intended: now) }
            if !issuing { checkEnd() }
        }
    }

    /// The request of type `kind`; nil when it cannot be made now (a payment, or an order's view, before any order).
    private func makeRequest(_ kind: Int) -> HTTPLoadClient.Request? {
        let products = workload.catalogue.products, users = workload.catalogue.users
        let user = userStream.index(below: users) + 1
        switch workload.requests[kind].request {
        case .viewProduct:
            return .init(method: .GET, path: "/products/\(zipf.sample(keyStream) + 1)")
        case .search:
            let adjective = Catalogue.adjectives[keyStream.index(below: Catalogue.adjectives.count)]
            let noun = Catalogue.nouns[keyStream.index(below: Catalogue.nouns.count)]
            return .init(method: .GET, path: "/products?q=\(adjective)%20\(noun)&limit=20")
        case .addToCart:
            return .init(method: .POST, path: "/cart/items",
                         body: Array(#"{"user_id":\#(user),"product_id":\#(zipf.sample(keyStream) + 1),"quantity":1}"#.utf8))
        case .login:
            return .init(method: .POST, path: "/login",
                         body: Array(#"{"email":"\#(Catalogue.email(ofUser: user))","password":"\#(Catalogue.password(ofUser: user))"}"#.utf8))
        case .placeOrder:
            return .init(method: .POST, path: "/orders",
                         body: Array(#"{"user_id":\#(user),"items":[{"product_id":\#(keyStream.index(below: products) + 1),"quantity":1}]}"#.utf8))
        case .pay:
            guard let order = placedOrders.popLast() else { return nil }
            return .init(method: .POST, path: "/payments", body: Array(#"{"order_id":\#(order)}"#.utf8))
        case .viewCart:
            return .init(method: .GET, path: "/cart?user_id=\(user)")
        case .viewOrder:
            guard let order = placedOrders.last else { return nil }
            return .init(method: .GET, path: "/orders/\(order)")
        }
    }

    /// The first `"id":<digits>` of a JSON body: the order's id in a place-order reply (keys are sorted).
    static func firstID(_ buffer: ByteBuffer) -> Int64? {
        let bytes = Array(buffer.readableBytesView)
        let needle = Array(#""id":"#.utf8)
        guard bytes.count > needle.count else { return nil }
        for i in 0...(bytes.count - needle.count) where bytes[i] == needle[0] && Array(bytes[i..<i + needle.count]) == needle {
            var j = i + needle.count, value: Int64 = 0, digits = 0
            while j < bytes.count, bytes[j] >= 48, bytes[j] <= 57 { value = value * 10 + Int64(bytes[j] - 48); j += 1; digits += 1 }
            return digits > 0 ? value : nil
        }
        return nil
    }
}
