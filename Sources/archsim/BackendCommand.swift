// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import ArchSimModel
import ArgumentParser
import Dispatch
import Foundation

/// `archsim backend …`: the real in-process e-commerce backend the simulator is calibrated against.
struct BackendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backend",
        abstract: "Run the real e-commerce backend (HTTP + SQLite primary/replicas + cache) that calibration measures.",
        subcommands: [BackendServe.self])
}

/// Options that set up the backend; shared by `backend serve`, `calibrate` and `validate`.
struct BackendOptions: ParsableArguments {
    @Option(help: "Address to bind. Loopback by default; another address only when given here.")
    var host: String = "127.0.0.1"
    @Option(help: "Read replicas of the database, fed by the primary's change log.")
    var replicas: Int = 2
    @Option(name: .customLong("dir"), help: ArgumentHelp("Directory of the database files (created if missing).", valueName: "dir"))
    var directory: String = ".archsim-backend"
    @Option(help: "Products in the seeded catalogue (created on first start).")
    var products: Int = 100_000
    @Option(help: "Users in the seeded catalogue.")
    var users: Int = 1_000_000
    @Option(name: .customLong("catalogue-seed"), help: "Seed of the catalogue.")
    var catalogueSeed: UInt64 = 42
    @Option(help: "Product entries the cache holds.")
    var cacheCapacity: Int = 10_000
    @Option(help: "Cache eviction: lru, lfu, fifo or random.")
    var eviction: String = "lru"
    @Option(help: "SQLite synchronous mode of the primary: full (durable on power loss), normal, off.")
    var synchronous: String = "full"
    @Option(help: "Reader connections per database.")
    var readers: Int = 4

    func validate() throws {
        if replicas < 0 || replicas > 16 { throw ValidationError("--replicas must be in 0...16, got \(replicas)") }
        if products < 1 { throw ValidationError("--products must be at least 1") }
        if users < 1 { throw ValidationError("--users must be at least 1") }
        if cacheCapacity < 0 { throw ValidationError("--cache-capacity must not be negative") }
        if EvictionPolicy(rawValue: eviction) == nil { throw ValidationError("--eviction: expected lru, lfu, fifo or random, got \(eviction)") }
        if BackendConfiguration.Synchronous(rawValue: synchronous) == nil {
            throw ValidationError("--synchronous: expected full, normal or off, got \(synchronous)")
        }
        if readers < 1 || readers > 64 { throw ValidationError("--readers must be in 1...64") }
        if host.isEmpty { throw ValidationError("--host must not be empty") }
    }

    /// What can be checked before the catalogue is built (which takes a while): the address
    /// can be listened on, and the data directory can be written.
    func preflight() throws {
        try checkListenAddress(host, option: "--host")
        try OutputPath.directory(directory, option: "--dir")
    }

    func configuration(port: Int) -> BackendConfiguration {
        BackendConfiguration(host: host, port: port, directory: directory, replicas: replicas,
                             catalogue: CatalogueSpec(products: products, users: users, seed: catalogueSeed),
                             cacheCapacity: cacheCapacity, cacheEviction: EvictionPolicy(rawValue: eviction)!,
                             synchronous: .init(rawValue: synchronous)!, readerConnections: readers)
    }
}

struct BackendServe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the backend over HTTP until interrupted (Ctrl-C).",
        discussion: """
        Endpoints (JSON): GET /health, POST /login, GET /products?q=, GET /products/{id}, POST /cart/items, \
        GET /cart?user_id=, POST /orders, GET /orders/{id}, POST /payments, GET /replication (log positions and \
        measured lag), GET /cache (hit ratio). Add ?consistency=strong to a GET to read the primary. The \
        catalogue is created in --dir on first start.

        With --storage postgres://USER@HOST:PORT/DB the data lives in that PostgreSQL server instead \
        (the catalogue is created there on first start; --dir, --replicas, --synchronous and --readers \
        are SQLite's and ignored), reads go round robin to the --replica servers (streaming replicas \
        of it), and --cache chooses the product cache: in-process (default), none, or redis://HOST:PORT. \
        `archsim lab up --step N` starts such backends behind nginx.
        """)

    @Option(help: "TCP port (0: any free port).")
    var port: Int = 8080
    @OptionGroup var backend: BackendOptions
    @Option(help: ArgumentHelp("Where the data lives: sqlite (embedded, in --dir) or a PostgreSQL server's postgres:// URL.", valueName: "sqlite|url"))
    var storage: String = "sqlite"
    @Option(name: .customLong("replica"), help: ArgumentHelp("A streaming replica of the PostgreSQL primary that serves reads (repeatable).", valueName: "url"))
    var replicaURLs: [String] = []
    @Option(help: ArgumentHelp("Product cache with PostgreSQL storage: in-process, none, or redis://HOST:PORT.", valueName: "kind"))
    var cache: String = "in-process"
    @Option(help: ArgumentHelp("Seconds a cached product lives (PostgreSQL storage); none: until evicted or invalidated.", valueName: "s"))
    var cacheTTL: String = "none"
    @Option(help: "Connections to each PostgreSQL server (the pool's size).")
    var connections: Int = 10

    func validate() throws {
        if port < 0 || port > 65535 { throw ValidationError("--port must be in 0...65535, got \(port)") }
        if storage == "sqlite" {
            if !replicaURLs.isEmpty { throw ValidationError("--replica needs --storage postgres://…; SQLite's replicas are --replicas N") }
            if cache != "in-process" { throw ValidationError("--cache \(cache) needs --storage postgres://…; the SQLite backend's cache is in-process") }
            if cacheTTL != "none" { throw ValidationError("--cache-ttl needs --storage postgres://…") }
        } else {
            do { _ = try postgresConfiguration() } catch let e as BackendSetupError { throw ValidationError(e.message) }
        }
        if !(1...1000).contains(connections) { throw ValidationError("--connections must be in 1...1000, got \(connections)") }
    }

    /// The PostgreSQL shop's settings from the options (a sentence when one is malformed).
    func postgresConfiguration() throws -> PostgreSQLShop.Configuration {
        let primary = try PostgreSQLAddress(parsing: storage)
        let replicas = try replicaURLs.map(PostgreSQLAddress.init(parsing:))
        let choice: PostgreSQLShop.Configuration.Cache
        switch cache {
        case "in-process": choice = .inProcess(capacity: backend.cacheCapacity, eviction: EvictionPolicy(rawValue: backend.eviction) ?? .lru)
        case "none": choice = .none
        default:
            guard cache.hasPrefix("redis://") else { throw BackendSetupError(message: "--cache: expected in-process, none or redis://HOST:PORT, got \(cache)") }
            choice = .redis(try RedisAddress(parsing: cache))
        }
        var ttl: Double?
        if cacheTTL != "none" {
            guard let t = Double(cacheTTL), t > 0, t.isFinite else { throw BackendSetupError(message: "--cache-ttl: expected seconds > 0 or none, got \(cacheTTL)") }
            ttl = t
        }
        return PostgreSQLShop.Configuration(primary: primary, replicas: replicas, connections: connections,
                                            catalogue: CatalogueSpec(products: backend.products, users: backend.users, seed: backend.catalogueSeed),
                                            cache: choice, cacheTTL: ttl)
    }

    func run() throws {
        let config = backend.configuration(port: port)
        let hostText = config.host.contains(":") ? "[\(config.host)]" : config.host
        if storage != "sqlite" {
            try checkListenAddress(backend.host, option: "--host")
            let pg = try postgresConfiguration()
            try runBlocking {
                let shop = try await PostgreSQLShop.open(pg)
                if let s = shop.catalogueCreationSeconds {
                    say(String(format: "created the catalogue (%d products, %d users) in PostgreSQL in %.2f s", pg.catalogue.products, pg.catalogue.users, s))
                }
                try await Backend.serve(shop, config, onRunning: { port in
                    say("archsim backend listening on http://\(hostText):\(port) (PostgreSQL \(pg.primary), \(pg.replicas.count) replicas, cache \(shop.cacheKind)); Ctrl-C stops it")
                })
            }
            return
        }
        try backend.preflight()
        try runBlocking {
            try await Backend.serve(config, onOpened: { shop in
                if let s = shop.catalogueCreationSeconds {
                    say(String(format: "created the catalogue (%d products, %d users) in %.2f s", config.catalogue.products, config.catalogue.users, s))
                }
            }, onRunning: { port in
                say("archsim backend listening on http://\(hostText):\(port) (\(config.replicas) replicas, data in \(config.directory)); Ctrl-C stops it")
            })
        }
    }
}

/// Runs async work from a synchronous command (the main thread is not a concurrency thread,
/// so blocking it does not starve the tasks). Setup problems become ``InputError`` (exit 2).
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    switch box.result! {
    case .success(let v): return v
    case .failure(let e as BackendSetupError): throw InputError(description: e.message)
    case .failure(let e): throw e
    }
}

final class ResultBox<T>: @unchecked Sendable { var result: Result<T, any Error>? }

/// Prints a line to standard output at once (unbuffered: a supervising process sees it).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Refuses `host` (exit status 2, a sentence) unless it resolves and this machine can listen
/// on it: resolved with getaddrinfo, then a socket is bound to it on an ephemeral port and
/// closed again.
func checkListenAddress(_ host: String, option: String) throws {
    var hints = addrinfo()
    hints.ai_flags = AI_PASSIVE
    #if canImport(Glibc)
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    #else
    hints.ai_socktype = SOCK_STREAM
    #endif
    var found: UnsafeMutablePointer<addrinfo>?
    let status = getaddrinfo(host, "0", &hints, &found)
    guard status == 0, let first = found else {
        throw InputError(description: "\(option) \(host): not an address of this machine (\(String(cString: gai_strerror(status))))")
    }
    defer { freeaddrinfo(found) }
    let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
    guard fd >= 0 else {
        throw InputError(description: "\(option) \(host): cannot open a socket for it (\(String(cString: strerror(errno))))")
    }
    defer { close(fd) }
    guard bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
        throw InputError(description: "\(option) \(host): this machine cannot listen on it (\(String(cString: strerror(errno)).lowercased()))")
    }
}
