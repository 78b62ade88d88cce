// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import ArchSimKernel
import ArchSimModel
import ArchSimReport
import ArchSimScenario
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the simulator: events per second and peak memory as the model grows.",
        discussion: """
        Runs built-in models in this process (release build recommended), one replication each, at each \
        size: `chain` (a tier of services called in a chain), `storage` (its last tier reads through a \
        3-node cache into a primary with three replicas) and `realism` (the storage model with every \
        format 1.1 mechanism on: shards, max_connections, buffer pools and disks, group commit, row \
        locks, client pools, one-worker cache nodes). `--long` adds growing simulated durations to show \
        memory stays flat. Prints wall time, events per second and the process's peak resident memory \
        (VmHWM) after each run. `--scale` instead grows one model towards Taobao's size: 8 → 4,000 \
        instances, 3 → 1,000 cache nodes and 3 → 512 read replicas at 1,000 requests/s per instance, \
        each size for 2 M requests. `--write-scenarios DIR` writes the models it would run as scenario \
        files instead of running them, so that one size can be run or profiled alone with `archsim run`.
        """)

    @Option(help: "Offered load of the models, requests per second.")
    var rate: Double = 8000
    @Option(help: "Simulated seconds of each growth step.")
    var seconds: Int = 60
    @Option(help: ArgumentHelp("Model sizes to run, SERVICESxINSTANCES, comma-separated.", valueName: "sizes"))
    var sizes: String = "1x1,2x4,4x16,8x64"
    @Flag(help: "Also run 10 and 60 simulated minutes of the 4x16 model (memory flatness).")
    var long = false
    @Flag(help: "Instead grow one model: 8 to 4,000 instances, 3 to 1,000 cache nodes, 3 to 512 replicas, 1,000 req/s per instance.")
    var scale = false
    @Option(help: ArgumentHelp("Write the models as scenario files into this directory (bench-scale-<instances>.yaml, bench-<model>-<size>-<seconds>s.yaml) instead of running them.",
                               valueName: "dir"))
    var writeScenarios: String?

    func validate() throws {
        if parsedSizes == nil { throw ValidationError("--sizes: expected e.g. 1x1,4x16, got \(sizes)") }
        if seconds < 1 { throw ValidationError("--seconds must be at least 1") }
        if !(rate > 0) { throw ValidationError("--rate must be positive") }
    }

    var parsedSizes: [(Int, Int)]? {
        var out: [(Int, Int)] = []
        for part in sizes.split(separator: ",") {
            let xy = part.split(separator: "x").compactMap { Int($0) }
            guard xy.count == 2, xy[0] > 0, xy[1] > 0 else { return nil }
            out.append((xy[0], xy[1]))
        }
        return out.isEmpty ? nil : out
    }

    /// `--scale`'s sizes: (instances, cache nodes, replicas).
    static let scaleSizes = [(8, 3, 3), (64, 16, 16), (512, 128, 64), (4000, 1000, 512)]

    func run() throws {
        if let dir = writeScenarios { return try write(to: dir) }
        if scale { return try runScale() }
        var table = TerminalTable(header: ["model", "services", "instances", "sim s", "requests", "events", "wall s", "events/s", "peak MB"])
        for m in growthModels() {
            let start = Date()
            let result = try Runner.run(m.scenario, jobs: 1)
            let wall = Date().timeIntervalSince(start)
            let rep = result.replications[0]
            table.append([m.name, String(m.services), String(m.instances), String(m.seconds), String(rep.all.offered),
                          String(rep.events), String(format: "%.3f", wall), String(format: "%.0f", Double(rep.events) / wall),
                          String(format: "%.1f", ProcessMemory.peakResidentMB())])
        }
        print(table.text)
    }

    /// The growth steps without `--scale`: each size's chain, storage and realism models, then
    /// with `--long` the 4x16 models over 10 and 60 simulated minutes.
    func growthModels() -> [(name: String, services: Int, instances: Int, seconds: Int, scenario: Scenario)] {
        var steps = (parsedSizes ?? []).flatMap {
            [("chain", $0.0, $0.1, seconds), ("storage", $0.0, $0.1, seconds), ("realism", $0.0, $0.1, seconds)]
        }
        if long { steps += [("chain", 4, 16, 600), ("chain", 4, 16, 3600), ("storage", 4, 16, 600), ("storage", 4, 16, 3600)] }
        return steps.map { name, services, instances, secs in
            let scenario = switch name {
            case "chain": Self.chain(services: services, instances: instances, rate: rate, seconds: secs)
            case "storage": Self.storage(services: services, instances: instances, rate: rate, seconds: secs)
            default: Self.realism(services: services, instances: instances, rate: rate, seconds: secs)
            }
            return (name, services, instances, secs, scenario)
        }
    }

    func runScale() throws {
        var table = TerminalTable(header: ["instances", "cache nodes", "replicas", "req/s", "sim s", "requests", "events", "wall s",
                                           "events/s", "peak MB"])
        for (instances, nodes, replicas, scenario) in Self.scaleModels() {
            let start = Date()
            let result = try Runner.run(scenario, jobs: 1)
            let wall = Date().timeIntervalSince(start)
            let rep = result.replications[0]
            table.append([String(instances), String(nodes), String(replicas), String(format: "%.0f", 1000.0 * Double(instances)),
                          String(format: "%.3f", Double(scenario.duration) / 1e9), String(rep.all.offered), String(rep.events),
                          String(format: "%.3f", wall), String(format: "%.0f", Double(rep.events) / wall),
                          String(format: "%.1f", ProcessMemory.peakResidentMB())])
        }
        print(table.text)
    }

    /// Writes the models this command would run as scenario files: `bench-scale-<instances>.yaml`,
    /// or `bench-<model>-<services>x<instances>-<seconds>s.yaml`.
    func write(to dir: String) throws {
        let models: [(file: String, scenario: Scenario)] = if scale {
            Self.scaleModels().map { ("bench-scale-\($0.instances).yaml", $0.scenario) }
        } else {
            growthModels().map {
                ("bench-\($0.name)-\($0.services)x\($0.instances)-\($0.seconds)s.yaml", $0.scenario)
            }
        }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (file, scenario) in models {
            try AtomicFile.write(try ScenarioWriter(directory: dir).scenario(scenario), to: dir + "/" + file)
            print("wrote \(dir)/\(file)")
        }
    }

    /// `--scale`'s models, size by size.
    static func scaleModels() -> [(instances: Int, nodes: Int, replicas: Int, scenario: Scenario)] {
        scaleSizes.map { ($0.0, $0.1, $0.2, scaled(instances: $0.0, cacheNodes: $0.1, replicas: $0.2)) }
    }

    /// The storage model's read path at scale: one tier of `instances` (1,000 req/s each, power
    /// of two choices), cache-aside through `cacheNodes` nodes (100,000 entries in all) into a
    /// primary with `replicas` replicas; 2 M requests, reads only.
    static func scaled(instances: Int, cacheNodes: Int, replicas: Int) -> Scenario {
        let rate = 1000.0 * Double(instances)
        var s = storage(services: 1, instances: instances, rate: rate, seconds: 1)
        s.name = "bench-scale"
        s.duration = Int64((2_000_000 / rate * 1e9).rounded())
        s.architecture.balancer = .powerOfTwo
        s.architecture.routes = [OperationRef(service: 0, operation: 0), OperationRef(service: 0, operation: 0)]
        s.architecture.caches[0].nodes = cacheNodes
        s.architecture.databases[0].replicaCount = replicas
        return s
    }

    /// `services` tiers, each with `instances` instances of 8 workers; tier k calls tier k+1;
    /// each tier computes exponential 0.5 ms. Instances are sized for ~50% utilisation.
    static func chain(services: Int, instances: Int, rate: Double, seconds: Int) -> Scenario {
        let ms = 1_000_000.0
        var tiers: [Service] = []
        for k in 0..<services {
            let steps: [Step] = k + 1 < services ? [.call(OperationRef(service: k + 1, operation: 0))] : []
            // Blocking workers are held through downstream calls: give upstream tiers more.
            let workers = max(2, Int((rate * 0.5e-3 * Double(services - k) / Double(instances) * 2).rounded(.up)))
            tiers.append(Service(name: "tier\(k)", instances: instances, workers: workers, io: .blocking,
                                 operations: [Operation(name: "op", cpu: .exponential(mean: 0.5 * ms), steps: steps)]))
        }
        return Scenario(name: "bench-chain", seed: 1, duration: Int64(seconds) * 1_000_000_000, warmup: 0, replications: 1,
                        workload: Workload(arrivals: .open(process: .poisson, rate: .constant(rate)),
                                           requestTypes: [RequestType(name: "req", weight: 1)]),
                        architecture: Architecture(balancer: .leastConnections, routes: [OperationRef(service: 0, operation: 0)],
                                                   services: tiers))
    }

    /// The chain, whose last tier also reads through a 3-node LRU cache (cache-aside over Zipf
    /// keys from 1,000,000 products, 100,000 cached) into a database with a primary and three
    /// replicas. With one tier, one request in ten writes (primary, replicated, cache
    /// invalidated); with more, all go through the chain and read.
    static func storage(services: Int, instances: Int, rate: Double, seconds: Int) -> Scenario {
        var s = chain(services: services, instances: instances, rate: rate, seconds: seconds)
        s.name = "bench-storage"
        s.workload.keySpaces = [KeySpace(name: "products", count: 1_000_000, popularity: .zipf(s: 0.99))]
        s.workload.requestTypes = [RequestType(name: "read", weight: 9, keySpace: 0), RequestType(name: "write", weight: 1, keySpace: 0)]
        let last = services - 1
        let ms = 1_000_000.0
        // Blocking workers are held through cache and database waits too (≈ 2 ms more per request).
        for k in 0..<services {
            s.architecture.services[k].workers += Int((rate * 2.5e-3 / Double(instances) * 2).rounded(.up))
        }
        s.architecture.services[last].operations = [
            Operation(name: "op", cpu: .exponential(mean: 0.5 * ms), steps: [
                .cacheGet(cache: 0, onMiss: [.dbRead(database: 0, strong: false), .cacheSet(cache: 0)])]),
            Operation(name: "write", cpu: .exponential(mean: 0.5 * ms), steps: [.dbWrite(database: 0), .cacheDelete(cache: 0)]),
        ]
        if services == 1 {
            s.architecture.routes = [OperationRef(service: 0, operation: 0), OperationRef(service: 0, operation: 1)]
        } else {
            s.architecture.routes = [OperationRef(service: 0, operation: 0), OperationRef(service: 0, operation: 0)]
        }
        s.architecture.caches = [Cache(name: "cache", nodes: 3, capacity: 100_000, eviction: .lru, latency: .exponential(mean: 0.2 * ms))]
        let server = DatabaseServer(connections: 64, read: .exponential(mean: 1 * ms), write: .exponential(mean: 3 * ms))
        s.architecture.databases = [Database(name: "db", primary: server, replicaCount: 3, replica: server,
                                             replicationLag: .exponential(mean: 10 * ms))]
        return s
    }

    /// The storage model with every format 1.1 mechanism on: 4 shards, each server with
    /// `max_connections`, a buffer pool over the products (a miss reads one of 8 disks) and
    /// group commit; writes lock their product's row and update the user's row (`key: users`);
    /// instances reach each shard through a client pool; cache nodes serve one operation at a
    /// time (10 µs each).
    static func realism(services: Int, instances: Int, rate: Double, seconds: Int) -> Scenario {
        var s = storage(services: services, instances: instances, rate: rate, seconds: seconds)
        s.name = "bench-realism"
        let ms = 1_000_000.0
        s.workload.keySpaces.append(KeySpace(name: "users", count: 10_000_000, popularity: .uniform))
        let last = services - 1
        s.architecture.services[last].operations[1].steps = [
            .dbWrite(database: 0, row: RowAccess(lock: RowLock(timeout: 50_000_000_000))),
            .dbWrite(database: 0, row: RowAccess(key: .space(1))),
            .cacheDelete(cache: 0),
        ]
        s.architecture.services[last].pools = [ConnectionPool(database: 0, size: 32, wait: 1_000_000_000)]
        s.architecture.caches[0].workers = 1
        s.architecture.caches[0].service = .constant(0.01 * ms)
        var server = s.architecture.databases[0].primary
        server.maxConnections = 1000
        server.bufferPool = BufferPool(capacity: 50_000, miss: .exponential(mean: 5 * ms))
        server.disks = 8
        server.commit = CommitLog(flush: .constant(1 * ms), group: true)
        s.architecture.databases[0].primary = server
        s.architecture.databases[0].replica = server
        s.architecture.databases[0].shards = 4
        return s
    }
}
