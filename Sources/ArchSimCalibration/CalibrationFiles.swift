// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimBackend
import ArchSimKernel
import ArchSimModel
import ArchSimScenario
import Foundation

/// Writes a calibration: `calibration.json` (measurements and derived constants), `fits.csv`
/// (every candidate distribution of every stage, with AIC), `empirical/*.csv` (the samples, one
/// column of ms), and the scenario — `architecture.yaml`, `workload.yaml`, `scenario.yaml` —
/// that `archsim run` accepts as it is. The scenario is built as a ``Scenario`` and written by
/// the format's one writer (``ScenarioWriter``), each measured number with a comment saying
/// where it comes from. Each file is written whole (temporary file, rename).
package enum CalibrationFiles {
    /// Writes every file into `out`; returns the scenario written (what reading `scenario.yaml`
    /// gives back, but for its `sourcePath`).
    @discardableResult
    package static func write(summary: Calibration.Summary, stages: [String: Calibration.FittedStage], options: Calibration.Options,
                              lowRate: Double, out: String) throws -> Scenario {
        let fm = FileManager.default
        try fm.createDirectory(atPath: out + "/empirical", withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try atomicWrite(String(decoding: try encoder.encode(summary), as: UTF8.self) + "\n", to: out + "/calibration.json")

        var writer = ScenarioWriter(directory: out)
        var fits = "stage,family,parameters,log_likelihood,aic,delta_aic,chosen,distribution,n,mean_ms,p50_ms,p99_ms\n"
        for name in stages.keys.sorted() {
            let s = stages[name]!
            let sorted = s.samplesMs.sorted()
            func q(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))] }
            let best = s.fits.first?.aic ?? 0
            for f in s.fits {
                fits += "\(name),\(f.family),\(f.parameters),\(fmt(f.logLikelihood)),\(fmt(f.aic)),\(fmt(f.aic - best)),"
                    + "\(f.distribution == s.chosen ? 1 : 0),\"\(try writer.distribution(f.distribution.roundedForScenario))\",\(sorted.count),"
                    + "\(fmt(s.meanNs / 1e6)),\(fmt(q(0.5))),\(fmt(q(0.99)))\n"
            }
            try atomicWrite(csvText(s.samplesMs), to: out + "/empirical/\(name).csv")
        }
        try atomicWrite(fits, to: out + "/fits.csv")

        let share = summary.cpuShare
        let splits = share < 0.999
        // The distribution a stage contributes to the model at key path `path`, scaled by
        // `factor`: fitted (and scaled analytically) or empirical (a scaled copy of the sample).
        func model(_ name: String, _ factor: Double = 1, suffix: String = "", at path: String) throws -> Distribution {
            let s = stages[name]!
            let scaled = factor == 1 ? "" : " × " + String(format: "%.3f", factor) + (suffix == "cpu" ? " (the CPU share)" : " (the rest)")
            // A fit whose mean is infinite or far from the sample's (a Pareto fitted to a sample
            // with zeros, say) would change the load: the sample stands in for it.
            let fittedMean = s.chosen.mean
            if options.fitted, fittedMean.isFinite, abs(fittedMean - s.meanNs) <= 0.5 * max(s.meanNs, 1) {
                let family = s.fits.first { $0.distribution == s.chosen }?.family ?? "constant"
                writer.comments[path] = "\(family), best AIC of \(s.fits.count) fits to \(s.samplesMs.count) samples of \(name)\(scaled)"
                return s.chosen.scaled(by: factor).roundedForScenario
            }
            let file = factor == 1 ? "empirical/\(name).csv" : "empirical/\(name).\(suffix).csv"
            let sample = empiricalSample(factor == 1 ? s.samplesMs : s.samplesMs.map { $0 * factor })
            if factor != 1 { try atomicWrite(csvText(sample), to: out + "/" + file) }
            writer.comments[path] = "\(sample.count) of \(s.samplesMs.count) samples of \(name)\(scaled)"
            return .empirical(EmpiricalDistribution(values: sample.map { $0 * 1e6 }, source: out + "/" + file))
        }

        // Workload: the mix the backend was driven with.
        let w = options.workload
        let keySpaces = [KeySpace(name: "products", count: w.catalogue.products, popularity: .zipf(s: w.productZipf)),
                         KeySpace(name: "order_products", count: w.catalogue.products, popularity: .uniform)]
        let requestTypes = w.requests.map { t in
            RequestType(name: t.name, weight: t.weight, keySpace: keySpaces.firstIndex { $0.name == keySpace(t.request) })
        }
        let workload = Workload(arrivals: .open(process: .poisson, rate: .constant((lowRate * 1000).rounded() / 1000)),
                                keySpaces: keySpaces, requestTypes: requestTypes)
        writer.comments["workload.arrivals.rate"] = String(format: "the low-load measurement: %.0f%% of the capacity measured, %.0f req/s",
                                                           options.lowLoad * 100, summary.capacityRPS)
        writer.comments["workload.keys.products"] = "views and cart additions: Zipf-popular products of the catalogue"
        writer.comments["workload.keys.order_products"] = "orders pick products uniformly"

        // Architecture: one service `app` in front of the cache `products` and the database `shop`.
        let ap = "architecture.services.app"
        var operations: [ArchSimModel.Operation] = []
        for t in w.requests {
            let op = "\(ap).operations.\(t.name)"
            let cpu = try model("\(t.name).compute", share, suffix: "cpu", at: op + ".cpu")
            var steps: [Step] = []
            func timed(_ stage: String, _ factor: Double, _ suffix: String) throws {
                let kind = suffix == "cpu" ? "cpu" : "delay"
                let d = try model("\(t.name).\(stage)", factor, suffix: suffix, at: "\(op).steps[\(steps.count)].\(kind)")
                steps.append(suffix == "cpu" ? .cpu(d) : .delay(d))
            }
            if splits { try timed("compute", 1 - share, "wait") }
            // The hop includes the HTTP loops' work, which the `http` service carries: scaled down by it.
            let hop = hopFactor(hopMeanNs: stages["\(t.name).hop"]!.meanNs, httpLoops: summary.httpLoops,
                                httpLoopDemandUs: summary.httpLoopDemandUs)
            try timed("hop", share * hop, "cpu")
            if splits { try timed("hop", (1 - share) * hop, "wait") }
            steps += storageSteps(t.request, cache: 0, database: 0)
            operations.append(ArchSimModel.Operation(name: t.name, cpu: cpu, steps: steps))
        }
        // Everything runs on one host: the backend's cores, shared by processor sharing between the
        // HTTP loops, the handlers and SQLite (its queries and the replicas' appliers).
        var host = HostKind(name: "backend", cores: summary.cores)
        writer.comments["architecture.hosts.backend.cores"] = summary.pinned == true
            ? "the backend's cores (the load generator had its own)" : "the cores this process may use"
        // The CPU the backend uses whatever the load (the utilisation law's intercept) takes its
        // share of the core from the model's work.
        if let idle = summary.cpuIdleCores, idle > 0.005 {
            host.background = (min(idle, 0.9 * Double(summary.cores)) * 1000).rounded() / 1000
            writer.comments["architecture.hosts.backend.background"] = String(
                format: "the backend's CPU at no load: intercept of its CPU regressed on throughput (%.3f cores)", idle)
        }
        var app = Service(name: "app", instances: 1, workers: 100_000, io: .async, operations: operations)
        app.host = 0
        writer.comments[ap + ".workers"] = "one task per request; nothing bounds them"
        writer.comments[ap + ".io"] = "waiting on SQLite or the cache frees the task"

        // The HTTP event loops: each a one-worker FCFS station (a connection stays on its loop),
        // with the loops' CPU per request from the utilisation law, in front of the handler.
        var services = [app]
        var routes = operations.indices.map { OperationRef(service: 0, operation: $0) }
        if let loops = summary.httpLoops, loops > 0, let http = summary.httpLoopDemandUs, http > 0 {
            let hp = "architecture.services.http"
            let mean = (http * 1000).rounded()
            var front = Service(name: "http", instances: loops, workers: 1, io: .async, operations: w.requests.indices.map { i in
                ArchSimModel.Operation(name: w.requests[i].name, cpu: .exponential(mean: mean),
                                       steps: [.call(OperationRef(service: 1, operation: i))])
            })
            front.host = 0
            writer.comments[hp + ".instances"] = "the backend's HTTP event loops"
            writer.comments[hp + ".workers"] = "an event loop runs one thing at a time"
            for t in w.requests {
                writer.comments["\(hp).operations.\(t.name).cpu"] = String(format: "the loops' CPU per request, %.1f us (utilisation law)", http)
            }
            services = [front, app]
            routes = operations.indices.map { OperationRef(service: 0, operation: $0) }
        }

        guard let eviction = EvictionPolicy(rawValue: summary.cacheEviction) else {
            throw CalibrationError(message: "unknown cache eviction '\(summary.cacheEviction)'")
        }
        let cache = Cache(name: "products", capacity: summary.cacheCapacity, eviction: eviction,
                          latency: try model("cache.get", at: "architecture.caches.products.latency"))
        writer.comments["architecture.caches.products.capacity"] = "the backend's product cache"

        // The database on the same host: a query's CPU (thread CPU clock around the SQLite call) is
        // work on the host's cores; the rest of a write's span, its commit's fsync, is the commit flush.
        let replicas = summary.replicas
        let dp = "architecture.databases.shop"
        var primary = DatabaseServer(connections: replicas > 0 ? 1 : 1 + summary.readerConnections,
                                     read: try model("db.read_cpu", at: dp + ".primary.read"),
                                     write: try model("db.write_cpu", at: dp + ".primary.write"),
                                     commit: CommitLog(flush: try model("db.write_wait", at: dp + ".primary.commit.flush"), group: false))
        primary.host = 0
        writer.comments[dp + ".primary.connections"] = "SQLite: one writer" + (replicas > 0 ? "" : " + the readers")
        var database = Database(name: "shop", primary: primary)
        if replicas > 0 {
            // Apply: the measured CPU of reading and applying one write, when calibration measured it.
            let apply: Distribution
            if let us = summary.applyCPUPerWriteUs, us > 0 {
                apply = .exponential(mean: (us * 1000).rounded())
                writer.comments[dp + ".replicas.apply"] = String(format: "measured: %.1f us of CPU per write and replica (thread CPU clock), on the host", us)
            } else {
                apply = try model("db.write_cpu", at: dp + ".replicas.apply")
            }
            var replica = DatabaseServer(connections: summary.readerConnections,
                                         read: try model("db.read_cpu", at: dp + ".replicas.read"), write: apply)
            replica.host = 0
            replica.commit = primary.commit  // the format's replicas inherit it; a replica's apply does not flush
            database = Database(name: "shop", primary: primary, replicaCount: replicas, replica: replica,
                                readsFrom: .replicas,
                                replicationLag: try model("db.replication_lag", at: dp + ".replication_lag"), applyWorkers: 1)
            writer.comments[dp + ".replicas.connections"] = "the readers of each replica's pool"
            if summary.applyCPUPerWriteUs == nil {
                // The replicas inherit the primary's `write` as their `apply` (the writer leaves it out).
                writer.comments[dp + ".primary.write", default: ""] += "; each replica's apply re-runs it on the host"
            }
            writer.comments[dp + ".replicas.apply_workers"] = "one log applier per replica"
        }
        var architecture = Architecture(routes: routes, services: services, caches: [cache], databases: [database])
        architecture.hosts = [host]

        let scenario = Scenario(name: "calibrated-shop",
                                description: "The in-process backend as calibrated by archsim calibrate; validate sets the rate.",
                                seed: summary.seed, duration: 60_000_000_000, warmup: 30_000_000_000, replications: 3,
                                workload: workload, architecture: architecture)
        let header = [
            "Calibrated by `archsim calibrate` against the in-process backend (see calibration.json).",
            "Capacity measured (\(summary.capacityMethod ?? "closed loop")): \(String(format: "%.0f", summary.capacityRPS)) req/s on \(summary.cores) core(s). Compute and HTTP-hop times are",
            "split: \(String(format: "%.3f", share)) of each is CPU work on the host `backend` (processor sharing), the rest a delay,",
            summary.cpuDemandUs.map { String(format: "so that with the HTTP loops' and the database's CPU the demand per request is the measured %.1f us (utilisation law).", $0) }
                ?? "so that the CPU demand per request is cores / capacity. Database and cache times as measured.",
        ]
        try atomicWrite(try writer.architecture(architecture, workload: workload, header: header), to: out + "/architecture.yaml")
        try atomicWrite(try writer.workload(workload, header: ["The e-commerce workload the backend was driven with."]),
                        to: out + "/workload.yaml")
        try atomicWrite(try writer.scenario(scenario, workloadFile: "workload.yaml", architectureFile: "architecture.yaml"),
                        to: out + "/scenario.yaml")
        return scenario
    }

    /// The key space a request draws its key from in the model, if any.
    static func keySpace(_ request: ShopRequest) -> String? {
        switch request {
        case .viewProduct, .addToCart: "products"
        case .placeOrder: "order_products"
        case .search, .login, .pay, .viewCart, .viewOrder: nil
        }
    }

    /// The part of a request type's HTTP hop the model keeps: the hop minus the HTTP loops' mean
    /// CPU per request when the model has the `http` service (which carries that CPU), else all of it.
    static func hopFactor(hopMeanNs: Double, httpLoops: Int?, httpLoopDemandUs: Double?) -> Double {
        guard let loops = httpLoops, loops > 0, let http = httpLoopDemandUs, http > 0, hopMeanNs > 0 else { return 1 }
        return max(0, 1 - http * 1000 / hopMeanNs)
    }

    /// Database reads and writes of one request (a product view reads only on a cache miss).
    static func queries(_ request: ShopRequest, hitRatio: Double) -> (reads: Double, writes: Double) {
        switch request {
        case .viewProduct: (1 - hitRatio, 0)
        case .search, .viewCart, .viewOrder: (1, 0)
        case .login: (1, 1)
        case .addToCart, .pay, .placeOrder: (0, 1)
        }
    }

    /// What a request does in the cache and the database, as the backend's handler does it.
    static func storageSteps(_ request: ShopRequest, cache: Int, database: Int) -> [Step] {
        switch request {
        case .viewProduct: [.cacheGet(cache: cache, onMiss: [.dbRead(database: database, strong: false), .cacheSet(cache: cache)])]
        case .search, .viewCart, .viewOrder: [.dbRead(database: database, strong: false)]
        case .login: [.dbRead(database: database, strong: false), .dbWrite(database: database)]
        case .addToCart, .pay: [.dbWrite(database: database)]
        case .placeOrder: [.dbWrite(database: database), .cacheDelete(cache: cache)]
        }
    }

    /// Most values an empirical CSV keeps: a longer sample is thinned by a fixed stride (every
    /// k-th value in measurement order), which keeps its shape and the files small.
    static let maxEmpiricalValues = 20_000

    /// The values an empirical CSV of `ms` holds, as the reader gets them back: thinned to at
    /// most ``maxEmpiricalValues``, each rounded to 6 decimals (ns precision).
    static func empiricalSample(_ ms: [Double]) -> [Double] {
        let stride = max(1, (ms.count + maxEmpiricalValues - 1) / maxEmpiricalValues)
        return Swift.stride(from: 0, to: ms.count, by: stride).map { Double(String(format: "%.6f", ms[$0]))! }
    }

    /// An empirical CSV: the header `ms`, then one value per line (ms, ns precision).
    static func csvText(_ ms: [Double]) -> String {
        var text = "ms\n"
        for v in empiricalSample(ms) { text += String(format: "%.6f\n", v) }
        return text
    }

    static func fmt(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(format: "%.6g", v)
    }

    static func atomicWrite(_ text: String, to path: String) throws {
        let tmp = path + ".tmp"
        try text.write(toFile: tmp, atomically: false, encoding: .utf8)
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: tmp, toPath: path)
    }
}
