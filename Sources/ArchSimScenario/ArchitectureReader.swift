// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimModel

/// A step as written: names not yet resolved, cursors kept for messages.
indirect enum StepSyntax {
    case call(String, Cursor, CallPolicy)
    case parallel([StepSyntax])
    case delay(Distribution)
    case cpu(Distribution)
    case cacheGet(String, Cursor, onMiss: [StepSyntax])
    case cacheSet(String, Cursor)
    case cacheDelete(String, Cursor)
    /// `key:` (its text and where) when written.
    case dbRead(String, Cursor, strong: Bool, key: (String, Cursor)?)
    /// `key:` and `lock: row` (with `lock_timeout`) when written.
    case dbWrite(String, Cursor, key: (String, Cursor)?, lock: (RowLock, Cursor)?)
}

/// Indices of the architecture's names, so that resolving a reference costs O(1) and a file
/// with many services, caches or references reads in linear time. Only looked up, never
/// iterated (a Dictionary's order must not reach the output). The first of two equal names
/// wins, as a search from the front would find it.
struct NameIndex {
    var services: [String: Int] = [:]
    var operations: [[String: Int]] = []
    var caches: [String: Int] = [:]
    var databases: [String: Int] = [:]

    init(services: [Service], caches: [Cache], databases: [Database]) {
        func index(_ names: [String]) -> [String: Int] {
            var result: [String: Int] = [:]
            for (i, name) in names.enumerated() where result[name] == nil { result[name] = i }
            return result
        }
        self.services = index(services.map(\.name))
        operations = services.map { index($0.operations.map(\.name)) }
        self.caches = index(caches.map(\.name))
        self.databases = index(databases.map(\.name))
    }
}

/// A service as written: its operations' steps still name things.
struct ServiceSyntax {
    var service: Service
    var key: Cursor
    var operations: [(name: String, key: Cursor, steps: [StepSyntax])]
    /// `pools:` entries: database name (and where), size, wait.
    var pools: [(database: String, at: Cursor, size: Int, wait: Nanoseconds?)] = []
}

extension ScenarioReader {
    /// `architecture:` — read in two passes: components first, then what refers to them
    /// (steps, routes), then the call graph is checked for cycles.
    func architecture(_ c: Cursor, workload: Workload) -> Architecture {
        guard let m = map(c) else { return Architecture(routes: [], services: []) }
        m.checkKeys(FormatKeys.architecture.names, diagnostics)
        var hop: Distribution = .constant(0)
        if let network = m["network"], let n = map(network, allowNull: true) {
            n.checkKeys(FormatKeys.network.names, diagnostics)
            if let h = n["hop"], let d = distribution(h) { hop = d }
        }
        let loadBalancer = m["load_balancer"].flatMap(loadBalancer)
        let balancer = loadBalancer?.policy ?? .roundRobin
        if let v = m["hosts"], let h = map(v, allowNull: true) {
            for entry in h.entries {
                _ = name(entry, "host")
                var host = HostKind(name: entry.name, cores: 1)
                if let f = map(entry.value, expected: "a host {cores, count}") {
                    f.checkKeys(FormatKeys.host.names, diagnostics)
                    host.cores = f.require("cores", diagnostics, "cores of each machine").flatMap { count($0, maximum: Limits.cores) } ?? 1
                    if let c = f["count"] { host.count = count(c, maximum: Limits.instances) ?? 1 }
                    host.cost = f["cost"].flatMap(cost)
                    host.costPerCore = f["cost_per_core"].flatMap(cost)
                    if let b = f["background"] {
                        let cores = Double(host.cores)
                        host.background = number(b, "cores of background CPU work, at least 0 and below the host's cores (\(host.cores))") {
                            $0 >= 0 && $0 < cores
                        } ?? 0
                    }
                }
                if hostIndex[host.name] == nil { hostIndex[host.name] = hosts.count }
                hosts.append(host)
            }
        }
        let caches = m["caches"].map(caches) ?? []
        let databases = m["databases"].map(databases) ?? []
        let syntax = m.require("services", diagnostics).map(services) ?? []
        checkUniqueNames(services: syntax, caches: m["caches"], databases: m["databases"], hosts: m["hosts"])

        var services = syntax.map(\.service)
        let names = NameIndex(services: services, caches: caches, databases: databases)
        for (s, service) in syntax.enumerated() {
            for pool in service.pools {
                guard let d = names.databases[pool.database] else {
                    report(pool.at, databases.isEmpty ? "unknown database \(quoted(pool.database)) (no 'databases:' are defined)"
                                                      : unknown("database", pool.database, databases.map(\.name)))
                    continue
                }
                services[s].pools.append(ConnectionPool(database: d, size: pool.size, wait: pool.wait))
            }
        }
        var calls: [[[(OperationRef, Cursor)]]] = syntax.map { $0.operations.map { _ in [] } }
        for (s, service) in syntax.enumerated() {
            for (o, operation) in service.operations.enumerated() {
                resolving = OperationRef(service: s, operation: o)
                services[s].operations[o].steps = resolve(operation.steps, services: services, caches: caches,
                                                          databases: databases, keySpaces: workload.keySpaces, names: names,
                                                          calls: &calls[s][o])
            }
        }
        checkCallCycles(services, calls)
        let routeRefs = m.require("routes", diagnostics).map {
            self.routes($0, workload: workload, services: services, names: names)
        } ?? []
        if routeRefs.count == workload.requestTypes.count {
            checkLockedRowsHaveKeys(workload: workload, routes: routeRefs, calls: calls)
        }
        var architecture = Architecture(hop: hop, balancer: balancer, routes: routeRefs, services: services,
                                        caches: caches, databases: databases)
        architecture.hosts = hosts
        architecture.retryFailed = loadBalancer?.retryFailed ?? 0
        return architecture
    }

    /// A `lock: row` write of the request's key must never run for a request without one: each
    /// request type without a key is followed from its route through every call it makes.
    private func checkLockedRowsHaveKeys(workload: Workload, routes: [OperationRef], calls: [[[(OperationRef, Cursor)]]]) {
        guard !lockedRequestKeys.isEmpty else { return }
        var reachedBy = calls.map { $0.map { _ -> String? in nil } }
        for (t, type) in workload.requestTypes.enumerated() where type.keySpace == nil {
            var stack = [routes[t]]
            while let op = stack.popLast() {
                guard reachedBy[op.service][op.operation] == nil else { continue }
                reachedBy[op.service][op.operation] = type.name
                stack += calls[op.service][op.operation].map(\.0)
            }
        }
        for (op, at) in lockedRequestKeys {
            if let type = reachedBy[op.service][op.operation] {
                report(at, "lock: row locks the row of the request's key, and request type \(quoted(type)) has none "
                       + "(give it a key, or the step a key: SPACE)")
            }
        }
    }

    // MARK: Services

    private func services(_ c: Cursor) -> [ServiceSyntax] {
        guard let m = map(c) else { return [] }
        guard !m.isEmpty else { report(c, "an architecture needs at least one service"); return [] }
        var result: [ServiceSyntax] = []
        for entry in m.entries {
            _ = name(entry, "service")
            guard let s = map(entry.value, expected: "a service {instances: …, operations: …}") else { continue }
            s.checkKeys(FormatKeys.service.names, diagnostics)
            var service = Service(name: entry.name, operations: [])
            // nil when `instances` is written but does not read (already reported).
            var instances: Int? = service.instances
            if let v = s["instances"] {
                instances = count(v, maximum: Limits.instances)
                service.instances = instances ?? 1
            }
            if let v = s["workers"] { service.workers = count(v, maximum: Limits.workers) ?? 1 }
            if let v = s["queue"] {
                if v.node.text == "unbounded" { service.queueCapacity = nil } else {
                    service.queueCapacity = integer(v, minimum: 0, "'unbounded' or a non-negative integer",
                                                    maximum: Limits.queue, why: "below 2^31")
                }
            }
            if let v = s["cores"] { service.cores = count(v, maximum: Limits.cores) }
            if let v = s["host"] {
                service.host = hostReference(v)
                if s["cores"] != nil { report(v, "a service gives host or cores, not both (on a host it shares the host's cores)") }
            }
            if let v = s["cost"] {
                service.cost = cost(v)
                if s["host"] != nil { report(v, "a service on a host has no cost of its own: the host's cost covers what runs on it") }
            }
            if let v = s["io"] { service.io = choice(v, IOMode.self) ?? .blocking }
            if let v = s["load_balancer"], let b = loadBalancer(v) {
                service.balancer = b.policy
                service.retryFailed = b.retryFailed
            }
            if let v = s["health_check"] { service.healthCheck = healthCheck(v) }
            if let v = s["autoscale"] {
                service.autoscale = autoscale(v, instances: instances, instancesGiven: s["instances"])
            }
            var operations: [(String, Cursor, [StepSyntax])] = []
            if let ops = s.require("operations", diagnostics), let o = map(ops) {
                if o.isEmpty { report(ops, "a service needs at least one operation") }
                for op in o.entries {
                    _ = name(op, "operation")
                    guard let om = map(op.value, expected: "an operation {cpu: …, steps: […]}", allowNull: true) else { continue }
                    om.checkKeys(FormatKeys.operation.names, diagnostics)
                    let cpu = om["cpu"].flatMap(distribution)
                    let steps = om["steps"].map(steps) ?? []
                    service.operations.append(Operation(name: op.name, cpu: cpu))
                    operations.append((op.name, op.key, steps))
                }
            }
            var syntax = ServiceSyntax(service: service, key: entry.key, operations: operations)
            if let v = s["pools"], let p = map(v, expected: "pools {database: {size, wait}}", allowNull: true) {
                for pool in p.entries {
                    guard let f = map(pool.value, expected: "a pool {size, wait}") else { continue }
                    f.checkKeys(FormatKeys.pool.names, diagnostics)
                    let size = f.require("size", diagnostics, "connections per instance and shard").flatMap {
                        count($0, maximum: Limits.connections)
                    }
                    let wait = f["wait"].flatMap { duration($0, allowZero: false) }
                    if let size { syntax.pools.append((pool.name, pool.key, size, wait)) }
                }
            }
            result.append(syntax)
        }
        return result
    }

    /// Services, caches and databases share one namespace: they name rows of components.csv
    /// and fault targets.
    private func checkUniqueNames(services: [ServiceSyntax], caches: Cursor?, databases: Cursor?, hosts: Cursor?) {
        var taken: [String: String] = [:]
        for service in services where taken[service.service.name] == nil { taken[service.service.name] = "a service" }
        for (cursor, what) in [(caches, "a cache"), (databases, "a database"), (hosts, "a host")] {
            guard let cursor, case .mapping(let mapping) = cursor.node else { continue }
            for key in mapping.keys {
                guard let name = key.text else { continue }
                if let other = taken[name] {
                    report(cursor.child(name, key), "the name \(quoted(name)) is already used by \(other); services, caches, databases and hosts need distinct names")
                } else {
                    taken[name] = what
                }
            }
        }
    }

    // MARK: Routes

    private func routes(_ c: Cursor, workload: Workload, services: [Service], names index: NameIndex) -> [OperationRef] {
        guard let m = map(c, expected: "a mapping of request type -> service.operation") else { return [] }
        guard !services.isEmpty else { return [] } // already reported; every route would fail
        let names = workload.requestTypes.map(\.name)
        var position: [String: Int] = [:]
        for (i, name) in names.enumerated() where position[name] == nil { position[name] = i }
        var routes = [OperationRef?](repeating: nil, count: names.count)
        for entry in m.entries {
            let ref = operation(entry.value, services: services, names: index)
            guard let index = position[entry.name] else {
                report(entry.key, unknown("request type", entry.name, names))
                continue
            }
            routes[index] = ref ?? OperationRef(service: 0, operation: 0)
        }
        for (index, name) in names.enumerated() where routes[index] == nil {
            report(c, "no route for request type \(quoted(name))")
        }
        return routes.map { $0 ?? OperationRef(service: 0, operation: 0) }
    }

    /// `service.operation` resolved, or nil with a problem at `c`.
    func operation(_ c: Cursor, services: [Service], names: NameIndex) -> OperationRef? {
        guard let text = text(c, "service.operation") else { return nil }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            report(c, "expected service.operation, got \(quoted(text))")
            return nil
        }
        guard let s = names.services[parts[0]] else {
            report(c, unknown("service", parts[0], services.map(\.name)))
            return nil
        }
        guard let o = names.operations[s][parts[1]] else {
            report(c, unknown("operation", parts[1], services[s].operations.map(\.name)) + " (in service \(quoted(parts[0])))")
            return nil
        }
        return OperationRef(service: s, operation: o)
    }

    // MARK: Call cycles

    /// Reports each operation-level call cycle once, at the call that closes it:
    /// `call cycle: app.view -> cart.add -> app.view`.
    private func checkCallCycles(_ services: [Service], _ calls: [[[(OperationRef, Cursor)]]]) {
        enum Mark { case unvisited, onPath, done }
        var marks = calls.map { $0.map { _ in Mark.unvisited } }
        var path: [OperationRef] = []
        func label(_ ref: OperationRef) -> String {
            services[ref.service].name + "." + services[ref.service].operations[ref.operation].name
        }
        // Depth-first, with an explicit stack: a call chain thousands of services deep must not
        // overflow the thread's stack. Each frame is an operation and the next call to follow.
        func visit(_ root: OperationRef) {
            var stack: [(ref: OperationRef, next: Int)] = [(root, 0)]
            marks[root.service][root.operation] = .onPath
            path.append(root)
            while let top = stack.last {
                let edges = calls[top.ref.service][top.ref.operation]
                guard top.next < edges.count else {
                    stack.removeLast()
                    path.removeLast()
                    marks[top.ref.service][top.ref.operation] = .done
                    continue
                }
                stack[stack.count - 1].next += 1
                let (callee, cursor) = edges[top.next]
                switch marks[callee.service][callee.operation] {
                case .onPath:
                    let start = path.firstIndex(of: callee)!
                    let cycle = (path[start...] + [callee]).map(label)
                    report(cursor, "call cycle: " + cycle.joined(separator: " -> "))
                case .unvisited:
                    marks[callee.service][callee.operation] = .onPath
                    path.append(callee)
                    stack.append((callee, 0))
                case .done: break
                }
            }
        }
        for s in calls.indices {
            for o in calls[s].indices where marks[s][o] == .unvisited { visit(OperationRef(service: s, operation: o)) }
        }
    }
}
