// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimModel

extension ScenarioReader {
    /// The keys that say what a step is; each step has exactly one.
    static let stepKinds = FormatKeys.stepKinds.map(\.name)
    /// Keys allowed beside some kinds: (key, kinds).
    static let stepSideKeys = FormatKeys.stepSideKeys.map { ($0.key.name, $0.owners) }

    /// `steps:` — a list of single-kind mappings.
    func steps(_ c: Cursor) -> [StepSyntax] {
        guard let items = list(c, expected: "a list of steps") else { return [] }
        return items.compactMap(step)
    }

    private func step(_ c: Cursor) -> StepSyntax? {
        guard let m = map(c, expected: "a step (a mapping like {call: service.operation})") else { return nil }
        let kinds = m.entries.filter { Self.stepKinds.contains($0.name) }
        let allowed = FormatKeys.stepKeys
        m.checkKeys(allowed, diagnostics)
        guard let kind = kinds.first else {
            if m.entries.allSatisfy({ allowed.contains($0.name) }) {
                report(c, "a step needs one of: " + Self.stepKinds.joined(separator: ", "))
            }
            return nil
        }
        if kinds.count > 1 {
            report(kinds[1].key, "a step has one kind; this one has \(quoted(kind.name)) and \(quoted(kinds[1].name)) (write them as two steps)")
            return nil
        }
        for (side, owners) in Self.stepSideKeys where !owners.contains(kind.name) {
            if let entry = m.entries.first(where: { $0.name == side }) {
                report(entry.key, "\(quoted(side)) goes with \(owners.map(quoted).joined(separator: " or ")), not \(quoted(kind.name))")
            }
        }
        let v = kind.value
        func reference(_ what: String) -> String? { text(v, "a \(what) name") }
        switch kind.name {
        case "call":
            let policy = callPolicy(m)
            return reference("service.operation").map { .call($0, v, policy) }
        case "parallel":
            let branches = steps(v)
            if case .sequence(let s) = v.node, s.isEmpty { report(v, "parallel needs at least one step") }
            return .parallel(branches)
        case "delay": return distribution(v).map { .delay($0) }
        case "cpu": return distribution(v).map { .cpu($0) }
        case "cache_get":
            let onMiss = m["on_miss"].map(steps) ?? []
            return reference("cache").map { .cacheGet($0, v, onMiss: onMiss) }
        case "cache_set": return reference("cache").map { .cacheSet($0, v) }
        case "cache_delete": return reference("cache").map { .cacheDelete($0, v) }
        case "db_read":
            var strong = false
            if let consistency = m["consistency"], let value = text(consistency, "strong | eventual") {
                switch value {
                case "strong": strong = true
                case "eventual": strong = false
                default: report(consistency, unknown("consistency", value, ["strong", "eventual"]))
                }
            }
            let key = m["key"].flatMap { c in text(c, "a key space name or new").map { ($0, c) } }
            if let key, key.0 == "new" { report(key.1, "key: new is a fresh row, for writes; a read of it finds nothing") }
            return reference("database").map { .dbRead($0, v, strong: strong, key: key) }
        default:
            let key = m["key"].flatMap { c in text(c, "a key space name or new").map { ($0, c) } }
            var lock: (RowLock, Cursor)?
            if let l = m["lock"], let value = text(l, "row") {
                if value == "row" { lock = (RowLock(), l) } else { report(l, unknown("lock", value, ["row"])) }
            }
            if let t = m["lock_timeout"] {
                if let timeout = duration(t, allowZero: false) { lock?.0.timeout = timeout }
                if m["lock"] == nil { report(t, "lock_timeout needs lock: row") }
            }
            return reference("database").map { .dbWrite($0, v, key: key, lock: lock) }
        }
    }

    /// Names resolved to indices; calls are also collected (with their cursors) for the cycle check.
    func resolve(_ steps: [StepSyntax], services: [Service], caches: [Cache], databases: [Database], keySpaces: [KeySpace],
                 names: NameIndex, calls: inout [(OperationRef, Cursor)]) -> [Step] {
        func key(_ syntax: (String, Cursor)?) -> StepKey {
            guard let (name, c) = syntax else { return .request }
            if name == "new" { return .new }
            if let index = keySpaces.firstIndex(where: { $0.name == name }) { return .space(index) }
            report(c, keySpaces.isEmpty ? "unknown key space \(quoted(name)) (no workload 'keys:' are defined; or key: new)"
                                        : unknown("key space", name, keySpaces.map(\.name) + ["new"]))
            return .request
        }
        func cache(_ name: String, _ c: Cursor) -> Int {
            if let index = names.caches[name] { return index }
            report(c, caches.isEmpty ? "unknown cache \(quoted(name)) (no 'caches:' are defined)" : unknown("cache", name, caches.map(\.name)))
            return 0
        }
        func database(_ name: String, _ c: Cursor) -> Int {
            if let index = names.databases[name] { return index }
            report(c, databases.isEmpty ? "unknown database \(quoted(name)) (no 'databases:' are defined)" : unknown("database", name, databases.map(\.name)))
            return 0
        }
        var result: [Step] = []
        for step in steps {
            switch step {
            case let .call(_, c, policy):
                guard let ref = operation(c, services: services, names: names) else { continue }
                calls.append((ref, c))
                result.append(.call(ref, policy))
            case let .parallel(branches):
                result.append(.parallel(resolve(branches, services: services, caches: caches, databases: databases,
                                                keySpaces: keySpaces, names: names, calls: &calls)))
            case let .delay(d): result.append(.delay(d))
            case let .cpu(d): result.append(.cpu(d))
            case let .cacheGet(name, c, onMiss):
                let index = cache(name, c)
                result.append(.cacheGet(cache: index, onMiss: resolve(onMiss, services: services, caches: caches,
                                                                      databases: databases, keySpaces: keySpaces, names: names,
                                                                      calls: &calls)))
            case let .cacheSet(name, c): result.append(.cacheSet(cache: cache(name, c)))
            case let .cacheDelete(name, c): result.append(.cacheDelete(cache: cache(name, c)))
            case let .dbRead(name, c, strong, k):
                result.append(.dbRead(database: database(name, c), strong: strong, row: RowAccess(key: key(k))))
            case let .dbWrite(name, c, k, lock):
                let row = RowAccess(key: key(k), lock: lock?.0)
                if let (_, at) = lock, row.key == .request { lockedRequestKeys.append((resolving, at)) }
                result.append(.dbWrite(database: database(name, c), row: row))
            }
        }
        return result
    }
}
