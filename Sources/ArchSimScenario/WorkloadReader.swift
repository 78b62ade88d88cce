// SPDX-License-Identifier: GPL-3.0-or-later
import ArchSimKernel
import ArchSimModel

extension ScenarioReader {
    /// `workload:` — arrivals, key spaces, the request mix.
    func workload(_ c: Cursor) -> Workload {
        let fallback = Workload(arrivals: .open(process: .poisson, rate: .constant(1)), requestTypes: [])
        guard let m = map(c) else { return fallback }
        m.checkKeys(FormatKeys.workload.names, diagnostics)
        let arrivals = m.require("arrivals", diagnostics).flatMap(arrivals) ?? fallback.arrivals
        let keySpaces = m["keys"].map(keySpaces) ?? []
        let requestTypes = m.require("requests", diagnostics).map { requests($0, keySpaces: keySpaces) } ?? []
        return Workload(arrivals: arrivals, keySpaces: keySpaces, requestTypes: requestTypes)
    }

    private func arrivals(_ c: Cursor) -> Arrivals? {
        guard let m = map(c) else { return nil }
        let openKeys = FormatKeys.openArrivals.names, closedKeys = FormatKeys.closedArrivals.names
        guard let kindCursor = m.require("kind", diagnostics, "open or closed"),
              let kind = text(kindCursor, "open | closed") else {
            m.checkKeys(openKeys + closedKeys.dropFirst(), diagnostics)
            return nil
        }
        switch kind {
        case "open":
            m.checkKeys(openKeys, diagnostics) { key in
                closedKeys.contains(key) ? "\(quoted(key)) belongs to closed arrivals, not kind: open" : nil
            }
            let process = m["process"].flatMap { choice($0, ArrivalProcess.self) } ?? .poisson
            let rate = m["rate"], profile = m["profile"]
            if rate != nil, let profile {
                report(profile, "give either 'rate' or 'profile', not both")
                return nil
            }
            if let rate {
                return self.rate(rate, allowZero: false).map { .open(process: process, rate: .constant($0)) }
            }
            if let profile {
                return self.profile(profile).map { .open(process: process, rate: .profile($0)) }
            }
            report(m.cursor, "missing required key 'rate' (or 'profile')")
            return nil
        case "closed":
            m.checkKeys(closedKeys, diagnostics) { key in
                openKeys.contains(key) ? "\(quoted(key)) belongs to open arrivals, not kind: closed" : nil
            }
            let users = m.require("users", diagnostics).flatMap { count($0, maximum: Limits.users) }
            thinkCursor = m.require("think", diagnostics, "a distribution, e.g. exponential(mean=1s)")
            let think = thinkCursor.flatMap(distribution)
            guard let users, let think else { return nil }
            return .closed(users: users, think: think)
        default:
            report(kindCursor, unknown("arrival kind", kind, ["open", "closed"]))
            return nil
        }
    }

    /// `profile:` — a list of `{at: duration, rate: rate}`, `at` strictly increasing.
    private func profile(_ c: Cursor) -> [RatePoint]? {
        guard let items = list(c, expected: "a list of {at: …, rate: …}") else { return nil }
        guard !items.isEmpty else { report(c, "a profile needs at least one point"); return nil }
        var points: [RatePoint] = []
        var ok = true
        for item in items {
            guard let m = map(item, expected: "a point {at: …, rate: …}") else { ok = false; continue }
            m.checkKeys(FormatKeys.ratePoint.names, diagnostics)
            let at = m.require("at", diagnostics).flatMap { duration($0, allowZero: true) }
            let rate = m.require("rate", diagnostics).flatMap { self.rate($0, allowZero: true) }
            guard let at, let rate else { ok = false; continue }
            if let last = points.last, at <= last.at {
                report(m["at"]!, "profile points must have strictly increasing 'at', but this one is not after the previous one")
                ok = false
            }
            points.append(RatePoint(at: at, perSecond: rate))
        }
        if ok, !points.contains(where: { $0.perSecond > 0 }) {
            report(c, "all profile rates are zero")
            ok = false
        }
        return ok ? points : nil
    }

    /// `keys:` — name -> `{count: N, popularity: uniform | zipf(s=…)}`.
    private func keySpaces(_ c: Cursor) -> [KeySpace] {
        guard let m = map(c, allowNull: true) else { return [] }
        var spaces: [KeySpace] = []
        for entry in m.entries {
            _ = name(entry, "key space")
            guard let space = map(entry.value, expected: "a key space {count: N, popularity: …}") else { continue }
            space.checkKeys(FormatKeys.keySpace.names, diagnostics)
            let countCursor = space.require("count", diagnostics)
            var keys = countCursor.flatMap { integer($0, minimum: 1, "a positive integer") }
            let popularity = space["popularity"].flatMap(popularity) ?? .uniform
            if let n = keys, let c = countCursor {
                let (maximum, why) = popularity == .uniform ? (Limits.uniformKeys, "below 2^32 for a uniform key space")
                                                            : (Limits.zipfKeys, "below 2^40 for a zipf key space")
                if n > maximum {
                    report(c, "expected a key count of at most \(Limits.format(maximum)) (\(why)), got \(c.node.described)")
                    keys = nil
                }
            }
            spaces.append(KeySpace(name: entry.name, count: keys ?? 1, popularity: popularity))
        }
        return spaces
    }

    private func popularity(_ c: Cursor) -> Popularity? {
        guard let text = text(c, "uniform or zipf(s=0.99)") else { return nil }
        let call: CallSyntax
        do { call = try CallSyntax.parse(text) } catch { report(c, error.message); return nil }
        switch call.name {
        case "uniform":
            guard call.arguments.isEmpty else { report(c, "uniform takes no parameters"); return nil }
            return .uniform
        case "zipf":
            var p = CallParameters(call, accepted: ["s"], example: "zipf(s=0.99)")
            let s = p.number("s", "positive and at most \(ValueSyntax.format(Limits.zipfExponent))") { $0 > 0 && $0 <= Limits.zipfExponent }
            if !p.problems.isEmpty { report(c, "in \(quoted(text)): " + p.problems.joined(separator: "; ")); return nil }
            return s.map { .zipf(s: $0) }
        default:
            report(c, unknown("popularity", call.name, ["uniform", "zipf"]))
            return nil
        }
    }

    /// `requests:` — name -> `{weight, key, timeout}`, in file order.
    private func requests(_ c: Cursor, keySpaces: [KeySpace]) -> [RequestType] {
        guard let m = map(c) else { return [] }
        guard !m.isEmpty else { report(c, "the request mix needs at least one request type"); return [] }
        var types: [RequestType] = []
        var spaceIndex: [String: Int] = [:]
        for (i, space) in keySpaces.enumerated() where spaceIndex[space.name] == nil { spaceIndex[space.name] = i }
        for entry in m.entries {
            if name(entry, "request type"), entry.name == "all" {
                report(entry.key, "'all' is reserved for the total row of summary.csv; choose another request type name")
            }
            guard let request = map(entry.value, expected: "a request type {weight: …}", allowNull: true) else { continue }
            request.checkKeys(FormatKeys.request.names, diagnostics)
            let weight = request["weight"].flatMap { number($0, "a non-negative number", maximum: Limits.weight) { $0 >= 0 } } ?? 1
            var keySpace: Int?
            if let key = request["key"], let keyName = text(key, "a key space name") {
                keySpace = spaceIndex[keyName]
                if keySpace == nil {
                    report(key, keySpaces.isEmpty ? "unknown key space \(quoted(keyName)) (no 'keys:' are defined)"
                                                  : unknown("key space", keyName, keySpaces.map(\.name)))
                }
            }
            let timeout = request["timeout"].flatMap { duration($0, allowZero: false) }
            types.append(RequestType(name: entry.name, weight: weight, keySpace: keySpace, timeout: timeout))
        }
        if !types.isEmpty, !types.contains(where: { $0.weight > 0 }) {
            report(c, "all request weights are zero; at least one must be positive")
        }
        return types
    }
}
