// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimModel
import Foundation

/// Writes a ``Scenario`` as scenario-format YAML that ``ScenarioLoader`` reads back to an equal
/// value: the one writer of the format, as the readers are its one reader.
///
/// - Values are written in the format's syntax with units, exactly: every duration, rate and
///   distribution parameter reads back to the same `Double` or whole nanoseconds (see
///   ``ValueText``). A lognormal that has no exact `median/p99` or `mean/sd` form is an error.
/// - An empirical distribution is written as `empirical("path")` naming its CSV file (its
///   `source`), relative to ``directory`` when the file lies under it, else absolute; the samples
///   are not written again. Reading the text back reads that file.
/// - Output is deterministic: keys in a fixed order (the spec's), lists in the description's
///   order. A value that equals what the reader would fill in when the key is absent may be left
///   out (`io: blocking`, a default health check).
/// - ``comments`` put a `# note` after any value, by key path as in the reader's problem messages
///   (`architecture.services.app.operations.view.cpu`, `….steps[1].delay`): a calibrated file
///   says where each number comes from.
///
/// Cost: linear in the size of the description (each lognormal: a few thousand logarithms).
public struct ScenarioWriter: Sendable {
    /// The directory the written file will be read from (paths of empirical CSVs are relative to it).
    public var directory: String
    /// Comments by key path; looked up, never iterated.
    public var comments: [String: String]

    public init(directory: String = ".", comments: [String: String] = [:]) {
        self.directory = directory; self.comments = comments
    }

    /// The whole scenario as one file. With `workloadFile` or `architectureFile`, that section is
    /// written as a path to a file (which ``workload(_:header:)`` or
    /// ``architecture(_:workload:header:)`` writes) instead of inline. `header`: comment lines on top.
    public func scenario(_ s: Scenario, header: [String] = [], workloadFile: String? = nil,
                         architectureFile: String? = nil) throws(ScenarioWriterError) -> String {
        var e: [YAMLEntry] = []
        e.append(entry("version", .scalar("1"), ""))
        e.append(entry("name", .scalar(s.name), ""))
        if !s.description.isEmpty { e.append(entry("description", .scalar(s.description), "")) }
        e.append(entry("seed", .scalar(String(s.seed)), ""))
        e.append(entry("duration", duration(s.duration), ""))
        e.append(entry("warmup", duration(s.warmup), ""))
        e.append(entry("replications", int(s.replications), ""))
        // The window when the file says none: the description's own default.
        let defaultWindow = Scenario(name: s.name, duration: s.duration, workload: s.workload, architecture: s.architecture).window
        if s.window != defaultWindow { e.append(entry("window", duration(s.window), "")) }
        let workload: YAMLNode = if let workloadFile { .scalar(workloadFile) } else { try workloadNode(s.workload, "workload") }
        e.append(entry("workload", workload, ""))
        let architecture: YAMLNode = if let architectureFile { .scalar(architectureFile) } else {
            try architectureNode(s.architecture, s.workload, "architecture")
        }
        e.append(entry("architecture", architecture, ""))
        if !s.faults.isEmpty { e.append(entry("faults", faults(s.faults, s.architecture, "faults"), "")) }
        return YAMLEmitter.document(.mapping(e), header: header)
    }

    /// A workload file: the map that stands under `workload:` (comments by `workload.…` paths).
    public func workload(_ w: Workload, header: [String] = []) throws(ScenarioWriterError) -> String {
        YAMLEmitter.document(try workloadNode(w, "workload"), header: header)
    }

    /// An architecture file: the map under `architecture:`; routes name `workload`'s request types.
    public func architecture(_ a: Architecture, workload: Workload, header: [String] = []) throws(ScenarioWriterError) -> String {
        YAMLEmitter.document(try architectureNode(a, workload, "architecture"), header: header)
    }

    /// One distribution in the format's call syntax (`lognormal(median=1ms, p99=8ms)`).
    public func distribution(_ d: Distribution) throws(ScenarioWriterError) -> String {
        try ValueText.distribution(d, empiricalPath: empiricalPath)
    }

    // MARK: Nodes

    private func entry(_ key: String, _ value: YAMLNode, _ parent: String) -> YAMLEntry {
        YAMLEntry(key: key, value: value, comment: comments[parent.isEmpty ? key : parent + "." + key])
    }

    private func duration(_ ns: Nanoseconds) -> YAMLNode { .scalar(ValueText.duration(ns)) }
    private func int(_ n: Int) -> YAMLNode { .scalar(String(n)) }
    private func number(_ x: Double) -> YAMLNode { .scalar(ValueText.number(x)) }

    private func distribution(_ d: Distribution, _ path: String) throws(ScenarioWriterError) -> YAMLNode {
        do { return .scalar(try distribution(d)) } catch {
            throw ScenarioWriterError(keyPath: path, message: error.message)
        }
    }

    func empiricalPath(_ e: EmpiricalDistribution) -> String {
        let source = e.source
        if directory.isEmpty || directory == "." { return source }
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        if source.hasPrefix(base) { return String(source.dropFirst(base.count)) }
        if source.hasPrefix("/") || source.isEmpty { return source }
        return FileManager.default.currentDirectoryPath + "/" + source
    }

    // MARK: Workload

    private func workloadNode(_ w: Workload, _ p: String) throws(ScenarioWriterError) -> YAMLNode {
        var e: [YAMLEntry] = []
        let ap = p + ".arrivals"
        switch w.arrivals {
        case let .open(process, rate):
            var a = [entry("kind", .scalar("open"), ap), entry("process", .scalar(process.rawValue), ap)]
            switch rate {
            case .constant(let perSecond): a.append(entry("rate", .scalar(ValueText.rate(perSecond)), ap))
            case .profile(let points):
                a.append(entry("profile", .sequence(points.enumerated().map { i, point in
                    let pp = "\(ap).profile[\(i)]"
                    return .mapping([entry("at", duration(point.at), pp),
                                     entry("rate", .scalar(ValueText.rate(point.perSecond)), pp)])
                }), ap))
            }
            e.append(entry("arrivals", .mapping(a), p))
        case let .closed(users, think):
            e.append(entry("arrivals", .mapping([entry("kind", .scalar("closed"), ap), entry("users", int(users), ap),
                                                 entry("think", try distribution(think, ap + ".think"), ap)]), p))
        }
        if !w.keySpaces.isEmpty {
            e.append(entry("keys", .mapping(w.keySpaces.map { space in
                let kp = "\(p).keys.\(space.name)"
                let popularity = switch space.popularity {
                case .uniform: "uniform"
                case .zipf(let s): "zipf(s=\(ValueText.number(s)))"
                }
                return entry(space.name, .mapping([entry("count", int(space.count), kp),
                                                   entry("popularity", .scalar(popularity), kp)]), "\(p).keys")
            }), p))
        }
        e.append(entry("requests", .mapping(w.requestTypes.map { type in
            let rp = "\(p).requests.\(type.name)"
            var r = [entry("weight", number(type.weight), rp)]
            if let k = type.keySpace { r.append(entry("key", .scalar(w.keySpaces[k].name), rp)) }
            if let t = type.timeout { r.append(entry("timeout", duration(t), rp)) }
            return entry(type.name, .mapping(r), "\(p).requests")
        }), p))
        return .mapping(e)
    }

    // MARK: Architecture

    private func architectureNode(_ a: Architecture, _ w: Workload, _ p: String) throws(ScenarioWriterError) -> YAMLNode {
        var e: [YAMLEntry] = []
        if a.hop != .constant(0) {
            e.append(entry("network", .mapping([entry("hop", try distribution(a.hop, p + ".network.hop"), p + ".network")]), p))
        }
        if a.balancer != .roundRobin || a.retryFailed != 0 {
            e.append(entry("load_balancer", balancer(a.balancer, retryFailed: a.retryFailed == 0 ? nil : a.retryFailed,
                                                     p + ".load_balancer"), p))
        }
        e.append(entry("routes", .mapping(zip(w.requestTypes, a.routes).map { type, ref in
            entry(type.name, .scalar(operationName(ref, a)), p + ".routes")
        }), p))
        if !a.hosts.isEmpty {
            e.append(entry("hosts", .mapping(a.hosts.map { h in
                let hp = "\(p).hosts.\(h.name)"
                var fields = [entry("cores", int(h.cores), hp)]
                if h.count != 1 { fields.append(entry("count", int(h.count), hp)) }
                if let c = h.cost { fields.append(entry("cost", number(c), hp)) }
                if let c = h.costPerCore { fields.append(entry("cost_per_core", number(c), hp)) }
                if h.background > 0 { fields.append(entry("background", number(h.background), hp)) }
                return entry(h.name, .mapping(fields), p + ".hosts")
            }), p))
        }
        var services: [YAMLEntry] = []
        for s in a.services { services.append(entry(s.name, try service(s, a, w, "\(p).services.\(s.name)"), p + ".services")) }
        e.append(entry("services", .mapping(services), p))
        if !a.caches.isEmpty {
            var caches: [YAMLEntry] = []
            for c in a.caches { caches.append(entry(c.name, try cache(c, "\(p).caches.\(c.name)"), p + ".caches")) }
            e.append(entry("caches", .mapping(caches), p))
        }
        if !a.databases.isEmpty {
            var databases: [YAMLEntry] = []
            for d in a.databases { databases.append(entry(d.name, try database(d, a.hosts, "\(p).databases.\(d.name)"), p + ".databases")) }
            e.append(entry("databases", .mapping(databases), p))
        }
        return .mapping(e)
    }

    private func operationName(_ ref: OperationRef, _ a: Architecture) -> String {
        let s = a.services[ref.service]
        return s.name + "." + s.operations[ref.operation].name
    }

    private func balancer(_ policy: BalancerPolicy?, retryFailed: Int? = nil, _ p: String) -> YAMLNode {
        .mapping((policy.map { [entry("policy", .scalar($0.rawValue), p)] } ?? [])
                 + (retryFailed.map { [entry("retry_failed", int($0), p)] } ?? []))
    }

    private func service(_ s: Service, _ a: Architecture, _ w: Workload, _ p: String) throws(ScenarioWriterError) -> YAMLNode {
        var e = [entry("instances", int(s.instances), p), entry("workers", int(s.workers), p)]
        if let q = s.queueCapacity { e.append(entry("queue", int(q), p)) }
        if let c = s.cores { e.append(entry("cores", int(c), p)) }
        if let h = s.host { e.append(entry("host", .scalar(a.hosts[h].name), p)) }
        if let c = s.cost { e.append(entry("cost", number(c), p)) }
        if s.io != .blocking { e.append(entry("io", .scalar(s.io.rawValue), p)) }
        if s.balancer != nil || s.retryFailed != nil {
            e.append(entry("load_balancer", balancer(s.balancer, retryFailed: s.retryFailed, p + ".load_balancer"), p))
        }
        if s.healthCheck != HealthCheck() {
            let hp = p + ".health_check"
            e.append(entry("health_check", .mapping([entry("interval", duration(s.healthCheck.interval), hp),
                                                     entry("unhealthy_after", int(s.healthCheck.unhealthyAfter), hp)]), p))
        }
        if let scale = s.autoscale {
            let sp = p + ".autoscale"
            e.append(entry("autoscale", .mapping([
                entry("min", int(scale.min), sp), entry("max", int(scale.max), sp),
                entry("target_utilization", number(scale.targetUtilization), sp),
                entry("interval", duration(scale.interval), sp), entry("warmup", duration(scale.warmup), sp),
            ]), p))
        }
        if !s.pools.isEmpty {
            let pp = p + ".pools"
            e.append(entry("pools", .mapping(s.pools.map { pool in
                let name = a.databases[pool.database].name
                var f = [entry("size", int(pool.size), pp + "." + name)]
                if let wait = pool.wait { f.append(entry("wait", duration(wait), pp + "." + name)) }
                return entry(name, .mapping(f), pp)
            }), p))
        }
        var operations: [YAMLEntry] = []
        for o in s.operations {
            let op = "\(p).operations.\(o.name)"
            var oe: [YAMLEntry] = []
            if let cpu = o.cpu { oe.append(entry("cpu", try distribution(cpu, op + ".cpu"), op)) }
            if !o.steps.isEmpty { oe.append(entry("steps", try steps(o.steps, a, w, op + ".steps"), op)) }
            operations.append(entry(o.name, .mapping(oe), p + ".operations"))
        }
        e.append(entry("operations", .mapping(operations), p))
        return .mapping(e)
    }

    /// A database step's `key`, `lock` and `lock_timeout`.
    private func row(_ row: RowAccess, _ w: Workload, _ p: String) -> [YAMLEntry] {
        var e: [YAMLEntry] = []
        switch row.key {
        case .request: break
        case .new: e.append(entry("key", .scalar("new"), p))
        case .space(let k): e.append(entry("key", .scalar(w.keySpaces[k].name), p))
        }
        if let lock = row.lock {
            e.append(entry("lock", .scalar("row"), p))
            if let timeout = lock.timeout { e.append(entry("lock_timeout", duration(timeout), p)) }
        }
        return e
    }

    private func steps(_ steps: [Step], _ a: Architecture, _ w: Workload, _ p: String) throws(ScenarioWriterError) -> YAMLNode {
        var items: [YAMLNode] = []
        for (i, step) in steps.enumerated() {
            let sp = "\(p)[\(i)]"
            var e: [YAMLEntry]
            switch step {
            case let .call(ref, policy):
                e = [entry("call", .scalar(operationName(ref, a)), sp)]
                e += try callPolicy(policy, sp)
            case .parallel(let branches): e = [entry("parallel", try self.steps(branches, a, w, sp + ".parallel"), sp)]
            case .delay(let d): e = [entry("delay", try distribution(d, sp + ".delay"), sp)]
            case .cpu(let d): e = [entry("cpu", try distribution(d, sp + ".cpu"), sp)]
            case let .cacheGet(cache, onMiss):
                e = [entry("cache_get", .scalar(a.caches[cache].name), sp)]
                if !onMiss.isEmpty { e.append(entry("on_miss", try self.steps(onMiss, a, w, sp + ".on_miss"), sp)) }
            case .cacheSet(let cache): e = [entry("cache_set", .scalar(a.caches[cache].name), sp)]
            case .cacheDelete(let cache): e = [entry("cache_delete", .scalar(a.caches[cache].name), sp)]
            case let .dbRead(database, strong, row):
                e = [entry("db_read", .scalar(a.databases[database].name), sp)]
                if strong { e.append(entry("consistency", .scalar("strong"), sp)) }
                e += self.row(row, w, sp)
            case let .dbWrite(database, row):
                e = [entry("db_write", .scalar(a.databases[database].name), sp)]
                e += self.row(row, w, sp)
            }
            items.append(.mapping(e))
        }
        return .sequence(items)
    }

    private func callPolicy(_ policy: CallPolicy, _ p: String) throws(ScenarioWriterError) -> [YAMLEntry] {
        var e: [YAMLEntry] = []
        if let t = policy.timeout { e.append(entry("timeout", duration(t), p)) }
        let defaults = CallPolicy()
        if policy.backoff != defaults.backoff {
            let rp = p + ".retries"
            e.append(entry("retries", .mapping([entry("count", int(policy.retries), rp),
                                                entry("backoff", try distribution(policy.backoff, rp + ".backoff"), rp)]), p))
        } else if policy.retries != defaults.retries {
            e.append(entry("retries", int(policy.retries), p))
        }
        if let b = policy.circuitBreaker {
            let bp = p + ".circuit_breaker"
            e.append(entry("circuit_breaker", .mapping([
                entry("error_rate", number(b.errorRate), bp), entry("window", duration(b.window), bp),
                entry("min_calls", int(b.minimumCalls), bp), entry("open_for", duration(b.openFor), bp),
            ]), p))
        }
        return e
    }

    private func cache(_ c: Cache, _ p: String) throws(ScenarioWriterError) -> YAMLNode {
        var e: [YAMLEntry] = []
        if c.nodes != 1 { e.append(entry("nodes", int(c.nodes), p)) }
        e.append(entry("capacity", int(c.capacity), p))
        e.append(entry("eviction", .scalar(c.eviction.rawValue), p))
        if let ttl = c.ttl { e.append(entry("ttl", duration(ttl), p)) }
        if c.latency != .constant(0) { e.append(entry("latency", try distribution(c.latency, p + ".latency"), p)) }
        if let workers = c.workers { e.append(entry("workers", int(workers), p)) }
        if let service = c.service { e.append(entry("service", try distribution(service, p + ".service"), p)) }
        if let cost = c.cost { e.append(entry("cost", number(cost), p)) }
        return .mapping(e)
    }

    private func database(_ d: Database, _ hosts: [HostKind], _ p: String) throws(ScenarioWriterError) -> YAMLNode {
        let pp = p + ".primary"
        var e = [entry("primary", .mapping([
            entry("connections", int(d.primary.connections), pp),
            entry("read", try distribution(d.primary.read, pp + ".read"), pp),
            entry("write", try distribution(d.primary.write, pp + ".write"), pp),
        ] + (try storage(d.primary, inheriting: nil, hosts, pp))), p)]
        // What the reader fills in when a key is absent.
        let defaults = Database(name: d.name, primary: d.primary, replicaCount: d.replicaCount)
        if d.replicaCount > 0 || d.replica != defaults.replica || d.applyWorkers != defaults.applyWorkers {
            let rp = p + ".replicas"
            var r = [entry("count", int(d.replicaCount), rp), entry("connections", int(d.replica.connections), rp),
                     entry("read", try distribution(d.replica.read, rp + ".read"), rp)]
            if d.replica.write != d.primary.write { r.append(entry("apply", try distribution(d.replica.write, rp + ".apply"), rp)) }
            if d.applyWorkers != defaults.applyWorkers { r.append(entry("apply_workers", int(d.applyWorkers), rp)) }
            r += try storage(d.replica, inheriting: d.primary, hosts, rp)
            e.append(entry("replicas", .mapping(r), p))
        }
        if d.replicaCount > 0 || d.readsFrom != defaults.readsFrom { e.append(entry("reads_from", .scalar(d.readsFrom.rawValue), p)) }
        if d.replicaCount > 0 || d.replicationLag != defaults.replicationLag {
            e.append(entry("replication_lag", try distribution(d.replicationLag, p + ".replication_lag"), p))
        }
        if d.replicaBalancer != defaults.replicaBalancer {
            e.append(entry("replica_balancer", balancer(d.replicaBalancer, p + ".replica_balancer"), p))
        }
        if let after = d.failoverAfter {
            e.append(entry("failover", .mapping([entry("after", duration(after), p + ".failover")]), p))
        }
        if d.shards != 1 { e.append(entry("shards", int(d.shards), p)) }
        return .mapping(e)
    }

    /// A server's version 1.1 keys; for replicas, only those that differ from the primary's
    /// (which they inherit). A replica cannot drop a mechanism its primary has.
    private func storage(_ s: DatabaseServer, inheriting primary: DatabaseServer?, _ hosts: [HostKind], _ p: String) throws(ScenarioWriterError) -> [YAMLEntry] {
        func differs<T: Equatable>(_ key: String, _ value: T?, _ inherited: T?) throws(ScenarioWriterError) -> T? {
            guard value != inherited else { return nil }
            guard let value else {
                throw ScenarioWriterError(keyPath: "\(p).\(key)", message: "replicas cannot be written without the primary's \(key)")
            }
            return value
        }
        var e: [YAMLEntry] = []
        if let h = try differs("host", s.host, primary?.host) { e.append(entry("host", .scalar(hosts[h].name), p)) }
        if let n = try differs("max_connections", s.maxConnections, primary?.maxConnections) {
            e.append(entry("max_connections", int(n), p))
        }
        if let b = try differs("buffer_pool", s.bufferPool, primary?.bufferPool) {
            let bp = p + ".buffer_pool"
            e.append(entry("buffer_pool", .mapping([entry("capacity", int(b.capacity), bp),
                                                    entry("miss", try distribution(b.miss, bp + ".miss"), bp)]), p))
        }
        if let n = try differs("disks", s.disks, primary?.disks) { e.append(entry("disks", int(n), p)) }
        if let c = try differs("cost", s.cost, primary?.cost) { e.append(entry("cost", number(c), p)) }
        if let c = try differs("commit", s.commit, primary?.commit) {
            let cp = p + ".commit"
            e.append(entry("commit", .mapping([entry("flush", try distribution(c.flush, cp + ".flush"), cp),
                                               entry("group", .boolean(c.group), cp)]), p))
        }
        return e
    }

    // MARK: Faults

    private func faults(_ faults: [Fault], _ a: Architecture, _ p: String) -> YAMLNode {
        .sequence(faults.enumerated().map { i, f in
            let fp = "\(p)[\(i)]"
            let target = switch f.target {
            case let .serviceInstance(s, n): "\(a.services[s].name)[\(n)]"
            case let .cacheNode(c, n): "\(a.caches[c].name)[\(n)]"
            case let .databaseServer(d, shard, server): a.databases[d].serverName(shard: shard, server: server)
            case let .hostMachine(h, n): "\(a.hosts[h].name)[\(n)]"
            }
            var e = [entry("at", duration(f.at), fp), entry("target", .scalar(target), fp)]
            switch f.kind {
            case .crash: e.append(entry("kind", .scalar("crash"), fp))
            case .slow(let factor): e += [entry("kind", .scalar("slow"), fp), entry("factor", number(factor), fp)]
            }
            if let length = f.duration { e.append(entry("for", duration(length), fp)) }
            return .mapping(e)
        })
    }
}
