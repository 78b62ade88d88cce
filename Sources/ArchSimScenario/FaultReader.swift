// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimModel

extension ScenarioReader {
    /// `faults:` — a list of `{at, target, kind: crash | slow, factor, for}`.
    func faults(_ c: Cursor, architecture: Architecture) -> [Fault] {
        guard let items = list(c, expected: "a list of faults") else { return [] }
        let names = NameIndex(services: architecture.services, caches: architecture.caches, databases: architecture.databases)
        var result: [Fault] = []
        for item in items {
            guard let m = map(item, expected: "a fault {at, target, kind}") else { continue }
            m.checkKeys(FormatKeys.fault.names, diagnostics)
            let at = m.require("at", diagnostics).flatMap { duration($0, allowZero: true) }
            let target = m.require("target", diagnostics).flatMap { faultTarget($0, architecture, names) }
            var kind: FaultKind?
            if let k = m.require("kind", diagnostics, "crash or slow"), let name = text(k, "crash | slow") {
                switch name {
                case "crash":
                    kind = .crash
                    if let f = m["factor"] { report(f, "'factor' applies to kind: slow only") }
                case "slow":
                    if let f = m.require("factor", diagnostics, "service times are multiplied by it"),
                       let factor = number(f, "a positive number", maximum: Limits.slowFactor, { $0 > 0 }) {
                        kind = .slow(factor: factor)
                    }
                default: report(k, unknown("fault kind", name, ["crash", "slow"]))
                }
            }
            let length = m["for"].flatMap { duration($0, allowZero: false) }
            if let at, let target, let kind {
                result.append(Fault(at: at, target: target, kind: kind, duration: length))
            }
        }
        return result
    }

    /// `app[0]` (service instance), `product_cache[1]` (cache node), `main.primary`,
    /// `main.replica[2]`; anything else is a problem listing the valid targets.
    private func faultTarget(_ c: Cursor, _ architecture: Architecture, _ names: NameIndex) -> FaultTarget? {
        guard let text = text(c, "a target like app[0] or main.primary") else { return nil }
        var base = text, index: Int?, part: String?
        func splitIndex(_ s: String) -> (String, Int?)? {
            guard s.hasSuffix("]"), let open = s.lastIndex(of: "[") else { return (s, nil) }
            guard let i = Int(s[s.index(after: open)..<s.index(before: s.endIndex)]), i >= 0 else { return nil }
            return (String(s[..<open]), i)
        }
        if let dot = text.firstIndex(of: ".") {
            base = String(text[..<dot])
            guard let (p, i) = splitIndex(String(text[text.index(after: dot)...])) else { return invalid(c, text, architecture) }
            part = p; index = i
        } else {
            guard let (b, i) = splitIndex(text) else { return invalid(c, text, architecture) }
            base = b; index = i
        }
        /// `base[index]` with `index` below `count` (`what`: machine, instance, node), or nil reported.
        func member(_ count: Int, _ what: String, _ kind: String) -> Int? {
            guard let index else { report(c, "a \(kind) target names a\(what.first == "i" ? "n" : "") \(what): \(Self.range(base, count))"); return nil }
            guard index < count else {
                report(c, "\(quoted(base)) has \(count) \(what)\(count == 1 ? "" : "s"); valid: \(Self.range(base, count))")
                return nil
            }
            return index
        }
        if part == nil, let h = architecture.hosts.firstIndex(where: { $0.name == base }) {
            return member(architecture.hosts[h].count, "machine", "host").map { .hostMachine(host: h, machine: $0) }
        }
        if part == nil, let s = names.services[base] {
            return member(architecture.services[s].instances, "instance", "service").map { .serviceInstance(service: s, instance: $0) }
        }
        if part == nil, let k = names.caches[base] {
            return member(architecture.caches[k].nodes, "node", "cache").map { .cacheNode(cache: k, node: $0) }
        }
        // A database server: `main.primary`, `main.replica[2]`, or a shard's, `main[3].primary`.
        var shard: Int?
        if part != nil, names.databases[base] == nil, let (b, i) = splitIndex(base), let i {
            base = b
            shard = i
        }
        if let d = names.databases[base], part == "primary" || part == "replica" {
            let database = architecture.databases[d]
            let shards = database.shards
            if shards == 1, shard != nil {
                report(c, "\(quoted(base)) is not sharded: its servers are \(base).primary" + (database.replicaCount > 0 ? " and \(Self.range(base + ".replica", database.replicaCount))" : ""))
                return nil
            }
            if shards > 1, shard == nil {
                report(c, "\(quoted(base)) has \(shards) shards: name one's server, like \(base)[0].\(part!)\(index.map { "[\($0)]" } ?? "") (shards \(Self.range(base, shards)))")
                return nil
            }
            if let shard, shard >= shards {
                report(c, "\(quoted(base)) has \(shards) shards; valid: \(Self.range(base, shards))")
                return nil
            }
            let named = shards == 1 ? base : "\(base)[\(shard!)]"
            let replicas = database.replicaCount
            if part == "primary", index == nil { return .primary(database: d, shard: shard ?? 0) }
            if part == "replica", let index {
                guard index < replicas else {
                    report(c, replicas == 0 ? "\(quoted(named)) has no replicas"
                                            : "\(quoted(named)) has \(replicas) replica\(replicas == 1 ? "" : "s"); valid: \(Self.range(named + ".replica", replicas))")
                    return nil
                }
                return .replica(database: d, replica: index, shard: shard ?? 0)
            }
        }
        return invalid(c, text, architecture)
    }

    /// Reports an unknown target with the first 20 valid ones (the list costs O(20), not
    /// O(components), so many bad targets still read in linear time).
    private func invalid(_ c: Cursor, _ text: String, _ architecture: Architecture) -> FaultTarget? {
        let shown = 20
        var valid: [String] = []
        var total = architecture.services.count + architecture.caches.count + architecture.hosts.count
        for service in architecture.services.prefix(shown) { valid.append(Self.range(service.name, service.instances)) }
        for cache in architecture.caches.prefix(shown) { valid.append(Self.range(cache.name, cache.nodes)) }
        for host in architecture.hosts.prefix(shown) { valid.append(Self.range(host.name, host.count)) }
        for database in architecture.databases {
            total += database.replicaCount > 0 ? 2 : 1
            guard valid.count < shown else { continue }
            let name = database.shards == 1 ? database.name : Self.range(database.name, database.shards)
            valid.append(name + ".primary")
            if database.replicaCount > 0 { valid.append(Self.range(name + ".replica", database.replicaCount)) }
        }
        valid = Array(valid.prefix(shown))
        report(c, "unknown fault target \(quoted(text)); valid targets: " + valid.joined(separator: ", ")
               + (total > valid.count ? ", … (\(total - valid.count) more)" : ""))
        return nil
    }

    /// `app[0]`, or `app[0..2]` for three.
    static func range(_ name: String, _ count: Int) -> String {
        count <= 1 ? "\(name)[0]" : "\(name)[0..\(count - 1)]"
    }
}
